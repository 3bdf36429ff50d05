/**
 * The receive side (issue 17), one test per kernel behaviour, Linux 6.18 and 4.4 where it
 * differs: socket buffers set by SO_RCVBUF/SO_SNDBUF (sk_setsockopt(), net/core/sock.c) and what
 * they do to the windows of a connection, EFAULT from an unmapped buffer (tcp_sendmsg_locked(),
 * tcp_recvmsg_locked()), TCP_USER_TIMEOUT (tcp_write_timeout(), tcp_clamp_rto_to_user_timeout()),
 * and the out-of-order queue with the SACK blocks it makes (tcp_data_queue_ofo(),
 * tcp_sack_new_ofo_skb(), tcp_dsack_set(), tcp_ofo_queue(), tcp_sack_remove()).
 *
 * Most checks are short packetdrill scripts run on the model: what the stack sends is what a
 * reader of tcpdump would see, in packetdrill's words.
 */
import { describe, expect, it } from 'vitest';
import { runScript, tunTruesize } from '../../src/packetdrill/run.ts';
import { parseScript } from '../../src/packetdrill/parse.ts';
import type { ProfileName } from '../../src/model/types.ts';

/** A packetdrill script run on the model (the selftests' defaults: tcp_rmem 4096 540000 15 MB, SACK, TS). */
function pd(body: string, profile: ProfileName = 'linux-6.x', options = '') {
  const defaultsSh = 'sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"\nsysctl -q net.ipv4.tcp_wmem="4096 $((256*1024)) 4194304"\n';
  const v = runScript(parseScript(`${options}\`./defaults.sh\`\n${body}`, 'probe.pkt'), { defaultsSh, profile });
  return v.outcome === 'pass' ? 'pass' : v.reason;
}

/** A passive open with the given listener options and SYN options, accepted as fd 4. */
const passive = (opts: string, syn: string, synack: string) => `
   +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
${opts}
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <${syn}>
   +0 > S. 0:0(0) ack 1 ${synack}
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
`;

describe('SO_RCVBUF and SO_SNDBUF (sk_setsockopt(), net/core/sock.c; 4.4 sock_setsockopt() alike)', () => {
  it.each<ProfileName>(['linux-6.x', 'linux-4.4'])('the value is doubled, at least SOCK_MIN_RCVBUF 2304 / SOCK_MIN_SNDBUF 4608, at most twice net.core.rmem_max (%s)', (profile) => {
    const max = profile === 'linux-4.4' ? 212992 : 4194304;
    expect(pd(`
   +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [20000], 4) = 0
   +0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [40000], [4]) = 0
   +0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [1000], 4) = 0
   +0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [2304], [4]) = 0
   +0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [1000], 4) = 0
   +0 getsockopt(3, SOL_SOCKET, SO_SNDBUF, [4608], [4]) = 0
   +0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [100000000], 4) = 0
   +0 getsockopt(3, SOL_SOCKET, SO_SNDBUF, [${2 * max}], [4]) = 0
`, profile)).toBe('pass');
  });

  it('SO_SNDBUF locks the buffer: tcp_init_buffer_space() does not run tcp_sndbuf_expand(), the accepted socket keeps 2 x 21000 (tcp_blocking_blocking-write.pkt)', () => {
    expect(pd(passive('   +0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [21000], 4) = 0', 'mss 1000,nop,wscale 0', '<mss 1460,nop,wscale 8>') + `
   +0 getsockopt(4, SOL_SOCKET, SO_SNDBUF, [42000], [4]) = 0
`)).toBe('pass');
  });
});

describe('an unmapped buffer: EFAULT (tcp_sendmsg_locked(), tcp_recvmsg_locked(); Linux 4.4 and 6.18)', () => {
  it('write()/send() of a NULL buffer send nothing and fail with EFAULT; read() of queued data into NULL fails and leaves the data queued', () => {
    expect(pd(passive('', 'mss 1000,nop,wscale 0', '<mss 1460,nop,wscale 8>') + `
   +0 write(4, NULL, 1000) = -1 EFAULT (Bad address)
   +0 send(4, NULL, 1000, 0) = -1 EFAULT (Bad address)
   +0 < P. 1:1001(1000) ack 1 win 257
   +0 > . 1:1(0) ack 1001
   +0 read(4, NULL, 1000) = -1 EFAULT (Bad address)
   +0 ioctl(4, SIOCINQ, [1000]) = 0
   +0 read(4, ..., 1000) = 1000
`)).toBe('pass');
  });
});

