/**
 * A listener's accept queue as an SVG string: backlog + 1 slots (sk_acceptq_is_full() uses `>`),
 * each child with its TCP state — including a child that was reset and is no longer in the
 * socket tables (ss cannot list it, yet it holds its slot and counts in Recv-Q). Pure.
 *
 * Laid out for a given width like the ladder (src/render/svg-ladder.ts): text at 13 px, never
 * scaled; the title and the notes wrap and the slots go on several rows when the width is short.
 */
import type { QueueView } from '../experiment/run.ts';
import { TCP_STATE_NAMES, TCP_CLOSE } from '../model/types.ts';
import { textWidth, LADDER_FONT_PX } from './svg-ladder.ts';

// text and attribute values (aria-label is one): `"` too
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface QueueLabels {
  title: string;
  empty: string;
  reset: string;
  recvq: string;
}

export interface QueueOptions {
  /** The width to lay out for, in px (default 640). */
  width?: number;
  /** Include the <style> element (default true). The live widget styles from the page instead. */
  style?: boolean;
}

export const QUEUE_CSS = `.tcp-queue{font:${LADDER_FONT_PX}px ui-monospace,SFMono-Regular,Menlo,monospace}.tcp-queue text{fill:currentColor}.tcp-queue .slot{fill:none;stroke:var(--tcp-muted,#888);stroke-dasharray:4 3}.tcp-queue .child{fill:var(--tcp-ok-bg,#e3f2fd);stroke:currentColor}.tcp-queue .dead{fill:var(--tcp-bad-bg,#fdecea);stroke:var(--tcp-bad,#c0392b);stroke-dasharray:5 3}`;

/** Words of `text` in lines no wider than `max` px (a CJK run breaks between any two characters). */
export function wrap(text: string, max: number, px = LADDER_FONT_PX): string[] {
  const words = text.split(/(?<=[\s\u3000-\u303f\uff0c\uff1a])|(?=[\u4e00-\u9fff])/).filter((w) => w.length);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && textWidth((cur + w).trimEnd(), px) > max) {
      lines.push(cur.trimEnd());
      cur = w.trimStart();
    } else cur += w;
  }
  if (cur.trim()) lines.push(cur.trimEnd());
  return lines.length ? lines : [''];
}

export function renderQueue(q: QueueView | null, labels: QueueLabels, o: QueueOptions = {}): string {
  const px = LADDER_FONT_PX;
  const line = px + 4;
  const W = Math.max(240, Math.round(o.width ?? 640));
  const capacity = q ? Math.max(q.backlog + 1, q.slots.length) : 2;
  const gap = 12;
  const perRow = Math.max(1, Math.min(capacity, Math.floor((W - 16 + gap) / (132 + gap))));
  const w = Math.min(170, (W - 16 - (perRow - 1) * gap) / perRow);
  const title = `${labels.title}${q ? ` — :${q.port}, backlog ${q.backlog}, ${labels.recvq} ${q.slots.length}` : ''}`;
  const titleLines = wrap(title, W - 16, px);
  const notes = wrap(labels.reset, w - 12, px);
  const h = 3 * line + 14 + (q?.slots.some((s) => !s.hashed || s.state === TCP_CLOSE) ? (notes.length - 1) * line : 0);
  const top = titleLines.length * line + 10;
  const slotRows = Math.ceil(capacity / perRow);
  const width = W;
  const height = top + slotRows * (h + gap);
  const parts: string[] = [];
  const desc = q ? `${labels.recvq} ${q.slots.length}, backlog ${q.backlog}: ${q.slots.map((s) => (s.hashed ? TCP_STATE_NAMES[s.state] : labels.reset)).join(', ') || labels.empty}` : labels.empty;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="tcp-queue" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(`${labels.title}: ${desc}`)}">`);
  if (o.style !== false) parts.push(`<style>${QUEUE_CSS}</style>`);
  parts.push(`<text x="8" y="${px + 3}">${titleLines.map((l, i) => `<tspan x="8" dy="${i ? line : 0}">${esc(l)}</tspan>`).join('')}</text>`);
  for (let i = 0; i < capacity; i++) {
    const x = 8 + (i % perRow) * (w + gap);
    const y = top + Math.floor(i / perRow) * (h + gap);
    const s = q?.slots[i];
    if (!s) {
      parts.push(`<g data-slot="${i + 1}" data-state="empty"><rect class="slot" x="${x}" y="${y}" width="${w}" height="${h}" rx="6"/><text x="${x + w / 2}" y="${y + h / 2 + 4}" text-anchor="middle">${esc(labels.empty)}</text></g>`);
      continue;
    }
    const dead = !s.hashed || s.state === TCP_CLOSE;
    const state = TCP_STATE_NAMES[s.state]?.replace('_', '-') ?? String(s.state);
    parts.push(`<g data-slot="${i + 1}" data-state="${dead ? 'reset' : state}"><rect class="${dead ? 'dead' : 'child'}" x="${x}" y="${y}" width="${w}" height="${h}" rx="6"/>`);
    parts.push(`<text x="${x + w / 2}" y="${y + line + 2}" text-anchor="middle">${esc(dead ? 'CLOSE' : state)}</text>`);
    parts.push(`<text x="${x + w / 2}" y="${y + 2 * line + 4}" text-anchor="middle">peer :${s.peerPort}</text>`);
    if (dead) parts.push(`<text x="${x + w / 2}" y="${y + 3 * line + 6}" text-anchor="middle">${notes.map((l, k) => `<tspan x="${x + w / 2}" dy="${k ? line : 0}">${esc(l)}</tspan>`).join('')}</text>`);
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('');
}
