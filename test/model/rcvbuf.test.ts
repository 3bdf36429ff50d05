/**
 * Receive-buffer autotuning, Dynamic Right-Sizing (net/ipv4/tcp_input.c: tcp_rcv_rtt_update(),
 * tcp_rcv_rtt_measure(), tcp_rcv_rtt_measure_ts(), tcp_rcv_space_adjust(), tcp_rcvbuf_grow();
 * src/model/tcp_input-rcvbuf.ts). The 6.18 figures are Linux 6.18.44 on this machine: a bulk
 * write over lo between python sockets in `unshare -n`, `perf record -e tcp:tcp_rcvbuf_grow`
 * (old space, new space, scaling_ratio and the sk_rcvbuf the next event shows) and `ss -tni`.
 */
import { describe, expect, it } from 'vitest';
import { host, listener, client, ms } from '../helpers/host.ts';
import { SOCK_RCVBUF_LOCK, type TcpSock } from '../../src/model/sock.ts';
import { tcpGetInfo } from '../../src/model/tcp.ts';
import { tcpRcvbufGrow, tcpRcvRttUpdate, tcpRcvSpaceAdjust } from '../../src/model/tcp_input-rcvbuf.ts';
import type { ProfileName } from '../../src/model/types.ts';
import { jiffies } from '../../src/model/time.ts';

/** A fresh socket's fields as tcp_rcvbuf_grow() finds them on lo (tcp_rmem[1], the measured ratio). */
function sock(profile: ProfileName, f: Partial<TcpSock>) {
  const h = host({ profile });
  const sk = { rcvbuf: 131072, scalingRatio: 252, userlocks: 0, outOfOrderQueue: [], rcvNxt: 0, copiedSeq: 0, advmss: 65483, ...f } as unknown as TcpSock;
  return { k: h.k, sk };
}

describe('tcp_rcvbuf_grow(sk, newval) (6.18: 65c5287892e9 + aa251c84636c)', () => {
  const cases: [number, number, number, number][] = [
    // old rcvq_space.space, new, sk_rcvbuf before, sk_rcvbuf after (6.18.44, perf tcp:tcp_rcvbuf_grow)
    [65483, 190464, 131072, 1864135],
    [65483, 76773, 131072, 209769],
    [76773, 104554, 209769, 366163],
    [65483, 162816, 131072, 1314194],
  ];
  for (const [oldval, newval, before, after] of cases) {
    it(`space ${oldval} -> ${newval} at scaling_ratio 252: sk_rcvbuf ${before} -> ${after}, window_clamp its window, as 6.18.44 traced`, () => {
      const { k, sk } = sock('linux-6.x', { rcvSpace: oldval, rcvbuf: before });
      tcpRcvbufGrow(k, sk, newval);
      expect(sk.rcvSpace).toBe(newval);
      expect(sk.rcvbuf).toBe(after);
      expect(sk.windowClamp).toBe(Math.floor((after * 252) / 256));
    });
  }

  it('the ofo queue calls it with the current space: 2 x space plus what the queue spans beyond rcv_nxt, no slow-start term', () => {
    const { k, sk } = sock('linux-6.x', { rcvSpace: 65483, outOfOrderQueue: [{ seq: 1000, end: 5000, data: new Uint8Array(0), fin: false, extra: 0 }] } as Partial<TcpSock>);
    tcpRcvbufGrow(k, sk, 65483);
    expect(sk.rcvbuf).toBe(Math.floor(((2 * 65483 + 5000) * 256) / 252));
  });

  it('SO_RCVBUF (SOCK_RCVBUF_LOCK) or tcp_moderate_rcvbuf 0: the space is recorded, the buffer stays', () => {
    const { k, sk } = sock('linux-6.x', { rcvSpace: 65483, userlocks: SOCK_RCVBUF_LOCK });
    tcpRcvbufGrow(k, sk, 190464);
    expect(sk.rcvSpace).toBe(190464);
    expect(sk.rcvbuf).toBe(131072);
    const off = sock('linux-6.x', { rcvSpace: 65483 });
    (off.k.sysctl as unknown as Record<string, number>)['net.ipv4.tcp_moderate_rcvbuf'] = 0;
    tcpRcvbufGrow(off.k, off.sk, 190464);
    expect(off.sk.rcvbuf).toBe(131072);
  });
});

describe('tcp_rcv_space_adjust() on 4.4 (b0983d3c9b13): rcvwin = 2 x copied + 16 x advmss, doubled when the rate grew 50 %, in segments of SKB_TRUESIZE(advmss + MAX_TCP_HEADER)', () => {
  it('copied 190464 after space 65483 on lo (advmss 65483): rcvwin 2857312, rcvmem 131072 (grown by 128 until half of it holds an advmss), sk_rcvbuf 43 x 131072 = 5636096, window_clamp = rcvwin', () => {
    const { k, sk } = sock('linux-4.4', { rcvSpace: 65483, rcvbuf: 87380, rcvRttEst: 8, rcvqSeq: 0, copiedSeq: 190464, rcvNxt: 190464 });
    sk.rcvqTime = jiffies(k) - 1; // one jiffy (rcv_rtt 8 >> 3) since the last measure
    tcpRcvSpaceAdjust(k, sk);
    expect(sk.rcvbuf).toBe(5636096);
    expect(sk.windowClamp).toBe(2857312);
    expect(sk.rcvSpace).toBe(190464);
  });

  it('a 0-jiffy timestamp sample counts as 1 (4.4); 6.18 keeps the minimum of the window samples and smooths a timestamp sample only with nothing unread', () => {
    const a = sock('linux-4.4', { rcvRttEst: 0 });
    tcpRcvRttUpdate(a.k, a.sk, 0, false);
    expect(a.sk.rcvRttEst).toBe(8);
    const b = sock('linux-6.x', { rcvRttEst: 8 * 40 });
    tcpRcvRttUpdate(b.k, b.sk, 60, true); // a larger window sample: ignored
    expect(b.sk.rcvRttEst).toBe(320);
    tcpRcvRttUpdate(b.k, b.sk, 60, false); // a timestamp sample, queue empty: 320 - 40 + 60
    expect(b.sk.rcvRttEst).toBe(340);
    tcpRcvRttUpdate(b.k, b.sk, 20, true); // a smaller one: taken
    expect(b.sk.rcvRttEst).toBe(160);
  });
});