describe('the out-of-order queue and the SACK blocks it makes (tcp_data_queue_ofo(), tcp_sack_new_ofo_skb(), tcp_ofo_queue())', () => {
  const open = passive('', 'mss 1000,sackOK,nop,nop,nop,wscale 7', '<mss 1460,nop,nop,sackOK,nop,wscale 8>');
  it('each segment beyond rcv_nxt is ACKed at once with SACK blocks, newest first, contiguous ones coalesced (6.18 and 4.4)', () => {
    for (const profile of ['linux-6.x', 'linux-4.4'] as ProfileName[])
      expect(pd(open + `
   +0 < P. 1001:2001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1 <nop,nop,sack 1001:2001>
   +0 < P. 2001:3001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1 <nop,nop,sack 1001:3001>
   +0 < P. 4001:5001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1 <nop,nop,sack 4001:5001 1001:3001>
   +0 < P. 7001:8001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1 <nop,nop,sack 7001:8001 4001:5001 1001:3001>
   +0 < P. 2001:2501(500) ack 1 win 1024
   +0 > . 1:1(0) ack 1 <nop,nop,sack 2001:2501 1001:3001 7001:8001 4001:5001>
`, profile), profile).toBe('pass');
  });
  it('a segment that fills the hole: the queued data follows it, the part received twice is a D-SACK ending at the queued segment (a041f70e573e, 6.17), 4.4 D-SACKs up to the new rcv_nxt', () => {
    const body = (dsack: string) => open + `
   +0 < P. 1001:2001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1 <nop,nop,sack 1001:2001>
   +0 < P. 4001:5001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1 <nop,nop,sack 4001:5001 1001:2001>
   +0 < P. 1:3001(3000) ack 1 win 1024
   +0 > . 1:1(0) ack 3001 <nop,nop,sack ${dsack} 4001:5001>
   +0 read(4, ..., 10000) = 3000
`;
    expect(pd(body('1001:2001'))).toBe('pass');
    expect(pd(body('1001:3001'), 'linux-4.4')).toBe('pass');
  });
  it('an old segment is a D-SACK (tcp_send_dupack(), DelayedACKLost); a FIN clears the SACK state (tcp_fin(): tcp_sack_reset())', () => {
    expect(pd(open + `
   +0 < P. 1:1001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1001
   +0 < P. 1:1001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1001 <nop,nop,sack 1:1001>
   +0 < P. 2001:3001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1001 <nop,nop,sack 2001:3001>
   +0 < F. 1001:1001(0) ack 1 win 1024
   +0~+.04 > . 1:1(0) ack 1002
`)).toBe('pass');
  });
  it('6.17+: a segment that ends beyond the window is dropped unless the receive queue is empty (9ca48d616ed7, TcpExtBeyondWindow), 4.4 queues it whole', () => {
    // tcp_rmem[1] 20000: a window of 8760 (10000 rounded down to the MSS)
    const body = '   +0 `sysctl -q net.ipv4.tcp_rmem="4096 20000 4194304"`\n' + passive('', 'mss 1000,sackOK,nop,nop,nop,wscale 7', 'win 8760 <...>') + `
   +0 < P. 1:1001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1001
   +0 < P. 1001:3001(2000) ack 1 win 1024
   +0 > . 1:1(0) ack 3001
   +0 < P. 3001:13001(10000) ack 1 win 1024
`;
    expect(pd(body + '   +0 > . 1:1(0) ack 3001\n')).toBe('pass');
    // 4.4 queues it whole; rcv_nxt - rcv_wup > rcv_mss, but __tcp_select_window() (under half
    // the buffer free: icsk_ack.quick = 0) would shrink the window, so the delayed-ACK timer sends it
    expect(pd(body + '   +.04~+.05 > . 1:1(0) ack 13001\n', 'linux-4.4')).toBe('pass');
  });
});

