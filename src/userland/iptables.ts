/**
 * iptables 1.8.9 (nf_tables), the part the experiments use: `-A|-I|-D INPUT -p tcp
 * --dport|--sport PORT -j DROP` on the filter table (src/model/nf_tables_core.ts). Adding a
 * rule prints nothing; deleting one that does not exist prints iptables' message and exits 1,
 * as on Debian 12. A line outside that shape (the sandbox lets a reader type one) gets a
 * message naming what the model implements and status 2, iptables' status for a usage error.
 */
import type { Program, Sys } from '../model/process.ts';
import { nftDelRule, nftNewRule, type NftRule } from '../model/nf_tables_core.ts';
import { IPTABLES_USAGE } from './cmdline.ts';

/** What one netlink transaction of iptables-nft costs (it opens, sends a batch and reads the acks). */
const IPTABLES_NS = 2_000_000;

export function iptablesRule(args: string[]): { cmd: string; rule: NftRule } | null {
  const [cmd, chain, p, proto, m, port, j, target, ...rest] = args;
  if (!['-A', '-I', '-D'].includes(cmd) || chain !== 'INPUT' || p !== '-p' || proto !== 'tcp' || (m !== '--dport' && m !== '--sport')) return null;
  if (!/^[1-9][0-9]{0,4}$/.test(port ?? '') || Number(port) > 65535 || j !== '-j' || target !== 'DROP' || rest.length) return null;
  return { cmd, rule: { match: m === '--dport' ? 'dport' : 'sport', port: Number(port), verdict: 'drop' } };
}

export const iptables: Program = function* (ctx): Generator<Sys, number, any> {
  const r = iptablesRule(ctx.argv.slice(1));
  if (!r) {
    yield { op: 'write', fd: 2, data: `iptables: this line is not modelled (tcp-lab), ${IPTABLES_USAGE.replace(/`/g, '')}\n` };
    return 2;
  }
  yield { op: 'cpu', ns: IPTABLES_NS };
  if (r.cmd === '-D') {
    if (nftDelRule(ctx.k, r.rule)) return 0;
    yield { op: 'write', fd: 2, data: 'iptables: Bad rule (does a matching rule exist in that chain?).\n' };
    return 1;
  }
  nftNewRule(ctx.k, r.rule, r.cmd === '-I');
  return 0;
};
