/**
 * The data path over lo, one test per kernel behaviour (Linux 6.18, and 4.4 where it
 * differs): tcp_sendmsg()'s write queue and sk_sndbuf, segments of tcp_xmit_size_goal() cut
 * by the window (tcp_write_xmit()), tcp_select_window() closing the window of a reader that
 * stopped, the persist timer's zero-window probes, tcp_cleanup_rbuf()'s window update, Nagle,
 * the RTO from tcp_rtt_estimator(), retransmission and tcp_write_timeout(), and close() with
 * data either side. Figures a reader can check with ss -tn, ss -tmi and tcpdump -i lo.
 */
import { describe, expect, it } from 'vitest';
import { host, listener, client, sec, ms, LO } from '../helpers/host.ts';
import { ETIMEDOUT } from '../../src/model/errno.ts';
import { inetDiagDump } from '../../src/model/inet_diag.ts';
import { TCP_ESTABLISHED, TH_FIN, TH_PSH, TH_RST, DIAG_TIMER_PERSIST, DIAG_TIMER_ON, type Segment } from '../../src/model/types.ts';
import type { TcpSock } from '../../src/model/sock.ts';
import { u32 } from '../../src/model/seq.ts';
import { renderSs } from '../../src/render/ss.ts';
import { newTcpdumpState, tcpdumpLine } from '../../src/render/tcpdump.ts';

type Profile = 'linux-4.4' | 'linux-6.x';
const PROFILES: Profile[] = ['linux-4.4', 'linux-6.x'];

/** ASCII bytes (a read returns text, as netcat sees it), varied enough to show a byte out of place. */
const pattern = (n: number, salt = 0) => Uint8Array.from({ length: n }, (_, i) => 32 + ((i * 7 + salt + (i >> 8)) % 95));

/**
 * A listener on 5000 whose accepted socket runs `server(fd)`, and a client that connects and
 * runs `cli(fd)`. Returns the host and a finder for the two sockets.
 */
