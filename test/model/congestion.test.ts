/**
 * Congestion control on the send path (issue 17 §4): each behaviour as a short packetdrill
 * script run against the model (src/packetdrill, the stack at 192.168.0.1 over tun0 with
 * --mss 1000 from the peer), asserting the segments on the wire and cwnd as TCP_INFO shows it.
 * Linux 6.18 is the reference; the expectations are what 6.18.44 sends for the kernel's own
 * selftests of the same behaviour (tcp_slow_start_*, tcp_limited_transmit_*, tcp_fast_recovery_*,
 * tcp_eor_*), which the model passes too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KSFT_IPV4_DEFINES, parseScript } from '../../src/packetdrill/parse.ts';
import { runScript } from '../../src/packetdrill/run.ts';
import { tcpCongAvoidAi, tcpRenoSsthresh, tcpSlowStart } from '../../src/model/tcp_cong.ts';
import { cubictcpRecalcSsthresh } from '../../src/model/tcp_cubic.ts';
import { newTcpSock } from '../../src/model/sock.ts';
import { TCP_ESTABLISHED } from '../../src/model/types.ts';

const DEFAULTS = readFileSync(new URL('../../../shared/peer-suites/linux-selftests-packetdrill/defaults.sh', import.meta.url), 'utf8');

function run(body: string, sysctls = '') {
  const text = `\`./defaults.sh${sysctls ? `\n${sysctls}` : ''}\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 320
   +0 accept(3, ..., ...) = 4
${body}`;
  return runScript(parseScript(text, 'congestion.pkt', { defines: KSFT_IPV4_DEFINES }), { profile: 'linux-6.x', defaultsSh: DEFAULTS });
}

describe('the initial window and slow start (tcp_cong.c, tcp_output.c; 6.18)', () => {
  it('tcp_cwnd_test(): a 15000-byte write sends TCP_INIT_CWND (10) segments, then nothing until an ACK', () => {
    const v = run(`   +0 write(4, ..., 15000) = 15000
   +0 > P. 1:10001(10000) ack 1
   +0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%
 +.05 %{ assert tcpi_unacked == 10, tcpi_unacked }%
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });
  it('tcp_slow_start(): an ACK of 2 packets raises cwnd by 2 and lets 2 + 2 segments out; a 2-segment TSO packet carries PSH on 6.x', () => {
    const v = run(`   +0 write(4, ..., 30000) = 30000
   +0 > P. 1:10001(10000) ack 1
 +.1 < . 1:1(0) ack 2001 win 320
   +0 %{ assert tcpi_snd_cwnd == 12, tcpi_snd_cwnd }%
   +0 > P. 10001:12001(2000) ack 1
   +0 > P. 12001:14001(2000) ack 1
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });
  it('tcp_is_cwnd_limited(): a sender that used half of cwnd does not grow it (slow start only to twice what was in flight)', () => {
    const v = run(`   +0 write(4, ..., 5000) = 5000
   +0 > P. 1:5001(5000) ack 1
 +.1 < . 1:1(0) ack 5001 win 320
   +0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });
  it('tcp_cwnd_restart(): after 2 s idle (tcp_slow_start_after_idle=1) cwnd is back to 10 and a write sends 10 segments', () => {
    const v = run(`   +0 write(4, ..., 10000) = 10000
   +0 > P. 1:10001(10000) ack 1
 +.1 < . 1:1(0) ack 10001 win 320
   +0 %{ assert tcpi_snd_cwnd == 20, tcpi_snd_cwnd }%
   +2 write(4, ..., 20000) = 20000
   +0 > P. 10001:20001(10000) ack 1
   +0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%
`, 'sysctl -q net.ipv4.tcp_slow_start_after_idle=1');
    expect(v).toMatchObject({ outcome: 'pass' });
  });
});

describe('loss recovery (tcp_input.c, tcp_recovery.c; 6.18)', () => {
  /** Ten segments out, the first lost: three SACKs, the third of which RACK takes as the loss. */
  const SACK_LOSS = `   +0 write(4, ..., 10000) = 10000
   +0 > P. 1:10001(10000) ack 1
 +.11 < . 1:1(0) ack 1 win 320 <sack 1001:2001,nop,nop>
 +.01 < . 1:1(0) ack 1 win 320 <sack 1001:3001,nop,nop>
 +.01 < . 1:1(0) ack 1 win 320 <sack 1001:4001,nop,nop>
   +0 > . 1:1001(1000) ack 1
`;
  it('tcp_sacktag_write_queue() + RACK + tcp_enter_recovery(): the third SACK marks the hole lost, it is retransmitted at once, cwnd = ssthresh = 7 (cubic: 10 x 717/1024), state Recovery', () => {
    const v = run(`${SACK_LOSS}   +0 %{
assert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state
assert tcpi_snd_cwnd == 7, tcpi_snd_cwnd
assert tcpi_snd_ssthresh == 7, tcpi_snd_ssthresh
}%
 +.01 < . 1:1(0) ack 10001 win 320
   +0 %{ assert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state }%
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });
  it('net.ipv4.tcp_congestion_control=reno: the same loss halves the window instead (tcp_reno_ssthresh(): ssthresh 5)', () => {
    const v = run(`${SACK_LOSS}   +0 %{
assert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state
assert tcpi_snd_ssthresh == 5, tcpi_snd_ssthresh
}%
`, 'sysctl -q net.ipv4.tcp_congestion_control=reno');
    expect(v).toMatchObject({ outcome: 'pass' });
    const bad = run(`   +0 write(4, ..., 1000) = 1000
`, 'sysctl -q net.ipv4.tcp_congestion_control=bbr');
    expect(bad.outcome).toBe('fail'); // the model has no bbr: the write is refused, as a kernel without the module refuses it
  });
  it('limited transmit (RFC 3042, tcp_add_reno_sack()): without SACK each of the first two duplicate ACKs sends one new segment, without PSH', () => {
    const v = runScript(parseScript(`\`./defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 320
   +0 accept(3, ..., ...) = 4
   +0 write(4, ..., 15000) = 15000
   +0 > P. 1:10001(10000) ack 1
 +.11 < . 1:1(0) ack 1 win 320
   +0 > . 10001:11001(1000) ack 1
 +.01 < . 1:1(0) ack 1 win 320
   +0 > . 11001:12001(1000) ack 1
`, 'lt.pkt', { defines: KSFT_IPV4_DEFINES }), { profile: 'linux-6.x', defaultsSh: DEFAULTS });
    expect(v).toMatchObject({ outcome: 'pass' });
  });
});

