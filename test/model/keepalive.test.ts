/**
 * SO_KEEPALIVE (issue 17 §5): tcp_set_keepalive(), TCP_KEEPIDLE/INTVL/CNT (do_tcp_setsockopt()),
 * tcp_keepalive_timer() and its probes (tcp_write_wakeup() -> tcp_xmit_probe_skb(): a bare ACK
 * at snd_una - 1), ss's timer:(keepalive,...), and ETIMEDOUT after keepalive_probes unanswered.
 *
 * The real run it is held to (Linux 6.18.44, HZ 250, in unshare -n; python3: a connected pair on
 * lo, the client sets SO_KEEPALIVE, TCP_KEEPIDLE 1, TCP_KEEPINTVL 1, TCP_KEEPCNT 3 right after
 * connect, `iptables -A INPUT -p tcp --dport 12345 -j DROP` at 2.793 s, then recv()):
 *   ss -tnio after setsockopt: timer:(keepalive,996ms,0); 0.5 s after the DROP: timer:(keepalive,784ms,1)
 *   tcpdump -tt, from the handshake's last ACK: probes at 1.031, 2.056 (answered), 3.079, 4.104,
 *   5.127 (dropped), RST at 6.153; recv() -> ETIMEDOUT at 6.154.
 * The 6.x timer wheel rounds a 1 s timer up to its 32 ms granule, hence the ~1.025 s steps.
 */
import { describe, expect, it } from 'vitest';
import { host, client, ms, sec, acceptOne } from '../helpers/host.ts';
import { ETIMEDOUT } from '../../src/model/errno.ts';
import { inetDiagDump } from '../../src/model/inet_diag.ts';
import { nftNewRule } from '../../src/model/nf_tables_core.ts';
import { u32 } from '../../src/model/seq.ts';
import type { TcpSock } from '../../src/model/sock.ts';
import { DIAG_TIMER_KEEPALIVE, TH_ACK, TH_RST } from '../../src/model/types.ts';

type Profile = 'linux-4.4' | 'linux-6.x';

function run(profile: Profile, opts: { keepidle?: number; before?: boolean } = {}) {
  const h = host({ profile });
  h.start('srv', () => acceptOne(12345));
  h.run(ms(1));
  const keep = function* (fd: number): Generator<any, void, any> {
    yield { op: 'setsockopt', fd, opt: 'SO_KEEPALIVE', val: 1 };
    if (opts.keepidle !== 0) {
      yield { op: 'setsockopt', fd, opt: 'TCP_KEEPIDLE', val: opts.keepidle ?? 1 };
      yield { op: 'setsockopt', fd, opt: 'TCP_KEEPINTVL', val: 1 };
      yield { op: 'setsockopt', fd, opt: 'TCP_KEEPCNT', val: 3 };
    }
  };
  h.start('cli', function* (log) {
    const fd: number = yield { op: 'socket' };
    yield { op: 'bind', fd, addr: 0, port: 40000 };
    if (opts.before) yield* keep(fd);
    log('connect', yield { op: 'connect', fd, addr: 0x7f000001, port: 12345 });
    log('t0', h.k.now);
    if (!opts.before) yield* keep(fd);
    log('read', yield { op: 'read', fd });
    log('readAt', h.k.now);
    yield { op: 'pause' };
    return 0;
  });
  const cli = () => [...h.k.socks.values()].find((s): s is TcpSock => s.kind === 'full' && s.sport === 40000)!;
  const row = () => inetDiagDump(h.k).find((r) => r.sport === 40000);
  return { h, cli, row };
}