describe('SO_RCVBUF limits the window scale (tcp_openreq_init_rwin(), tcp_connect_init(): window_clamp = tcp_full_space())', () => {
  it.each<ProfileName>(['linux-6.x', 'linux-4.4'])('a listener with SO_RCVBUF 20000 (sk_rcvbuf 40000) offers wscale 0, not the 8 of tcp_rmem[2], and win 18980 (20000 rounded down to the MSS; 4.4 caps it at 10 segments, 14600) (%s; tcp_rcv_neg_window.pkt)', (profile) => {
    const win = profile === 'linux-4.4' ? 14600 : 18980;
    expect(pd(passive('   +0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [20000], 4) = 0', 'mss 1000,nop,wscale 7', `win ${win} <mss 1460,nop,wscale 0>`), profile)).toBe('pass');
    expect(pd(passive('', 'mss 1000,nop,wscale 7', '<mss 1460,nop,wscale 8>'), profile)).toBe('pass');
  });
});

describe('tcp_synack_rtt_meas(): the passive side measures the RTT from its SYN-ACK to the ACK (tcp_rcv_state_process(), Linux 4.4 and 6.18)', () => {
  it.each<ProfileName>(['linux-6.x', 'linux-4.4'])('a 100 ms handshake without timestamps: srtt 100 ms, RTO 100 + max(2 x 100, 200) = 300 ms at HZ=1000 (%s; 6.18.44 here, HZ=250: tcpi_rtt 100163, tcpi_rto 304000 = 76 jiffies; tcp_user_timeout_user_timeout.pkt retransmits its FIN 300 ms later)', (profile) => {
    expect(pd(passive('', 'mss 1000,sackOK,nop,nop', '<mss 1460,nop,nop,sackOK>') + `
   +0 %{ assert tcpi_rto == 300000, tcpi_rto; assert tcpi_rtt == 100000, tcpi_rtt }%
`, profile)).toBe('pass');
  });
});

describe('what a tun packet costs the receiver: truesize, 6.x scaling_ratio, tcp_try_rmem_schedule() (measured on 6.18.44 with SO_MEMINFO)', () => {
  const small = passive('   +0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [10000], 4) = 0', 'mss 1000,nop,wscale 7', '<mss 1460,nop,wscale 0>');
  it('4000 bytes (four 1000-byte segments, truesize 8448) into sk_rcvbuf 20000: scaling_ratio 4000 x 256 / 8448 = 121, the window (20000 - 8448) x 121 / 256 rounded to rcv_mss: win 5000 (tcp_measure_rcv_mss(), dfa2f0483360)', () => {
    expect(pd(small + `
   +0 < P. 1:4001(4000) ack 1 win 257
   +0 > . 1:1(0) ack 4001 win 5000
`, 'linux-6.x', '--mss=1000\n')).toBe('pass');
  });
  it('segments ending beyond the window while data waits are dropped with a dupack and counted (TcpExtBeyondWindow 3); with the queue read, one is taken whole (tcp_can_ingest(): sk_rmem_alloc 0 <= sk_rcvbuf, no prune) and ACKed with win 0 by the delayed-ACK timer (tcp_rcv_big_endseq.pkt; its `*` made +0 fails on 6.18.44: the ACK came 43.5 ms later)', () => {
    expect(pd(`   0 \`nstat -n\`\n` + small + `
   +0 < P. 1:4001(4000) ack 1 win 257
   +0 > . 1:1(0) ack 4001 win 5000
   +0 < P. 4001:54001(50000) ack 1 win 257
   +0 > . 1:1(0) ack 4001 win 5000
   +0 < P. 70001:80001(10000) ack 1 win 257
   +0 > . 1:1(0) ack 4001 win 5000
   +0 \`nstat | grep TcpExtBeyondWindow | grep -q " 2 "\`
   +0 read(4, ..., 100000) = 4000
   +0 < P. 4001:54001(50000) ack 1 win 257
+.035~+.05 > . 1:1(0) ack 54001 win 0
`, 'linux-6.x', '--mss=1000\n')).toBe('pass');
  });
  it('a FIN into a full buffer is accepted (its end may pass the window) and ACKed at once: tcp_prune_queue() fails, ICSK_ACK_NOW (tcp_rcv_zero_wnd_fin.pkt)', () => {
    expect(pd(passive('   +0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [20000], 4) = 0', 'mss 1000,nop,wscale 7', '<mss 1460,nop,wscale 0>') + `
   +0 < P. 1:60001(60000) ack 1 win 257
    * > . 1:1(0) ack 60001 win 0
   +0 < F. 60001:60001(0) ack 1 win 257
   +0 > . 1:1(0) ack 60002 win 0
`, 'linux-6.x', '--mss=1000\n')).toBe('pass');
  });
});

