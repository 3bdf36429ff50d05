/**
 * A packet ladder in the style of Wireshark's flow graph, as an SVG string: one column per
 * endpoint (address:port), one arrow per segment with its frame number, time, flags and relative
 * seq/ack; a challenge ACK or a retransmission is marked in words.
 *
 * Laid out for a given width, never scaled to fit: text stays at its size (13 px, never below
 * 12 px) and the layout changes instead. Wide: a time column and the label above each arrow.
 * Narrow (below 520 px): endpoints named by port, each row's text on its own line(s) above the
 * arrow. Pure. Colours come from CSS custom properties so light/dark themes and print work.
 */
import type { Segment } from '../model/types.ts';
import { TH_ACK, TH_FIN, TH_PSH, TH_RST, TH_SYN } from '../model/types.ts';
import type { PacketMark } from './narrate.ts';

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
  /** The width to lay out for, in px (default 640). */
  width?: number;
  /** Per packet: a mark to print beside its label, and the words for each mark. */
  marks?: readonly PacketMark[];
  markLabels?: Readonly<Record<'challenge' | 'retrans', string>>;
  /** Frame number of the first packet (default 1): a figure may show frames 6–10 only. */
  firstFrame?: number;
  /** Reserve room for this many packets (default: all given), so a growing ladder keeps its height. */
  rows?: number;
  /** Unique prefix of the title/desc ids when several ladders share a page (default "ladder"). */
  id?: string;
  /** Include the <style> element (default true). The live widget styles from the page instead. */
  style?: boolean;
  /**
   * For the live widget: the rows sit under a clip rectangle and a highlight band, so that
   * showing packets 1..n and marking the n-th changes two attributes (see src/widgets/sim.ts),
   * not the style of every row. Each row carries its top and bottom (data-y0, data-y1).
   */
  clip?: boolean;
  /** With `clip`: room for this many rows (any run of them); the widget slides the rows up past it. */
  window?: number;
}

/** Font size of every label, px. */
export const LADDER_FONT_PX = 13;
/** Packets in view at once in the live widget (the seed collision's 13 all fit) and its fallback. */
export const LADDER_WINDOW = 14;
/** Below this width the narrow layout is used. */
export const NARROW_PX = 520;