describe('SO_KEEPALIVE and tcp_keepalive_timer()', () => {
  it('6.x against 6.18.44: probes 1.031 and 2.056 s after the handshake (answered), 3.079, 4.104, 5.127 (dropped), RST at 6.153, recv() ETIMEDOUT; ss timer:(keepalive,996ms,0)', () => {
    const r = run('linux-6.x');
    r.h.run(ms(5));
    const t0 = r.h.results.get('t0') as number;
    // ss -o 12 ms after the setsockopt()s, as in the real run: the timer re-armed for what is left of 1 s
    r.h.run(t0 + ms(12));
    const first = r.row()!;
    expect(first.timer).toBe(DIAG_TIMER_KEEPALIVE);
    expect(Math.abs(first.expiresMs - 996)).toBeLessThanOrEqual(8);
    expect(first.retrans).toBe(0);
    r.h.run(t0 + ms(2793));
    nftNewRule(r.h.k, { match: 'dport', port: 12345, verdict: 'drop' }, false);
    r.h.run(t0 + ms(3336));
    const mid = r.row()!;
    expect([mid.timer, mid.retrans]).toEqual([DIAG_TIMER_KEEPALIVE, 1]);
    // within two wheel granules (32 ms each) of the real 784 ms: the phase of the jiffies differs
    expect(Math.abs(mid.expiresMs - 784)).toBeLessThanOrEqual(64);
    r.h.run(t0 + sec(8));
    const isn = r.h.xmits().find((x) => x.seg.sport === 40000)!.seg.seq;
    const fromCli = r.h.xmits().filter((x) => x.seg.sport === 40000 && x.t > t0);
    const probes = fromCli.filter((x) => x.seg.flags === TH_ACK && x.seg.payload.length === 0 && x.seg.seq === u32(isn));
    const rst = fromCli.find((x) => x.seg.flags & TH_RST)!;
    const at = (t: number) => (t - t0) / 1e6;
    [1031, 2056, 3079, 4104, 5127].forEach((real, i) => expect(Math.abs(at(probes[i].t) - real), `probe ${i + 1}`).toBeLessThan(40));
    expect(probes).toHaveLength(5);
    expect(Math.abs(at(rst.t) - 6153)).toBeLessThan(40);
    // the first two were answered by a duplicate ACK (the probe's sequence number is old)
    const answers = r.h.xmits().filter((x) => x.seg.sport === 12345 && x.t > probes[0].t && x.t < probes[2].t);
    expect(answers).toHaveLength(2);
    expect(r.h.results.get('read')).toBe(-ETIMEDOUT);
    expect(Math.abs(((r.h.results.get('readAt') as number) - t0) / 1e6 - 6154)).toBeLessThan(40);
    expect(r.h.k.mib['TCPKeepAlive']).toBe(5);
    expect(r.row()).toBeUndefined();
  });

  it('4.4: the same rule on the cascading wheel, so the probes come every 1.000 s exactly (tcp_keepalive_timer() of v4.4)', () => {
    const r = run('linux-4.4');
    r.h.run(ms(1) + ms(20));
    const t0 = r.h.results.get('t0') as number;
    r.h.run(t0 + ms(2793));
    nftNewRule(r.h.k, { match: 'dport', port: 12345, verdict: 'drop' }, false);
    r.h.run(t0 + sec(8));
    const fromCli = r.h.xmits().filter((x) => x.seg.sport === 40000 && x.t > t0);
    const probes = fromCli.filter((x) => x.seg.flags === TH_ACK && x.seg.payload.length === 0);
    expect(probes).toHaveLength(5);
    const gaps = probes.slice(1).map((p, i) => (p.t - probes[i].t) / 1e6);
    for (const g of gaps) expect(Math.abs(g - 1000)).toBeLessThan(5);
    expect(fromCli.some((x) => x.seg.flags & TH_RST)).toBe(true);
    expect(r.h.results.get('read')).toBe(-ETIMEDOUT);
  });

  it.each(['linux-4.4', 'linux-6.x'] as const)('SO_KEEPALIVE alone, set before connect() (armed by tcp_finish_connect()): the first probe after tcp_keepalive_time, 7200 s (6.x: up to a level-5 wheel granule, 32768 jiffies = 131 s, later; 4.4 on the dot), answered, then keepalive_time again from that answer (%s)', (profile) => {
    const r = run(profile, { keepidle: 0, before: true });
    r.h.run(ms(30));
    const row = r.row()!;
    expect(row.timer).toBe(DIAG_TIMER_KEEPALIVE);
    expect(Math.abs(row.expiresMs - 7200_000)).toBeLessThan(1000);
    const t0 = r.h.results.get('t0') as number;
    r.h.run(t0 + sec(7200 + 200));
    const probes = () => r.h.xmits().filter((x) => x.seg.sport === 40000 && x.t > t0 && x.seg.payload.length === 0 && x.seg.flags === TH_ACK);
    expect(probes()).toHaveLength(1);
    const first = (probes()[0].t - t0) / 1e9;
    expect(first).toBeGreaterThan(7199.99); // t0 is taken when connect() returns, a few µs after the handshake
    expect(first).toBeLessThan(profile === 'linux-4.4' ? 7200.01 : 7200 + 132);
    // the peer's duplicate ACK cleared icsk_probes_out and moved rcv_tstamp (tcp_ack())
    expect(r.cli().probesOut).toBe(0);
    expect(r.row()!.retrans).toBe(0);
    r.h.run(t0 + sec(first + 7200 + 200));
    expect(probes()).toHaveLength(2);
    expect((probes()[1].t - probes()[0].t) / 1e9).toBeGreaterThanOrEqual(7200);
  });
});
