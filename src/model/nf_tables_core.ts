/**
 * net/netfilter/nf_tables_core.c (`nft_do_chain()`) and the rule list of
 * net/netfilter/nf_tables_api.c (`nf_tables_newrule()`, `nf_tables_delrule()`), for the one
 * rule shape `iptables` (1.8.9, the nf_tables backend) writes in the experiments:
 * `-A|-I|-D INPUT -p tcp --dport|--sport PORT -j DROP`. Linux 4.4 and 6.18 alike.
 *
 * The chain is the filter table's INPUT chain, on the NF_INET_LOCAL_IN hook that
 * ip_local_deliver() passes a packet through (net/ipv4/ip_input.c) after lo's receive softirq and
 * before tcp_v4_rcv(): a packet taps saw leaving (tcpdump shows it) is dropped there, so the
 * socket it was for never hears of it, which is how a peer that "vanished" looks from the sender.
 *
 * Deliberate differences: no other table, chain, match or target; rules live per network
 * namespace (one Kernel) in a WeakMap beside it instead of in `struct net`, and a packet that no
 * rule matches costs one counter test. The drop is traced as the segment's `rcv` verdict,
 * `dropped` / `filtered`, with no socket (SKB_DROP_REASON_NETFILTER_DROP).
 */
import type { Kernel } from './kernel.ts';
import { rcvVerdict } from './trace.ts';
import type { Segment } from './types.ts';

export interface NftRule {
  /** `--dport` (the segment's destination port) or `--sport`. */
  match: 'dport' | 'sport';
  port: number;
  verdict: 'drop';
}

const chains = new WeakMap<Kernel, NftRule[]>();
/** How many namespaces have an INPUT rule: the hook's fast path when none has. */
let active = 0;

const same = (a: NftRule, b: NftRule) => a.match === b.match && a.port === b.port && a.verdict === b.verdict;

/** nf_tables_newrule(): append (`-A`) or insert at the head (`-I`). */
export function nftNewRule(k: Kernel, rule: NftRule, head: boolean): void {
  let c = chains.get(k);
  if (!c) {
    chains.set(k, (c = []));
  }
  if (!c.length) active++;
  if (head) c.unshift(rule);
  else c.push(rule);
}

/** nf_tables_delrule() of the first rule equal to `rule` (`-D`); false when none is (iptables: "Bad rule"). */
export function nftDelRule(k: Kernel, rule: NftRule): boolean {
  const c = chains.get(k);
  const i = c ? c.findIndex((r) => same(r, rule)) : -1;
  if (i < 0) return false;
  c!.splice(i, 1);
  if (!c!.length) active--;
  return true;
}

/** The INPUT chain's rules, in order (what `iptables -S INPUT` lists). */
export function nftRules(k: Kernel): readonly NftRule[] {
  return chains.get(k) ?? [];
}

/**
 * nft_do_chain() on NF_INET_LOCAL_IN: true when the packet may go on to tcp_v4_rcv(); a DROP
 * verdict frees it (traced as its `rcv` verdict).
 */
export function nftDoChain(k: Kernel, seg: Segment): boolean {
  if (!active) return true;
  const c = chains.get(k);
  if (!c) return true;
  for (const r of c) {
    if ((r.match === 'dport' ? seg.dport : seg.sport) !== r.port) continue;
    rcvVerdict(k, seg, null, 'dropped', 'filtered');
    return false;
  }
  return true;
}