/** An en space: SVG collapses ordinary runs of spaces. */
const SP = '\u2002';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Estimated width of a text in a monospace font: CJK characters take a full em. */
export function textWidth(s: string, px: number): number {
  let w = 0;
  for (const ch of s) w += /[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? px : px * 0.61;
  return w;
}

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
function relative(pkts: readonly LadderPacket[]): { seq: number; ack: number | null }[] {
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

/** The ladder's rules, for a page stylesheet (the live widget) or the SVG's own <style>. */
export const LADDER_CSS =
  `.tcp-ladder{font:${LADDER_FONT_PX}px ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--tcp-fg,currentColor)}.tcp-ladder .axis{stroke:var(--tcp-muted,#888);stroke-dasharray:3 3}.tcp-ladder .arrow{stroke:currentColor;fill:none}.tcp-ladder .head{fill:currentColor}.tcp-ladder .rst{stroke:var(--tcp-bad,#c0392b)}.tcp-ladder .rst+.head{fill:var(--tcp-bad,#c0392b)}.tcp-ladder .cur .arrow{stroke-width:2.5}.tcp-ladder .cur{color:var(--tcp-accent,#1565c0)}.tcp-ladder .band{fill:var(--tcp-accent,#1565c0)}.tcp-ladder text{fill:currentColor;paint-order:stroke;stroke:var(--tcp-bg,#fff);stroke-width:4px;stroke-linejoin:round}.tcp-ladder .t{fill:var(--tcp-muted,#777)}.tcp-ladder .cur .t{fill:currentColor}.tcp-ladder .mark{fill:var(--tcp-bad,#c0392b);font-weight:700}`;

export function renderLadder(pkts: readonly LadderPacket[], o: LadderOptions): string {
  const px = LADDER_FONT_PX;
  const W = Math.max(240, Math.round(o.width ?? 640));
  const narrow = W < NARROW_PX;
  const first = o.firstFrame ?? 1;
  const id = o.id ?? 'ladder';
  const ports: number[] = [];
  for (const { seg } of pkts) for (const p of [seg.sport, seg.dport]) if (!ports.includes(p)) ports.push(p);
  // the well-known (listening) port on the right, clients on the left
  ports.sort((a, b) => (a === 12345 ? 1 : b === 12345 ? -1 : 0));
  const cols = Math.max(2, ports.length);
  const rel = relative(pkts);
  const labels = pkts.map(({ seg }, i) => `${flagText(seg.flags)} seq=${rel[i].seq}${rel[i].ack !== null ? ` ack=${rel[i].ack}` : ''}`);
  const markText = (i: number) => {
    const m = o.marks?.[i];
    return m && o.markLabels ? o.markLabels[m] : '';
  };
  const times = pkts.map(({ t }) => (t / 1e9).toFixed(6));
  const frameW = textWidth(String(first + Math.max(0, pkts.length - 1)), px);
  // endpoint names: the full address when the columns leave room for it
  const timeColW = narrow ? 0 : frameW + textWidth('000.000000', px) + 20;
  const inner = W - timeColW;
  const fullName = inner / cols >= textWidth('127.0.0.1:00000', px) + 12;
  const name = (p: number) => (fullName ? `127.0.0.1:${p}` : `:${p}`);
  const half = Math.max(...ports.map((p) => textWidth(name(p), px)), textWidth(':00000', px)) / 2 + 4;
  const x0 = timeColW + half;
  const x1 = W - half;
  const x = (p: number) => x0 + ((x1 - x0) * Math.max(0, ports.indexOf(p))) / (cols - 1);
  // rows: in the narrow layout the text goes on its own line(s) above the arrow
  const line = px + 4;
  const rows = pkts.map((_, i) => {
    const head = `${first + i}${SP}${times[i]}`;
    const tail = markText(i) ? `${labels[i]} · ${markText(i)}` : labels[i];
    if (!narrow) return { lines: 1, head, tail };
    const oneLine = textWidth(`${head}${SP}${tail}`, px) <= W - 12;
    const twoLines = textWidth(tail, px) <= W - 12;
    return { lines: oneLine ? 1 : twoLines ? 2 : 3, head, tail };
  });
  const rowH = (r: { lines: number }) => (narrow ? r.lines * line + 14 : Math.max(26, r.lines * line + 10));
  const top = px + 16;
  const reserve = Math.max(0, (o.rows ?? pkts.length) - pkts.length);
  const hs = rows.map(rowH);
  let rowsH = hs.reduce((a, h) => a + h, 0) + reserve * (narrow ? line + 14 : 26);
  // a window of `window` rows: as tall as the tallest run of that many
  const win = o.clip && o.window && pkts.length > o.window ? o.window : 0;
  if (win) {
    let sum = hs.slice(0, win).reduce((a, h) => a + h, 0);
    rowsH = sum;
    for (let i = win; i < hs.length; i++) rowsH = Math.max(rowsH, (sum += hs[i] - hs[i - win]));
  }
  const height = top + 8 + rowsH + 6;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="tcp-ladder${narrow ? ' narrow' : ''}" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc"${o.clip ? ` data-top="${top}"` : ''}>`);
  parts.push(`<title id="${id}-title">${esc(o.title)}</title><desc id="${id}-desc">${esc(o.description)}</desc>`);
  if (o.style !== false) parts.push(`<style>${LADDER_CSS}</style>`);
  for (const p of ports) {
    parts.push(`<text x="${x(p)}" y="${px + 2}" text-anchor="middle">${esc(name(p))}</text>`);
    parts.push(`<line class="axis" x1="${x(p)}" y1="${px + 8}" x2="${x(p)}" y2="${height - 4}"/>`);
  }
  if (o.clip) parts.push(`<defs><clipPath id="${id}-clip"><rect class="shown" width="${W}" y="${top - 6}" height="0"/></clipPath></defs><g clip-path="url(#${id}-clip)"><g class="rows"><rect class="band" x="0" width="4" y="0" height="0"/>`);
  let y = top;
  pkts.forEach(({ seg }, i) => {
    const r = rows[i];
    const cur = i === o.highlight;
    parts.push(`<g class="pkt${cur ? ' cur' : ''}" data-packet="${first + i}"${o.marks?.[i] ? ` data-mark="${o.marks[i]}"` : ''}${cur ? ' aria-current="true"' : ''}${o.clip ? ` data-y0="${y}" data-y1="${y + rowH(r)}"` : ''}>`);
    const mark = markText(i) ? `<tspan class="mark"> · ${esc(markText(i))}</tspan>` : '';
    let ay: number;
    if (narrow) {
      let ty = y + px;
      if (r.lines === 1) parts.push(`<text x="8" y="${ty}"><tspan class="t">${esc(r.head)}</tspan>${SP}${esc(labels[i])}${mark}</text>`);
      else {
        parts.push(`<text class="t" x="8" y="${ty}">${esc(r.head)}</text>`);
        ty += line;
        if (r.lines === 2) parts.push(`<text x="8" y="${ty}">${esc(labels[i])}${mark}</text>`);
        else {
          parts.push(`<text x="8" y="${ty}">${esc(labels[i])}</text>`);
          ty += line;
          parts.push(`<text x="8" y="${ty}" class="mark">${esc(markText(i))}</text>`);
        }
      }
      ay = ty + 9;
    } else {
      ay = y + px + 6;
      parts.push(`<text class="t" x="8" y="${ay + 4}">${esc(r.head)}</text>`);
    }
    const xa = x(seg.sport);
    const xb = x(seg.dport);
    const dir = xb > xa ? 1 : -1;
    parts.push(`<line class="arrow${seg.flags & TH_RST ? ' rst' : ''}" x1="${xa}" y1="${ay}" x2="${xb - dir * 7}" y2="${ay}"/>`);
    parts.push(`<path class="head" d="M${xb} ${ay}L${xb - dir * 9} ${ay - 4}L${xb - dir * 9} ${ay + 4}z"/>`);
    if (!narrow) {
      // centred over the arrow, kept inside the picture
      const w = textWidth(r.tail, px);
      const mid = Math.min(Math.max((xa + xb) / 2, timeColW + w / 2 + 2), W - w / 2 - 2);
      parts.push(`<text x="${mid}" y="${ay - 5}" text-anchor="middle">${esc(labels[i])}${mark}</text>`);
    }
    parts.push('</g>');
    y += rowH(r);
  });
  parts.push(o.clip ? '</g></g></svg>' : '</svg>');
  return parts.join('');
}
