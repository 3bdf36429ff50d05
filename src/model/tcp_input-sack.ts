/**
 * net/ipv4/tcp_input.c, the SACK scoreboard (Linux 4.4 and 6.18): tcp_sacktag_write_queue()
 * marks the sent skbs a SACK block covers (TCPCB_SACKED_ACKED), splitting an skb at a block's
 * edge on a segment boundary (tcp_match_skb_to_sack() with tcp_fragment()), counts them in
 * sacked_out and delivered and out of lost_out/retrans_out, and feeds RACK the newest skb
 * delivered (tcp_rack_advance()).
 *
 * A SACK below the highest one for a segment never retransmitted is reordering
 * (tcp_check_sack_reordering()). Deliberate differences: no D-SACK processing (a block below
 * snd_una is ignored, undo by DSACK is not modelled), no skb shifting or collapsing (tcp_shift_skb_data(): the model's skbs keep
 * their boundaries, which changes no segment on the wire), no SACK reneging.
 */
import type { Kernel } from './kernel.ts';
import { after, before } from './seq.ts';
import type { TcpSock, WSkb } from './sock.ts';
import { tcpRateSkbDelivered, type RateSample } from './tcp_rate.ts';
import { tcpRackAdvance } from './tcp_recovery.ts';
import { tcpFragment } from './tcp_output.ts';
import type { TcpOption } from './types.ts';

export const TCPCB_SACKED_ACKED = 0x01;
export const TCPCB_SACKED_RETRANS = 0x02;
export const TCPCB_LOST = 0x04;
export const TCPCB_EVER_RETRANS = 0x80;

/** The SACK blocks of a segment's options (int32 sequence numbers), as tcp_parse_options() keeps them. */
export function sackBlocks(options: TcpOption[]): [number, number][] {
  for (const o of options) if (o.kind === 'sack') return o.blocks.map(([s, e]) => [s | 0, e | 0]);
  return [];
}

/**
 * tcp_sacktag_write_queue(): tag what each valid block (within snd_una..snd_nxt,
 * tcp_is_sackblock_valid()) covers; returns the packets newly sacked.
 */
export function tcpSacktagWriteQueue(k: Kernel, sk: TcpSock, blocks: [number, number][], rs: RateSample): number {
  let newly = 0;
  const st = { reord: sk.sndNxt, fack: tcpHighestSackSeq(sk), rs };
  // the blocks in sequence order, as tcp_sacktag_write_queue() sorts them
  const sorted = blocks.filter(([start, end]) => before(start, end) && after(end, sk.sndUna) && !after(end, sk.sndNxt) && !before(start, sk.sndUna)).sort((a, b) => (before(a[0], b[0]) ? -1 : 1));
  for (const [start, end] of sorted) newly += tcpSacktagBlock(k, sk, start, end, st);
  if (before(st.reord, sk.sndNxt)) tcpCheckSackReordering(sk, st.reord);
  return newly;
}

/** tcp_highest_sack_seq(): the end of the highest sacked skb (snd_una with nothing sacked). */
function tcpHighestSackSeq(sk: TcpSock): number {
  let fack = sk.sndUna;
  for (let i = 0; i < sk.sendHead; i++) {
    const skb = sk.writeQueue[i];
    if ((skb.sacked ?? 0) & TCPCB_SACKED_ACKED && after(skb.end, fack)) fack = skb.end;
  }
  return fack;
}

/**
 * tcp_check_sack_reordering(): a SACK for a never-retransmitted skb below the highest one sacked
 * is reordering: tp->reordering grows to the distance in segments (at most tcp_max_reordering,
 * 300) and reord_seen counts it (RACK's reordering window opens then).
 */
function tcpCheckSackReordering(sk: TcpSock, lowSeq: number): void {
  const fack = tcpHighestSackSeq(sk);
  if (!before(lowSeq, fack)) return;
  const metric = (fack - lowSeq) | 0;
  if (metric > sk.reordering * sk.mss && sk.mss) sk.reordering = Math.min(Math.ceil(metric / sk.mss), 300);
  sk.reordSeen++;
}

/** One block: split the skbs at its edges (whole segments), then tag those inside. */
function tcpSacktagBlock(k: Kernel, sk: TcpSock, start: number, end: number, st: { reord: number; fack: number; rs: RateSample }): number {
  let newly = 0;
  for (let i = 0; i < sk.sendHead; i++) {
    const skb = sk.writeQueue[i];
    if (!after(skb.end, start)) continue;
    if (!before(skb.seq, end)) break;
    if ((skb.sacked ?? 0) & TCPCB_SACKED_ACKED) continue;
    // tcp_match_skb_to_sack(): cut at the block's edges, rounded to the MSS
    if (before(skb.seq, start)) {
      const len = Math.floor(((start - skb.seq) | 0) / sk.mss) * sk.mss;
      if (len > 0 && len < skb.data.length) tcpFragment(k, sk, i, len);
      continue; // the part before the block stays; the next iteration sees the rest
    }
    if (after(skb.end, end)) {
      let len = (end - skb.seq) | 0;
      if (len < skb.data.length) len = Math.floor(len / sk.mss) * sk.mss;
      if (len <= 0) break;
      if (len < skb.data.length) tcpFragment(k, sk, i, len);
      else if (skb.fin) break;
    }
    newly += tcpSacktagOne(k, sk, sk.writeQueue[i], st);
  }
  return newly;
}

/** tcp_sacktag_one(): one skb becomes SACKED_ACKED. */
function tcpSacktagOne(k: Kernel, sk: TcpSock, skb: WSkb, st: { reord: number; fack: number; rs: RateSample }): number {
  const pcount = skb.pcount ?? 1;
  let sacked = skb.sacked ?? 0;
  if (sacked & TCPCB_SACKED_RETRANS) {
    // a retransmission sacked: still in flight unless it was lost again
    if (sacked & TCPCB_LOST) {
      sacked &= ~(TCPCB_LOST | TCPCB_SACKED_RETRANS);
      sk.lostOut -= pcount;
      sk.retransOut -= pcount;
    }
  } else {
    // "New sack for not retransmitted frame, which was in hole. It is reordering."
    if (!(sacked & TCPCB_EVER_RETRANS) && before(skb.seq, st.fack) && before(skb.seq, st.reord)) st.reord = skb.seq;
    if (sacked & TCPCB_LOST) {
      sacked &= ~TCPCB_LOST;
      sk.lostOut -= pcount;
    }
  }
  skb.sacked = sacked | TCPCB_SACKED_ACKED;
  sk.sackedOut += pcount;
  sk.delivered += pcount;
  tcpRackAdvance(k, sk, skb);
  tcpRateSkbDelivered(sk, skb, st.rs, true);
  return pcount;
}
