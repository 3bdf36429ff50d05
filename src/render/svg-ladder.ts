/**
 * A packet ladder in the style of Wireshark's flow graph, as an SVG string: one column per
 * endpoint (address:port), one arrow per segment with its flags, seq/ack and time.
 * Pure. Colours come from CSS custom properties so light/dark themes and print work.
 */
import type { Segment } from '../model/types.ts';
import { TH_ACK, TH_FIN, TH_PSH, TH_RST, TH_SYN } from '../model/types.ts';

export interface LadderPacket {
  /** ns since the experiment's start */
  t: number;
  seg: Segment;
}

export interface LadderOptions {
  /** Index of the packet to highlight (the one at the current moment). */
  highlight?: number;
  title: string;
  description: string;
  /** Labels: e.g. { time: 'time (s)' } */
  rowHeight?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function flagText(f: number): string {
  const out: string[] = [];
  if (f & TH_SYN) out.push('SYN');
  if (f & TH_FIN) out.push('FIN');
  if (f & TH_RST) out.push('RST');
  if (f & TH_PSH) out.push('PSH');
  if (f & TH_ACK) out.push('ACK');
  return out.join(', ');
}

/** Relative seq/ack per direction, like Wireshark's (first SYN of a direction is 0). */
function relative(pkts: LadderPacket[]): { seq: number; ack: number | null }[] {
  const base = new Map<string, number>();
  return pkts.map(({ seg }) => {
    const fwd = `${seg.sport}>${seg.dport}`;
    const rev = `${seg.dport}>${seg.sport}`;
    if (seg.flags & TH_SYN) base.set(fwd, seg.seq);
    const b = base.get(fwd);
    const rb = base.get(rev);
    return {
      seq: b === undefined ? seg.seq : (seg.seq - b) >>> 0,
      ack: seg.flags & TH_ACK ? (rb === undefined ? seg.ack : (seg.ack - rb) >>> 0) : null,
    };
  });
}

export function renderLadder(pkts: LadderPacket[], o: LadderOptions): string {
  const ports: number[] = [];
  for (const { seg } of pkts) for (const p of [seg.sport, seg.dport]) if (!ports.includes(p)) ports.push(p);
  // the well-known (listening) port on the right, clients on the left
  ports.sort((a, b) => (a === 12345 ? 1 : b === 12345 ? -1 : 0));
  const rowH = o.rowHeight ?? 26;
  const colW = 190;
  const left = 96;
  const top = 44;
  const width = left + colW * Math.max(1, ports.length - 1) + 60;
  const height = top + rowH * pkts.length + 16;
  const x = (p: number) => left + colW * ports.indexOf(p);
  const rel = relative(pkts);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="tcp-ladder" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="ladder-title ladder-desc">`);
  parts.push(`<title id="ladder-title">${esc(o.title)}</title><desc id="ladder-desc">${esc(o.description)}</desc>`);
  parts.push(`<style>.tcp-ladder{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--tcp-fg,currentColor)}.tcp-ladder .axis{stroke:var(--tcp-muted,#888);stroke-dasharray:3 3}.tcp-ladder .arrow{stroke:currentColor;fill:none}.tcp-ladder .head{fill:currentColor}.tcp-ladder .rst{stroke:var(--tcp-bad,#c0392b)}.tcp-ladder .rst+.head{fill:var(--tcp-bad,#c0392b)}.tcp-ladder .cur .arrow,.tcp-ladder .cur text{stroke-width:2.5;font-weight:700;color:var(--tcp-accent,#1565c0)}.tcp-ladder text{fill:currentColor}.tcp-ladder .t{fill:var(--tcp-muted,#777)}</style>`);
  for (const p of ports) {
    parts.push(`<text x="${x(p)}" y="18" text-anchor="middle">127.0.0.1:${p}</text>`);
    parts.push(`<line class="axis" x1="${x(p)}" y1="26" x2="${x(p)}" y2="${height - 8}"/>`);
  }
  pkts.forEach(({ t, seg }, i) => {
    const y = top + i * rowH;
    const x1 = x(seg.sport);
    const x2 = x(seg.dport);
    const r = rel[i];
    const label = `${flagText(seg.flags)} seq=${r.seq}${r.ack !== null ? ` ack=${r.ack}` : ''}`;
    const cls = i === o.highlight ? ' cur' : '';
    parts.push(`<g class="pkt${cls}" data-packet="${i + 1}"${i === o.highlight ? ' aria-current="true"' : ''}>`);
    parts.push(`<text class="t" x="4" y="${y + 4}">${(t / 1e9).toFixed(6)}</text>`);
    const dir = x2 > x1 ? 1 : -1;
    parts.push(`<line class="arrow${seg.flags & TH_RST ? ' rst' : ''}" x1="${x1}" y1="${y}" x2="${x2 - dir * 7}" y2="${y}"/>`);
    parts.push(`<path class="head" d="M${x2} ${y}L${x2 - dir * 9} ${y - 4}L${x2 - dir * 9} ${y + 4}z"/>`);
    parts.push(`<text x="${(x1 + x2) / 2}" y="${y - 5}" text-anchor="middle">${esc(label)}</text>`);
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('');
}