describe('tail loss probe (tcp_schedule_loss_probe(), tcp_send_loss_probe(); 6.18)', () => {
  it('two segments unanswered: the last one is probed again after 2 x srtt + 2 ms (before the 300 ms RTO), then the RTO resends the first', () => {
    const v = run(`   +0 write(4, ..., 2000) = 2000
   +0 > P. 1:2001(2000) ack 1
+.202 > P. 1001:2001(1000) ack 1
  +.3 > . 1:1001(1000) ack 1
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });
});

describe('the retransmission timeout (tcp_enter_loss(), 6.18)', () => {
  it('the RTO marks the flight lost: cwnd 1, ssthresh 7 (cubic), state Loss; the ACK of the head grows cwnd to 2 and both lost segments go again', () => {
    const v = run(`   +0 write(4, ..., 3000) = 3000
   +0 > P. 1:3001(3000) ack 1
+.202 > P. 2001:3001(1000) ack 1
  +.3 > . 1:1001(1000) ack 1
   +0 %{
assert tcpi_ca_state == TCP_CA_Loss, tcpi_ca_state
assert tcpi_snd_cwnd == 1, tcpi_snd_cwnd
assert tcpi_snd_ssthresh == 7, tcpi_snd_ssthresh
}%
 +.01 < . 1:1(0) ack 1001 win 320
   +0 > P. 1001:3001(2000) ack 1
   +0 %{
assert tcpi_snd_cwnd == 2, tcpi_snd_cwnd
assert tcpi_bytes_sent == 7000, tcpi_bytes_sent        # 3000 + the probe's 1000 + 1000 + 2000
assert tcpi_bytes_retrans == 4000, tcpi_bytes_retrans
assert tcpi_total_retrans == 4, tcpi_total_retrans
}%
 +.01 < . 1:1(0) ack 3001 win 320
   +0 %{ assert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state }%
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });
});

describe('the delivery rate (tcp_rate.c, 6.18)', () => {
  it('tcp_rate_gen(): 2 packets acked 100 ms after the flight left give ~20 kB/s, then 4 more in the same window ~40 kB/s, app-limited from the first flight (6.18.44: 19936 and 39867 B/s, app_limited 1)', () => {
    const v = run(`   +0 write(4, ..., 30000) = 30000
   +0 > P. 1:10001(10000) ack 1
  +.1 < . 1:1(0) ack 2001 win 320
   +0 > P. 10001:14001(4000) ack 1
   +0 %{
assert 19500 <= tcpi_delivery_rate <= 20500, tcpi_delivery_rate
assert tcpi_delivery_rate_app_limited == 1, tcpi_delivery_rate_app_limited
}%
 +.05 < . 1:1(0) ack 6001 win 320
   +0 %{ assert 39000 <= tcpi_delivery_rate <= 41000, tcpi_delivery_rate }%
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });
});

describe('MSG_EOR (tcp_skb_can_collapse_to(), 6.18)', () => {
  it('a write after send(MSG_EOR) starts a new skb: the record leaves as its own packet (the 500 bytes after it wait for its ACK, Nagle)', () => {
    const v = run(`   +0 send(4, ..., 1500, MSG_EOR) = 1500
   +0 write(4, ..., 500) = 500
   +0 > P. 1:1501(1500) ack 1
 +.1 < . 1:1(0) ack 1501 win 320
   +0 > P. 1501:2001(500) ack 1
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });
});

describe('the window arithmetic (tcp_cong.c, tcp_cubic.c)', () => {
  const sk = () => {
    const s = newTcpSock(1, 1, TCP_ESTABLISHED);
    s.sndCwnd = 10;
    return s;
  };
  it('tcp_slow_start() stops at ssthresh and returns the rest; tcp_cong_avoid_ai() adds one packet per cwnd acked', () => {
    const s = sk();
    s.sndSsthresh = 12;
    expect(tcpSlowStart(s, 5)).toBe(3);
    expect(s.sndCwnd).toBe(12);
    tcpCongAvoidAi(s, s.sndCwnd, 12);
    expect(s.sndCwnd).toBe(13);
  });
  it('ssthresh after a loss: reno halves cwnd (tcp_reno_ssthresh()), cubic keeps 717/1024 of it (cubictcp_recalc_ssthresh())', () => {
    const s = sk();
    s.sndCwnd = 100;
    expect(tcpRenoSsthresh(s)).toBe(50);
    expect(cubictcpRecalcSsthresh(null as never, s)).toBe(70);
  });
});