function pair(profile: Profile, server: (fd: number, log: (k: string, v: unknown) => void) => Generator<any, any, any>, cli: (fd: number, log: (k: string, v: unknown) => void) => Generator<any, any, any>, sysctl: Record<string, any> = {}) {
  const h = host({ profile, sysctl });
  h.start('srv', function* (log) {
    const l: number = yield* listener(5000, 5);
    const fd: number = yield { op: 'accept', fd: l };
    yield* server(fd, log);
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(1));
  h.start('cli', function* (log) {
    const [fd] = yield* client(5000);
    yield* cli(fd, log);
    yield { op: 'pause' };
    return 0;
  });
  const socks = () => [...h.k.socks.values()].filter((s): s is TcpSock => s.kind === 'full' && s.state !== 10);
  const srvSock = () => socks().find((s) => s.sport === 5000)!;
  const cliSock = () => socks().find((s) => s.dport === 5000)!;
  const row = (port: number) => inetDiagDump(h.k).find((r) => r.sport === port && r.state !== 10)!;
  const dataSegs = (fromPort: number) => h.segs().filter((s) => s.sport === fromPort && s.payload.length > 0);
  return { h, srvSock, cliSock, row, dataSegs };
}

function* readAll(fd: number, n: number, out: Uint8Array[]): Generator<any, void, any> {
  let got = 0;
  while (got < n) {
    const r: string = yield { op: 'read', fd };
    if (typeof r !== 'string' || r.length === 0) return;
    const b = Uint8Array.from(r, (c) => c.charCodeAt(0));
    out.push(b);
    got += b.length;
  }
}

describe('tcp_sendmsg() and the write queue', () => {
  it.each(PROFILES)('tcp_sndbuf_expand(): sk_sndbuf is 2 x 10 x 131328 on lo once established (%s; 6.18.44 with cubic: SO_SNDBUF 2626560, with bbr 3 x: 3939840)', (profile) => {
    const p = pair(profile, function* () {}, function* () {});
    p.h.run(ms(50));
    expect(p.cliSock().sndbuf).toBe(2626560);
    expect(p.srvSock().sndbuf).toBe(2626560);
  });

  it('tcp_sync_mss()/tcp_xmit_size_goal(): a 200000-byte write starts with skbs of half the peer window (32741, tcp_bound_to_half_wnd) and the MSS grows with the window (6.x)', () => {
    const got: Uint8Array[] = [];
    const data = pattern(200000);
    const p = pair('linux-6.x', function* (fd) { yield* readAll(fd, 200000, got); }, function* (fd, log) { log('w', yield { op: 'write', fd, data }); });
    p.h.run(sec(1));
    expect(p.h.results.get('w')).toBe(200000);
    const segs = p.dataSegs(p.cliSock().sport);
    // the first skb is bound to half the SYN-ACK's window (65483 / 2); tcp_ack_update_window() calls
    // tcp_sync_mss() whenever the window grows past max_window, so mss_cache follows half of it
    // (6.18.44 on lo: tcpi_snd_mss 32741 before this write, 65483 after it)
    expect(segs[0].payload.length).toBe(32741);
    expect(p.cliSock().mss).toBeGreaterThan(32741);
    expect(p.cliSock().mss).toBeLessThanOrEqual(65483);
    // in order, nothing lost or repeated, and the reader got every byte
    let seq = segs[0].seq;
    for (const s of segs) {
      expect(s.seq).toBe(seq);
      seq = u32(seq + s.payload.length);
    }
    const all = Buffer.concat(got);
    expect(all.length).toBe(200000);
    expect(Buffer.compare(all, Buffer.from(data))).toBe(0);
    // the last segment of the write carries PSH (tcp_push() → tcp_mark_push())
    expect(segs[segs.length - 1].flags & TH_PSH).toBeTruthy();
  });

  it('Nagle (tcp_nagle_test(), Minshall): a second small write waits while the first is unacked; TCP_NODELAY sends it at once', () => {
    for (const nodelay of [false, true]) {
      const p = pair('linux-6.x', function* () {}, function* (fd) {
        if (nodelay) yield { op: 'setsockopt', fd, opt: 'TCP_NODELAY', val: 1 };
        yield { op: 'nanosleep', ns: ms(5) };
        yield { op: 'write', fd, data: 'a' };
        yield { op: 'write', fd, data: 'b' };
      });
      p.h.run(ms(4));
      // the receiver acks in delayed mode (pingpong, as after it has sent data itself): 40 ms
      p.srvSock().pingpong = true;
      p.h.run(ms(100));
      // first transmissions only: with TCP_NODELAY both are out and a tail loss probe resends 'b' 2 ms later
      const xs = p.h.xmits().filter((x) => x.seg.payload.length && x.seg.dport === 5000);
      const t = xs.filter((x, i) => xs.findIndex((y) => y.seg.seq === x.seg.seq) === i);
      expect(t.map((x) => x.seg.payload.length)).toEqual([1, 1]);
      const gap = (t[1].t - t[0].t) / 1e6;
      if (nodelay) expect(gap).toBeLessThan(1);
      else expect(gap).toBeGreaterThan(39); // released by the delayed ACK (ato 40 ms)
    }
  });

  it('tcp_sendmsg_locked(): the first bytes of a write clear the PSH an earlier write left on the tail skb ("if (!copied) tcp_flags &= ~TCPHDR_PSH", 4.4 and 6.18), so a held skb filled to size_goal mid-write leaves without PSH (6.18.44, zero-window recording: 32769:87041 [.] after 16384-byte writes)', () => {
    // netcat's writes of 16384 to a reader that never reads: the third write's skb waits behind the
    // unacked second (Nagle, Minshall) and the following writes fill it to size_goal, where
    // tcp_push_one() sends it in the middle of a write
    const p = pair('linux-6.x', function* () {}, function* (fd) {
      for (let i = 0; i < 8; i++) yield { op: 'write', fd, data: pattern(16384, i) };
    });
    p.h.run(ms(30));
    const segs = p.dataSegs(p.cliSock().sport);
    const isn = segs[0].seq;
    const rows = segs.map((s) => [u32(s.seq - isn) + 1, s.payload.length, s.flags & TH_PSH ? 'P' : '.']);
    expect(rows.slice(0, 2)).toEqual([[1, 16384, 'P'], [16385, 16384, 'P']]);
    // the skb that started with the third write went when the sixth filled it: 6.18.44 sent
    // 32769:87041 (54272, half the grown window) without PSH, the sixth write's PSH staying on the rest
    const held = rows[2];
    expect(held[0]).toBe(32769);
    expect(held[1]).toBe(54272);
    expect(held[2]).toBe('.');
  });
});

describe('MSG_MORE and TCP_CORK', () => {
  it('send(MSG_MORE) holds a partial segment (tcp_push() with TCP_NAGLE_CORK, no PSH) until the persist timer sends it about 200 ms later (tcp_write_wakeup(), as tcp_nagle_sendmsg_msg_more.pkt expects at +.21); a write without it sends at once with PSH', () => {
    const p = pair('linux-6.x', function* () {}, function* (fd) {
      yield { op: 'setsockopt', fd, opt: 'TCP_NODELAY', val: 1 };
      yield { op: 'nanosleep', ns: ms(10) };
      yield { op: 'write', fd, data: 'held', more: true };
      yield { op: 'nanosleep', ns: ms(400) };
      yield { op: 'write', fd, data: 'now' };
    });
    p.h.run(ms(2));
    const t0 = p.h.k.now;
    p.h.run(sec(1));
    const t = p.h.xmits().filter((x) => x.seg.payload.length && x.seg.dport === 5000);
    expect(t.map((x) => x.seg.payload.length)).toEqual([4, 3]);
    const held = (t[0].t - t0) / 1e6 - 8; // the write came 8 ms after t0
    expect(held).toBeGreaterThan(200);
    expect(held).toBeLessThan(215);
    expect(t[0].seg.flags & TH_PSH).toBeTruthy(); // tcp_write_wakeup() marks its data PSH
    expect(t[1].seg.flags & TH_PSH).toBeTruthy();
  });
});

describe('a reader that stops: tcp_select_window(), the persist timer', () => {
  it.each(PROFILES)('Recv-Q grows until the window is zero, Send-Q holds the rest, write() blocks; zero-window probes back off (%s)', (profile) => {
    const data = pattern(4 << 20);
    const p = pair(profile, function* () {}, function* (fd, log) { log('w', yield { op: 'write', fd, data }); });
    p.h.run(sec(10));
    const srv = p.row(5000);
    const cli = p.row(p.cliSock().sport);
    // tcp_diag_get_info(): Recv-Q = rcv_nxt - copied_seq, Send-Q = write_seq - snd_una
    expect(srv.rqueue).toBeGreaterThan(60000);
    expect(srv.rqueue + cli.wqueue).toBeGreaterThan(2_500_000);
    expect(cli.wqueue).toBeLessThanOrEqual(p.cliSock().sndbuf + 65536);
    expect(p.h.results.has('w')).toBe(false); // still blocked in sk_stream_wait_memory()
    // the receiver's last word is a zero window (TCPToZeroWindowAdv counts the move)
    const fromSrv = p.h.segs().filter((s) => s.sport === 5000);
    expect(fromSrv[fromSrv.length - 1].window).toBe(0);
    expect(p.h.k.mib['TCPToZeroWindowAdv']).toBe(1);
    // ss -o: timer:(persist,...), with icsk_probes_out as the count
    expect(cli.timer).toBe(DIAG_TIMER_PERSIST);
    // tcp_xmit_probe_skb(): bare ACKs at snd_una - 1, each interval about twice the last
    const probes = p.h.xmits().filter((x) => x.seg.dport === 5000 && x.seg.payload.length === 0 && x.seg.seq === u32(p.cliSock().sndUna - 1));
    expect(probes.length).toBeGreaterThanOrEqual(4);
    const gaps = probes.slice(1).map((x, i) => x.t - probes[i].t);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i] / gaps[i - 1]).toBeGreaterThan(1.7);
    // icsk_probes_out: tcp_ack() clears it on every ACK not older than snd_una, and these probes
    // are answered (the last ones more than tcp_invalid_ratelimit apart), so ss shows 0 here
    // (the same rule as keepalive's on 6.18.44: timer:(keepalive,784ms,1) after two answered
    // probes and one dropped, test/model/keepalive.test.ts)
    expect(cli.retrans).toBe(0);
  });

  it('against 6.18.44 on lo (cubic, a reader that never reads, 4 MB in one write()): Recv-Q 127973 in both (the receiver ACKs the first 32741-byte segment alone, win 93, before the second leaves: loopback.ts ipOutput()); Send-Q 2505862 there (w2551622 of tb2626560); cwnd stays 10 in both (tcp_is_cwnd_limited(), 6.18: slow start grows cwnd only while it is under 2 x max_packets_out, and the window lets 1-3 packets out), so tcp_new_space() keeps sk_sndbuf at 2 x 10 x 131328 (bbr, the host default a netns inherits, grew cwnd to 15 and tb to 4194304: Send-Q 3791494)', () => {
    // measured on 6.18.44 in unshare -n: python, setsockopt(TCP_CONGESTION, "cubic"), sendall() of 4 MB
    // to a listener that never accepts, ss -tnmi after 2 s
    const p = pair('linux-6.x', function* () {}, function* (fd) { yield { op: 'write', fd, data: pattern(4 << 20) }; });
    p.h.run(sec(2));
    const cli = p.row(p.cliSock().sport);
    expect(Math.abs(cli.wqueue - 2505862) / 2505862).toBeLessThan(0.03);
    expect(p.row(5000).rqueue).toBe(127973);
    expect(p.cliSock().sndCwnd).toBe(10);
    expect(p.cliSock().sndbuf).toBe(2626560);
  });

  it('the probes are answered, but not more often than tcp_invalid_ratelimit (500 ms): the second probe, ~430 ms after the first, gets no ACK (TCPACKSkippedSeq); 6.18.44 on lo probed 212, 428, 870, 1690 ms apart and left the second unanswered', () => {
    const p = pair('linux-6.x', function* () {}, function* (fd) { yield { op: 'write', fd, data: pattern(4 << 20) }; });
    p.h.run(sec(4));
    expect(p.h.k.mib['TCPACKSkippedSeq']).toBe(1);
    const cport = p.cliSock().sport;
    const x = p.h.xmits();
    const probes = x.filter((e) => e.seg.sport === cport && e.seg.payload.length === 0 && e.seg.seq === u32(p.cliSock().sndUna - 1));
    const gaps = probes.slice(1).map((e, i) => (e.t - probes[i].t) / 1e6);
    // 6.18.44: 428, 870, 1690 ms after the first (212 ms after the zero window)
    [428, 870, 1690].forEach((real, i) => expect(Math.abs(gaps[i] - real) / real).toBeLessThan(0.05));
    const answered = probes.map((pr) => x.some((e) => e.seg.sport === 5000 && e.t > pr.t && e.t - pr.t < 1e6));
    expect(answered.slice(0, 4)).toEqual([true, false, true, true]);
  });

  it.each(PROFILES)('a stopped reader that reads again: tcp_cleanup_rbuf() reopens the window, the writer finishes and every byte arrives in order (%s)', (profile) => {
    const n = 3 << 20;
    const data = pattern(n, 3);
    const got: Uint8Array[] = [];
    const p = pair(profile, function* (fd) {
      yield { op: 'nanosleep', ns: sec(2) };
      yield* readAll(fd, n, got);
    }, function* (fd, log) { log('w', yield { op: 'write', fd, data }); });
    p.h.run(sec(1));
    expect(p.row(5000).rqueue).toBeGreaterThan(0);
    p.h.run(sec(30));
    expect(p.h.results.get('w')).toBe(n);
    expect(Buffer.compare(Buffer.concat(got), Buffer.from(data))).toBe(0);
    expect(p.row(5000).rqueue).toBe(0);
    expect(p.row(p.cliSock().sport).wqueue).toBe(0);
    expect(p.h.k.mib['TCPFromZeroWindowAdv']).toBeGreaterThanOrEqual(1);
  });

  it('read(count) takes part of the queue; SIOCINQ and SIOCOUTQ report what is left (tcp_ioctl())', () => {
    const p = pair('linux-6.x', function* (fd, log) {
      yield { op: 'nanosleep', ns: ms(20) };
      log('inq0', yield { op: 'ioctl', fd, req: 'SIOCINQ' });
      log('r', yield { op: 'read', fd, count: 4 });
      log('inq1', yield { op: 'ioctl', fd, req: 'SIOCINQ' });
    }, function* (fd, log) {
      yield { op: 'write', fd, data: 'hello world' };
      log('outq', yield { op: 'ioctl', fd, req: 'SIOCOUTQ' });
    });
    p.h.run(ms(50));
    expect(p.h.results.get('inq0')).toBe(11);
    expect(p.h.results.get('r')).toBe('hell');
    expect(p.h.results.get('inq1')).toBe(7);
    expect(p.row(5000).rqueue).toBe(7);
  });
});

