/**
 * SO_LINGER with a time (issue 17 §5): inet_release() (net/ipv4/af_inet.c) passes sk_lingertime
 * to tcp_close() unless the process is exiting (PF_EXITING); tcp_close() (net/ipv4/tcp.c) sends
 * the FIN, then sk_stream_wait_close() (net/core/stream.c) sleeps while the state is FIN-WAIT-1,
 * CLOSING or LAST-ACK, until the time runs out or a signal; close() returns 0 either way. The
 * same in Linux 4.4 and 6.18 (read in both sources). Checked on 6.18.44 (this machine, real
 * packetdrill, test/packetdrill/probes/tcp_close-linger-*.pkt): close() returns when the FIN is
 * ACKed (not the data), 2.011 s after it was called when the peer stays silent (SO_LINGER
 * {1, 2}, HZ 250), and a non-blocking socket lingers too. And with python in unshare -n (lo,
 * `iptables -A INPUT -p tcp --dport 12345 -j DROP` after connect, SO_LINGER {1, 3}): close() took
 * 3.057 s, 3.226 s with O_NONBLOCK (750 jiffies: the wheel's level 2, a 256 ms granule), while a
 * process that exits without close() was gone at once, its socket left in FIN-WAIT-1; SIGSTOP
 * 0.5 s into a 5 s linger and SIGCONT 0.5 s later: close() returned 0.994 s after it was called.
 * Here the peer is silenced with `iptables -A INPUT -p tcp --dport 12345 -j DROP` (nf_tables_core).
 */
import { describe, expect, it } from 'vitest';
import { acceptOne, host, ms, sec } from '../helpers/host.ts';
import { inetDiagDump } from '../../src/model/inet_diag.ts';
import { nftDelRule, nftNewRule, type NftRule } from '../../src/model/nf_tables_core.ts';
import { O_NONBLOCK, O_RDWR } from '../../src/model/socket.ts';
import { u32 } from '../../src/model/seq.ts';
import type { TcpSock } from '../../src/model/sock.ts';
import { TCP_CLOSE, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TH_FIN } from '../../src/model/types.ts';

type Profile = 'linux-4.4' | 'linux-6.x';
const PROFILES: Profile[] = ['linux-4.4', 'linux-6.x'];
const DROP: NftRule = { match: 'dport', port: 12345, verdict: 'drop' };