describe('tun_get_user()\'s skb->truesize (drivers/net/tun.c; measured with SO_MEMINFO on 6.18.44)', () => {
  it('linear under a page (a kmalloc bucket + sk_buff), paged above (order-3 pages at most, the smallest order for the rest)', () => {
    expect([1000, 4000, 9000, 10000].map((n) => tunTruesize(n, 40, 1000).truesize)).toEqual([2304, 8448, 12544, 12544]);
    expect(tunTruesize(4000, 40, 1000).gsoSize).toBe(1000);
    expect(tunTruesize(0, 40, 1000)).toEqual({});
  });
  it('an out-of-order GSO packet measures rcv_mss from its gso_size (38d7e444336567, 6.17) and the window follows its truesize: win 81 (x 1024) with its SACK block (tcp_ooo_rcv_mss.pkt)', () => {
    const body = `   +0 \`sysctl -q net.ipv4.tcp_rmem="4096 131072 $((32*1024*1024))"\`\n` + passive('', 'mss 1000,nop,nop,sackOK,nop,wscale 7', '<mss 1460,nop,nop,sackOK,nop,wscale 10>') + `
   +0 < . 2001:11001(9000) ack 1 win 257
   +0 > . 1:1(0) ack 1 win 81 <nop,nop,sack 2001:11001>
   +0 %{ assert tcpi_rcv_mss == 1000, tcpi_rcv_mss }%
`;
    expect(pd(body, 'linux-6.x', '--mss=1000\n')).toBe('pass');
  });
});

describe('recv(MSG_PEEK) (tcp_recvmsg_locked() reading from peek_seq; Linux 4.4 and 6.18)', () => {
  it.each<ProfileName>(['linux-6.x', 'linux-4.4'])('peeked bytes stay queued (SIOCINQ unchanged) and a read gets them again; after a FIN a peek returns 0 and leaves EOF to read (%s)', (profile) => {
    expect(pd(passive('', 'mss 1000,nop,wscale 0', '<mss 1460,nop,wscale 8>') + `
   +0 < P. 1:1001(1000) ack 1 win 257
   +0 > . 1:1(0) ack 1001
   +0 recv(4, ..., 600, MSG_PEEK) = 600
   +0 recv(4, ..., 2000, MSG_PEEK) = 1000
   +0 ioctl(4, SIOCINQ, [1000]) = 0
   +0 read(4, ..., 2000) = 1000
   +0 < F. 1001:1001(0) ack 1 win 257
   +0~+.04 > . 1:1(0) ack 1002
   +0 recv(4, ..., 2000, MSG_PEEK) = 0
   +0 read(4, ..., 2000) = 0
`, profile)).toBe('pass');
  });
});

describe('sendmsg() in packetdrill scripts (the runner: one tcp_sendmsg() of the iovecs\' bytes)', () => {
  it('three iovecs of 100, 200 and 195 bytes with MSG_MORE are held with the rest, then flushed by a send without it (tcp_nagle_sendmsg_msg_more.pkt)', () => {
    expect(pd(passive('', 'mss 1000,nop,wscale 7', '<mss 1460,nop,wscale 8>') + `
   +0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0
   +0 sendmsg(4, {msg_name(...)=..., msg_iov(3)=[{..., 100}, {..., 200}, {..., 195}], msg_flags=0}, MSG_MORE) = 495
 +.01 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 5}], msg_flags=0}, 0) = 5
   +0 > P. 1:501(500) ack 1
`)).toBe('pass');
  });
});