describe('RTT, RTO and retransmission', () => {
  it('tcp_rtt_estimator()/tcp_set_rto(): on lo the RTO is TCP_RTO_MIN plus the tiny RTT, rounded up: 51 jiffies, ss rto:204 (HZ=250, 6.18)', () => {
    const p = pair('linux-6.x', function* (fd) { yield { op: 'read', fd }; }, function* (fd) { yield { op: 'write', fd, data: 'x' }; });
    p.h.run(ms(50));
    expect(p.cliSock().rto).toBe(51);
  });

  it('tcp_retransmit_timer(): data to a peer that vanished is sent again with the RTO doubling (capped at TCP_RTO_MAX, 120 s) until retransmits_timed_out() with tcp_retries2 = 15, 924.6 s: the 16th expiry, 929-945 s, gives ETIMEDOUT (6.x)', () => {
    const p = pair('linux-6.x', function* () {}, function* (fd, log) {
      yield { op: 'nanosleep', ns: ms(10) };
      yield { op: 'write', fd, data: 'lost' };
      log('r', yield { op: 'read', fd });
      log('t', p.h.k.now);
    });
    p.h.run(ms(5));
    const cport = p.cliSock().sport;
    p.h.k.remotePeers.add(LO); // from now on nothing sent to 127.0.0.1 arrives
    p.h.run(sec(1000));
    const sent = p.h.xmits().filter((x) => x.seg.sport === cport && x.seg.payload.length === 4);
    // the first transmission, a tail loss probe (tcp_send_loss_probe(): min(2 x srtt + tcp_rto_min,
    // the RTO) later, as 6.18.44 sends in the peer-vanishes recording) and 15 RTO retransmissions
    expect(sent.length).toBe(17);
    const gaps = sent.slice(1).map((x, i) => (x.t - sent[i].t) / 1e9);
    expect(gaps[0]).toBeGreaterThanOrEqual(0.204);
    expect(gaps[0]).toBeLessThan(0.22);
    expect(gaps[1]).toBeGreaterThanOrEqual(0.204); // the RTO, from the probe
    expect(gaps[1]).toBeLessThan(0.22);
    // doubling, give or take the 4.8+ timer wheel's granularity at that level (calc_index())
    for (let i = 2; i < 10; i++) expect(gaps[i] / gaps[i - 1]).toBeGreaterThan(1.85);
    expect(gaps[gaps.length - 1]).toBeGreaterThanOrEqual(120);
    expect(gaps[gaps.length - 1]).toBeLessThan(122); // TCP_RTO_MAX, and the wheel's granule
    expect(p.h.results.get('r')).toBe(-ETIMEDOUT);
    const gaveUp = ((p.h.results.get('t') as number) - sent[0].t) / 1e9;
    expect(gaveUp).toBeGreaterThan(924.6);
    expect(gaveUp).toBeLessThan(945); // each 120 s expiry lands up to a granule late (4.8+ wheel)
    expect(p.h.k.mib['TCPTimeouts']).toBe(15); // one per expiry that retransmitted
    expect(p.h.k.mib['TCPLossProbes']).toBe(1);
  });
});