/** A connection on lo; the client sets SO_LINGER {1, linger}, then (after `drop` silences the server) closes or exits. */
function run(profile: Profile, o: { linger?: number; drop?: boolean; nonblock?: boolean; exit?: boolean } = {}) {
  const h = host({ profile });
  h.start('srv', () => acceptOne(12345));
  h.run(ms(1));
  const cli = h.start('cli', function* (log) {
    const fd: number = yield { op: 'socket' };
    yield { op: 'bind', fd, addr: 0, port: 40000 };
    yield { op: 'connect', fd, addr: 0x7f000001, port: 12345 };
    if (o.nonblock) yield { op: 'fcntl', fd, cmd: 'F_SETFL', arg: O_RDWR | O_NONBLOCK };
    yield { op: 'setsockopt', fd, opt: 'SO_LINGER', val: 1, linger: o.linger ?? 2 };
    yield { op: 'nanosleep', ns: ms(10) };
    if (o.drop) nftNewRule(h.k, DROP, false);
    log('closeAt', h.k.now);
    if (o.exit) return 0; // do_exit() closes the fd
    log('close', yield { op: 'close', fd });
    log('closedAt', h.k.now);
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(5)); // connected, SO_LINGER set
  const sk = () => [...h.k.socks.values()].find((s): s is TcpSock => s.kind === 'full' && s.sport === 40000)!;
  const elapsed = () => ((h.results.get('closedAt') as number) - (h.results.get('closeAt') as number)) / 1e9;
  const fins = () => h.xmits().filter((x) => x.seg.sport === 40000 && x.seg.flags & TH_FIN);
  return { h, cli, sk, elapsed, fins };
}

describe('SO_LINGER {1, N}: close() waits for the ACK of its FIN (tcp_close() -> sk_stream_wait_close())', () => {
  it.each(PROFILES)('a silent peer: close() sleeps the 2 s (500 jiffies; the 6.x wheel rounds up to a 32 ms granule), returns 0 with the FIN unacknowledged and retransmitted, then the socket is orphaned in FIN-WAIT-1 (%s)', (profile) => {
    const r = run(profile, { drop: true });
    const sk = r.sk();
    r.h.run(ms(30) + sec(1));
    expect(r.h.results.has('close')).toBe(false); // still in close()
    expect(sk.state).toBe(TCP_FIN_WAIT1);
    expect(sk.dead).toBe(false); // sock_orphan() comes after the wait
    // close_fd() came first: ss -p shows no owner for the socket while close() sleeps
    expect(r.h.procs.socketTable().owners.get(sk.inode)).toBeUndefined();
    r.h.run(sec(4));
    expect(r.h.results.get('close')).toBe(0);
    const dt = r.elapsed();
    if (profile === 'linux-4.4') expect(dt).toBeGreaterThanOrEqual(1.996);
    else expect(dt).toBeGreaterThanOrEqual(2.0); // the real run: 2.011 s
    expect(dt).toBeLessThan(profile === 'linux-4.4' ? 2.001 : 2.037);
    expect(sk.state).toBe(TCP_FIN_WAIT1);
    expect(sk.dead).toBe(true);
    expect(r.fins().length).toBeGreaterThan(2); // the FIN and its retransmissions during the wait
  });

  it.each(PROFILES)('the peer answers late: the ACK of a retransmitted FIN wakes close(), which returns at once (FIN-WAIT-2, then orphaned: tcp_fin_time()) (%s)', (profile) => {
    const r = run(profile, { drop: true });
    const sk = r.sk();
    r.h.run(ms(400));
    expect(nftDelRule(r.h.k, DROP)).toBe(true);
    r.h.run(sec(4));
    expect(r.h.results.get('close')).toBe(0);
    const closedAt = r.h.results.get('closedAt') as number;
    // close() returns right after the server's ACK of the first FIN to get through
    const through = r.fins().find((x) => x.t > ms(400))!;
    const ack = r.h.xmits().find((x) => x.seg.sport === 12345 && x.t >= through.t && x.seg.ack === u32(through.seg.seq + 1))!;
    expect(ack).toBeDefined();
    expect(closedAt).toBeGreaterThan(ack.t);
    expect(closedAt - ack.t).toBeLessThan(ms(1));
    expect(r.elapsed()).toBeLessThan(2);
    // FIN-WAIT-2 when close() ended: tcp_close() hands the orphan to a FIN-WAIT-2 timewait sock,
    // which ss shows as FIN-WAIT-2
    expect(sk.state).toBe(TCP_CLOSE);
    expect(inetDiagDump(r.h.k).find((row) => row.sport === 40000)?.state).toBe(TCP_FIN_WAIT2);
  });

  it('6.x: a 3 s linger is 750 jiffies, on level 2 of the timer wheel: close() returns up to a 256 ms granule late (6.18.44: 3.057 and 3.226 s)', () => {
    const r = run('linux-6.x', { drop: true, linger: 3 });
    r.h.run(sec(5));
    expect(r.h.results.get('close')).toBe(0);
    expect(r.elapsed()).toBeGreaterThanOrEqual(3.0);
    expect(r.elapsed()).toBeLessThanOrEqual(3.257);
  });

  it.each(PROFILES)('O_NONBLOCK does not matter: inet_release() passes sk_lingertime all the same, close() sleeps the 2 s and returns 0 (not EAGAIN) (%s)', (profile) => {
    const r = run(profile, { drop: true, nonblock: true });
    r.h.run(sec(4));
    expect(r.h.results.get('close')).toBe(0);
    expect(r.elapsed()).toBeGreaterThan(1.99);
  });

  it.each(PROFILES)('a process that exits never lingers (PF_EXITING: inet_release() passes 0): the FIN goes, the task is gone at once (%s)', (profile) => {
    const r = run(profile, { drop: true, exit: true });
    r.h.run(ms(100));
    expect(r.cli.state).toBe('zombie');
    expect(r.sk().dead).toBe(true);
    expect(r.fins().length).toBeGreaterThan(0);
  });

  it.each(PROFILES)('a fatal signal ends the wait: tcp_close() finishes (the socket is orphaned) and the task dies (%s)', (profile) => {
    const r = run(profile, { drop: true });
    r.h.run(ms(500));
    const sk = r.sk();
    expect(sk.dead).toBe(false);
    r.h.procs.signal(r.cli, 'SIGTERM');
    expect(r.cli.state).toBe('zombie');
    expect(sk.dead).toBe(true);
    expect(sk.state).toBe(TCP_FIN_WAIT1);
  });

  it.each(PROFILES)('a stop signal ends the wait too: tcp_close() completes at once, close() returns 0 when SIGCONT resumes the task (%s)', (profile) => {
    const r = run(profile, { drop: true });
    r.h.run(ms(500));
    const sk = r.sk();
    r.h.procs.signal(r.cli, 'SIGSTOP');
    expect(sk.dead).toBe(true);
    r.h.run(ms(600));
    expect(r.cli.state).toBe('stopped');
    expect(r.h.results.has('close')).toBe(false);
    r.h.procs.signal(r.cli, 'SIGCONT');
    r.h.run(ms(700));
    expect(r.h.results.get('close')).toBe(0);
    expect(r.h.results.get('closedAt')).toBeGreaterThanOrEqual(ms(600));
    expect(r.h.results.get('closedAt')).toBeLessThan(ms(601));
  });

  it('sk_lingertime from l_linger: seconds * HZ; a negative l_linger is MAX_SCHEDULE_TIMEOUT on 6.18 (unsigned long t_sec), (unsigned int)l_linger * HZ wrapped at 2^32 on 4.4', () => {
    expect(run('linux-6.x', { linger: -1 }).sk().linger).toBe(Infinity);
    expect(run('linux-4.4', { linger: -1 }).sk().linger).toBe(4294967046); // (2^32 - 1) * 250 mod 2^32
    expect(run('linux-6.x').sk().linger).toBe(500);
  });
});