/** A reader that reads 1 MB at a time and a writer of `n` bytes in one write(), as /tmp/brief/real-bulk-ss.py. */
function bulk(profile: ProfileName, n: number, rcvbuf = 0) {
  const h = host({ profile });
  const reads: number[] = [];
  h.start('srv', function* () {
    const l = yield* listener(5000, 1);
    const fd: number = yield { op: 'accept', fd: l };
    if (rcvbuf) yield { op: 'setsockopt', fd, opt: 'SO_RCVBUF', val: rcvbuf };
    for (;;) {
      const r: Uint8Array | number = yield { op: 'read', fd, count: 1 << 20 };
      reads.push(typeof r === 'number' ? r : r.length);
      if (typeof r === 'number' ? r <= 0 : r.length === 0) break;
    }
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(1));
  let snd: TcpSock | undefined;
  h.start('cli', function* (_log, ctx) {
    const [fd] = yield* client(5000);
    snd = (ctx.procs.tasks.get(ctx.pid)!.fds.get(fd) as { sk: TcpSock }).sk;
    yield { op: 'write', fd, data: new Uint8Array(n).fill(120) };
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(300));
  const rcv = [...h.k.socks.values()].find((s): s is TcpSock => s.kind === 'full' && s.sport === 5000 && s.state === 1)!;
  return { h, rcv, snd: snd!, reads, ri: tcpGetInfo(h.k, rcv), si: tcpGetInfo(h.k, snd!) };
}

describe('a 1 MB write over lo (6.18: the receiver grows its buffer, the sender its window, MSS and cwnd)', () => {
  // The reader's first two reads are 6.18.44's (127973, then 95232 once the writer's
  // sk_flush_backlog() at its 16th skb restarted the copy with a larger size_goal). Past them the
  // model grows less: 6.18.44 ends at rcv_ssthresh 795112 to 1416854 over runs, the model at about
  // 313000, because its lo round trip is short (rcv_rtt 4 us against 105 us on 6.18.44), so
  // tcp_rcv_space_adjust() starts a new measurement at the first read where Linux's is still open.
  it('the receiver measures its RTT from a window (rcv_rtt > 0), raises rcvq_space and sk_rcvbuf, and the sender sees a window past 95232 and a full 65483-byte MSS (6.18.44: reads 127973 then 95232, rcv_space 235087, rcv_ssthresh 1416854, snd_wnd 1417216, mss 65483)', () => {
    const { rcv, reads, ri, si } = bulk('linux-6.x', 1_000_000);
    expect(reads.slice(0, 2)).toEqual([127973, 95232]);
    expect(ri.tcpi_rcv_rtt).toBeGreaterThan(0);
    expect(ri.tcpi_rcv_space).toBeGreaterThan(190000);
    expect(rcv.rcvbuf).toBeGreaterThan(1_000_000);
    expect(ri.tcpi_rcv_ssthresh).toBeGreaterThan(2 * 95232);
    expect(si.tcpi_snd_wnd).toBeGreaterThan(2 * 95232);
    expect(si.tcpi_snd_mss).toBe(65483);
  });

  it('10 MB: no longer bound by a 95232-byte window, the sender becomes cwnd-limited and slow start grows cwnd past 10 (6.18.44: cwnd 21 to 45, snd_wnd 1503232)', () => {
    const { si } = bulk('linux-6.x', 10_000_000);
    expect(si.tcpi_snd_wnd).toBeGreaterThan(1_000_000);
    expect(si.tcpi_snd_cwnd).toBeGreaterThan(10);
  });

  it('lo never carries an IPv4 packet of 64 KB or more: a 2-segment TSO skb is cut at gso_size (gso_features_check(); 6.18.44 tcpdump: 65483 + 32740)', () => {
    const { h } = bulk('linux-6.x', 1_000_000);
    const data = h.segs().filter((s) => s.dport === 5000 && s.payload.length);
    expect(Math.max(...data.map((s) => s.payload.length))).toBe(65483);
  });

  it('SO_RCVBUF on the reader keeps its buffer (SOCK_RCVBUF_LOCK): no autotuning, rcv_space still follows what it reads', () => {
    const { rcv, ri } = bulk('linux-6.x', 1_000_000, 100000);
    expect(rcv.rcvbuf).toBe(200000); // doubled by sock_setsockopt(), then left alone
    expect(ri.tcpi_rcv_space).toBeGreaterThan(65483);
  });
});