describe('close and shutdown with data', () => {
  it.each(PROFILES)('tcp_close() with unread data sends a RST, not a FIN, and counts TCPAbortOnClose (%s)', (profile) => {
    const p = pair(profile, function* (fd) {
      yield { op: 'nanosleep', ns: ms(20) };
      yield { op: 'close', fd };
    }, function* (fd) { yield { op: 'write', fd, data: 'unread' }; });
    p.h.run(ms(50));
    const fromSrv = p.h.segs().filter((s) => s.sport === 5000);
    const last = fromSrv[fromSrv.length - 1];
    expect(last.flags & TH_RST).toBeTruthy();
    expect(fromSrv.some((s) => s.flags & TH_FIN)).toBe(false);
    expect(p.h.k.mib['TCPAbortOnClose']).toBe(1);
  });

  it.each(PROFILES)('SO_LINGER with l_linger 0: close() aborts (tcp_disconnect()): a RST instead of a FIN, TCPAbortOnData, the peer reads ECONNRESET, as 6.18.44 does (%s)', (profile) => {
    const p = pair(profile, function* (fd, log) {
      log('r1', yield { op: 'read', fd });
      log('r2', yield { op: 'read', fd });
    }, function* (fd) {
      yield { op: 'write', fd, data: 'bye' };
      yield { op: 'nanosleep', ns: ms(10) };
      yield { op: 'setsockopt', fd, opt: 'SO_LINGER', val: 1, linger: 0 };
      yield { op: 'close', fd };
    });
    p.h.run(ms(50));
    const fromCli = p.h.segs().filter((s) => s.dport === 5000);
    expect(fromCli.some((s) => s.flags & TH_FIN)).toBe(false);
    expect(fromCli[fromCli.length - 1].flags & TH_RST).toBeTruthy();
    expect(p.h.k.mib['TCPAbortOnData']).toBe(1);
    expect(p.h.results.get('r1')).toBe('bye');
    expect(p.h.results.get('r2')).toBe(-104); // ECONNRESET
  });

  it('tcp_send_fin(): a FIN queued behind data that the window holds back leaves with the last data segment', () => {
    const n = 1 << 20;
    const got: Uint8Array[] = [];
    const p = pair('linux-6.x', function* (fd) {
      yield { op: 'nanosleep', ns: sec(1) };
      yield* readAll(fd, n, got);
    }, function* (fd) {
      yield { op: 'write', fd, data: pattern(n) };
      yield { op: 'shutdown', fd, how: 1 };
    });
    p.h.run(sec(20));
    const fromCli = p.h.segs().filter((s: Segment) => s.dport === 5000);
    const fins = fromCli.filter((s) => s.flags & TH_FIN);
    // one FIN, on the last data (a tail loss probe may send the last segment of it again)
    expect(new Set(fins.map((s) => s.seq + s.payload.length)).size).toBe(1);
    expect(fins[0].payload.length).toBeGreaterThan(0);
    expect(Buffer.concat(got).length).toBe(n);
    expect(p.srvSock().state).not.toBe(TCP_ESTABLISHED); // CLOSE-WAIT once the FIN is read
  });
});

