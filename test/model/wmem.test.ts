/**
 * The sender's memory accounting (issue 17): sk_wmem_queued charged by skb truesize, as Linux
 * 6.18 does, checked with packetdrill scripts against the model with the figures SO_MEMINFO gave
 * on 6.18.44 (this machine, the real packetdrill in `unshare -n`, cubic, tcp_min_tso_segs 10,
 * peer window 50000, mss 1000). Each skb tcp_stream_alloc_skb() allocates costs its head,
 * SKB_TRUESIZE() = 832, plus the bytes copied into its page frags (tcp_skb_entail(),
 * skb_copy_to_page_nocache()); tso_fragment()/tcp_fragment() allocate another head and move the
 * payload's truesize; tcp_clean_rtx_queue() frees an acked skb's truesize (sk_wmem_free_skb()),
 * tcp_trim_head() the acked bytes of a partly acked one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KSFT_IPV4_DEFINES, parseScript } from '../../src/packetdrill/parse.ts';
import { runScript } from '../../src/packetdrill/run.ts';

const DEFAULTS = readFileSync(new URL('../../../shared/peer-suites/linux-selftests-packetdrill/defaults.sh', import.meta.url), 'utf8');

function run(body: string) {
  const text = `\`./defaults.sh
./set_sysctls.py /proc/sys/net/ipv4/tcp_min_tso_segs=10
\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 50000 <mss 1000,nop,wscale 0>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 50000
   +0 accept(3, ..., ...) = 4
${body}`;
  return runScript(parseScript(text, 'wmem.pkt', { defines: KSFT_IPV4_DEFINES }), { profile: 'linux-6.x', defaultsSh: DEFAULTS });
}

const wmem = (n: number) => `   +0 %{ assert SK_MEMINFO_WMEM_QUEUED == ${n}, SK_MEMINFO_WMEM_QUEUED }%\n`;

describe('sk_wmem_queued by truesize (tcp_stream_alloc_skb(), tcp.c; Linux 6.18)', () => {
  it('one skb per write into an empty write queue: payload + 832; a sent one is not the tail, so the next write starts a new skb', () => {
    const v = run(`   +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [100000], 4) = 0
   +0 write(4, ..., 5000) = 5000
   +0 > P. 1:5001(5000) ack 1
${wmem(5832)}   +0 write(4, ..., 3000) = 3000
   +0 > P. 5001:8001(3000) ack 1
${wmem(9664)}`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });

  it('tso_fragment(): cwnd 10 sends two packets of 5 (tcp_cwnd_test(): half of cwnd), each cut off its skb with a new head: write(20000) -> 20000 + 3 x 832 = 22496', () => {
    const v = run(`   +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [100000], 4) = 0
   +0 write(4, ..., 20000) = 20000
   +0 > P. 1:5001(5000) ack 1
   +0 > P. 5001:10001(5000) ack 1
${wmem(22496)}   +0 %{ assert tcpi_notsent_bytes == 10000, tcpi_notsent_bytes }%
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });

  it('tcp_xmit_size_goal(): skbs of half the peer window (25000); 55000 bytes behind a sent flight take three heads (57496)', () => {
    const v = run(`   +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [100000], 4) = 0
   +0 write(4, ..., 10000) = 10000
   +0 > P. 1:10001(10000) ack 1
${wmem(11664)}   +0 write(4, ..., 55000) = 55000
${wmem(69160)}`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });

  it('blocking-write.pkt (SO_SNDBUF 21000 -> 42000): the copy only checks memory for a new skb, tcp_push_one() sends a full one at once and its unsent rest takes more bytes, so 60000 of 61000 are queued (63328); ACKs free truesize and the writer sleeps until a third of the buffer is free (sk_stream_write_space())', () => {
    const v = run(`   +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [21000], 4) = 0
   +0...0.300 write(4, ..., 61000) = 61000
 +.01 %{ assert SK_MEMINFO_WMEM_QUEUED == 63328, SK_MEMINFO_WMEM_QUEUED }%
   +0 %{ assert tcpi_notsent_bytes == 50000, tcpi_notsent_bytes }%
 +.09 < . 1:1(0) ack 10001 win 50000
${wmem(53328)}   +0 %{ assert tcpi_unacked == 20, tcpi_unacked }%
 +.1 < . 1:1(0) ack 30001 win 50000
${wmem(32496)}   +0 %{ assert tcpi_unacked == 30, tcpi_unacked }%
 +.1 < . 1:1(0) ack 36001 win 50000
`);
    expect(v).toMatchObject({ outcome: 'pass' });
  });
});
