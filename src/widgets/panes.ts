/**
 * The panes the timeline (<tcp-lab-sim>, sim.ts) and the sandbox's live view (<tcp-lab-terminal>,
 * terminal.ts) both show: the `ss -natp -o` listing, the listener's accept queue and the packet
 * ladder, built by one function with the same markup and stylesheet (SimWidget.astro's
 * `.tcp-sim__panes`). Two drivers feed them: the timeline's scrubbed moment (sim.ts draws the
 * run's ladder once and moves its clip) and the sandbox's live host (the worker's renderings of
 * the host's table, queue and last packets). Either way the ss listing is set line by line
 * (`showSs`: only the changed lines' text nodes are touched, so a scrub restyles nothing).
 */
import type { Strings } from './strings.ts';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export interface PaneOptions {
  /** Prefix of the panes' data-testid (`ss`, `queue`, `ladder`). */
  testid: string;
  /**
   * 'region' for the timeline (a named landmark); 'group' for the sandbox's live view, which may
   * sit on the same page as a timeline (no two landmarks of one name), and whose pictures are
   * focusable too (they scroll sideways on a phone while the worker redraws them for a new width).
   */
  role: 'region' | 'group';
}

export class Panes {
  readonly root: HTMLElement;
  readonly ss: HTMLPreElement;
  readonly queue: HTMLElement;
  readonly ladder: HTMLElement;
  private ssLines: Text[] = [];

  constructor(s: Strings, o: PaneOptions) {
    const group = o.role === 'group';
    this.root = el('div', { class: 'tcp-sim__panes' });
    const ssBox = el('figure', { class: 'tcp-sim__ss' });
    ssBox.append(el('figcaption', {}));
    ssBox.firstChild!.textContent = s.ss;
    // focusable so that a keyboard can scroll its long lines; named, so that it says what it is
    this.ss = el('pre', { 'data-testid': `${o.testid}ss`, tabindex: '0', role: o.role, 'aria-label': s.ss });
    ssBox.append(this.ss);
    this.queue = el('div', { class: 'tcp-sim__queue', 'data-testid': `${o.testid}queue` });
    const ladderBox = el('figure', { class: 'tcp-sim__ladder' });
    ladderBox.append(el('figcaption', {}));
    ladderBox.firstChild!.textContent = s.ladder;
    this.ladder = el('div', { 'data-testid': `${o.testid}ladder` });
    if (group)
      for (const [fig, name] of [[this.queue, s.queue], [this.ladder, s.ladder]] as const) {
        fig.classList.add('tcp-sim__fig');
        for (const [k, v] of Object.entries({ tabindex: '0', role: 'group', 'aria-label': name })) fig.setAttribute(k, v);
      }
    ladderBox.append(this.ladder);
    this.root.append(ssBox, this.queue, ladderBox);
  }

  /** Show an ss listing, rewriting only the lines that changed (one text node each). */
  showSs(text: string): void {
    const lines = text.split('\n');
    const nodes = this.ssLines;
    while (nodes.length > lines.length) nodes.pop()!.remove();
    while (nodes.length < lines.length) nodes.push(this.ss.appendChild(document.createTextNode('')));
    lines.forEach((l, i) => {
      const data = i < lines.length - 1 ? `${l}\n` : l;
      if (nodes[i].data !== data) nodes[i].data = data;
    });
  }
}
