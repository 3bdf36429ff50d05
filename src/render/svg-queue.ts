/**
 * A listener's accept queue as an SVG string: backlog + 1 slots (sk_acceptq_is_full() uses `>`),
 * each child with its TCP state — including a child that was reset and is no longer in the
 * socket tables (ss cannot list it, yet it holds its slot and counts in Recv-Q). Pure.
 */
import type { QueueView } from '../experiment/run.ts';
import { TCP_STATE_NAMES, TCP_CLOSE } from '../model/types.ts';

// text and attribute values (aria-label is one): `"` too
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface QueueLabels {
  title: string;
  empty: string;
  reset: string;
  recvq: string;
}

export function renderQueue(q: QueueView | null, labels: QueueLabels): string {
  const capacity = q ? Math.max(q.backlog + 1, q.slots.length) : 2;
  const w = 150;
  const h = 78;
  const width = Math.max(440, 16 + capacity * (w + 12));
  const height = h + 56;
  const parts: string[] = [];
  const desc = q ? `${labels.recvq} ${q.slots.length}, backlog ${q.backlog}: ${q.slots.map((s) => (s.hashed ? TCP_STATE_NAMES[s.state] : labels.reset)).join(', ') || labels.empty}` : labels.empty;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="tcp-queue" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(`${labels.title}: ${desc}`)}">`);
  parts.push(`<style>.tcp-queue{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}.tcp-queue text{fill:currentColor}.tcp-queue .slot{fill:none;stroke:var(--tcp-muted,#888);stroke-dasharray:4 3}.tcp-queue .child{fill:var(--tcp-ok-bg,#e3f2fd);stroke:currentColor}.tcp-queue .dead{fill:var(--tcp-bad-bg,#fdecea);stroke:var(--tcp-bad,#c0392b);stroke-dasharray:5 3}.tcp-queue .note{font-size:10px}</style>`);
  parts.push(`<text x="8" y="16">${esc(labels.title)}${q ? ` — :${q.port}, backlog ${q.backlog}, ${esc(labels.recvq)} ${q.slots.length}` : ''}</text>`);
  for (let i = 0; i < capacity; i++) {
    const x = 8 + i * (w + 12);
    const y = 28;
    const s = q?.slots[i];
    if (!s) {
      parts.push(`<g data-slot="${i + 1}" data-state="empty"><rect class="slot" x="${x}" y="${y}" width="${w}" height="${h}" rx="6"/><text x="${x + w / 2}" y="${y + h / 2 + 4}" text-anchor="middle">${esc(labels.empty)}</text></g>`);
      continue;
    }
    const dead = !s.hashed || s.state === TCP_CLOSE;
    const state = TCP_STATE_NAMES[s.state]?.replace('_', '-') ?? String(s.state);
    parts.push(`<g data-slot="${i + 1}" data-state="${dead ? 'reset' : state}"><rect class="${dead ? 'dead' : 'child'}" x="${x}" y="${y}" width="${w}" height="${h}" rx="6"/>`);
    parts.push(`<text x="${x + w / 2}" y="${y + 22}" text-anchor="middle">${esc(dead ? 'CLOSE' : state)}</text>`);
    parts.push(`<text x="${x + w / 2}" y="${y + 42}" text-anchor="middle">peer :${s.peerPort}</text>`);
    if (dead) parts.push(`<text class="note" x="${x + w / 2}" y="${y + 62}" text-anchor="middle">${esc(labels.reset)}</text>`);
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('');
}