describe('what ss and tcpdump show of the data path', () => {
  it('ss -tn (iproute2 6.x): Recv-Q/Send-Q of the two ESTAB sockets of a stopped reader, the Send-Q column widened for its 7 digits as on 6.18', () => {
    const p = pair('linux-6.x', function* () {}, function* (fd) { yield { op: 'write', fd, data: pattern(4 << 20) }; });
    p.h.run(sec(2));
    const text = renderSs(p.h.procs.socketTable(), { numeric: true, processes: false, timers: false, states: 'connected' }, { iproute2: '6.11', columns: null });
    const lines = text.split('\n');
    // real 6.18 (bbr, measured here): "Recv-Q Send-Q  Local Address:Port..." / "0      4161536     127.0.0.1:55916 ..."
    expect(lines[0]).toMatch(/^State Recv-Q Send-Q  Local Address:Port/);
    const cport = p.cliSock().sport;
    const srv = p.row(5000);
    const cli = p.row(cport);
    // the Process column is 7 wide ("Process", no left delimiter): a real ss -tn of two ESTAB
    // sockets on 6.18 ends its rows with 8 and 7 spaces after the ports 5000 and 45610
    expect(lines[1]).toBe(`ESTAB ${String(srv.rqueue).padEnd(6)} 0           127.0.0.1:5000     127.0.0.1:${cport}       `);
    expect(lines[2]).toBe(`ESTAB 0      ${cli.wqueue}     127.0.0.1:${cport}    127.0.0.1:5000        `);
    expect(String(cli.wqueue).length).toBe(7);
  });

  it('tcpdump -nn: data segments show seq a:b and length N (the window cuts the second, tcp_mss_split_point(), its PSH going with the rest, tcp_fragment()); the receiver closes the window with win 0; a zero-window probe is a bare ACK one byte behind', () => {
    const p = pair('linux-6.x', function* () {}, function* (fd) { yield { op: 'write', fd, data: pattern(4 << 20) }; });
    p.h.run(sec(1));
    const state = newTcpdumpState();
    const lines = p.h.xmits().map((x) => tcpdumpLine({ realtimeNs: x.t, seg: x.seg }, state, { version: '4.99' as never }));
    const data = lines.filter((l) => /length [1-9]/.test(l));
    // each data line: seq a:b with b - a = length (relative numbers, as tcpdump prints them)
    for (const l of data) {
      const m = /Flags \[P?\.\], seq (\d+):(\d+), ack 1, win \d+, options \[nop,nop,TS val \d+ ecr \d+\], length (\d+)$/.exec(l)!;
      expect(Number(m[2]) - Number(m[1])).toBe(Number(m[3]));
    }
    // tcp_xmit_size_goal() bounds an skb to half the peer's largest window (tcp_bound_to_half_wnd():
    // 65483 / 2 -> one MSS of 32741), so the write leaves as 32741-byte segments, as 6.18.44 (cubic,
    // captured on lo in a netns) sent it: 32741 + 32741 + 34518 (the third differs here: the
    // model's 61440, after tcp_sync_mss() followed the grown window)
    expect(data[0]).toMatch(/seq 1:32742, .*length 32741$/);
    expect(data[1]).toMatch(/seq 32742:65483, .*length 32741$/);
    // the receiver closes the window: an ACK with win 0
    expect(lines.some((l) => /127\.0\.0\.1\.5000 > .*Flags \[\.\], ack \d+, win 0, .*length 0$/.test(l))).toBe(true);
    // the probe: one below snd_una, printed as an ACK with no seq field
    const probe = p.h.xmits().find((x) => x.seg.dport === 5000 && x.seg.seq === u32(p.cliSock().sndUna - 1))!;
    expect(probe.seg.payload.length).toBe(0);
  });
});
