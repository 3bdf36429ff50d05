// `#t=<seconds>` links to a moment of a chapter's live simulator (<tcp-lab-sim>, src/widgets/sim.ts):
// the page is brought to the widget (the fragment names no element, so the browser leaves the page
// at its top), and a change of the fragment, a clicked moment link or Back/Forward between two
// moments, moves a widget that already runs to that moment (one not started yet reads the
// fragment itself when it starts, which coming into view makes it do). Browser code, loaded on
// every chapter by src/components/MarkdownContent.astro; it does nothing on a page without a widget.

/** The seconds of a `#t=` fragment, or null. */
export function momentOf(hash: string): number | null {
  const m = /^#t=(\d+(?:\.\d+)?)$/.exec(hash);
  return m ? Number(m[1]) : null;
}

/** How long the page keeps the widget at the top of the window while what is above it renders. */
const SETTLE_MS = 4000;

type Sim = HTMLElement & { seekTime?: (ns: number) => void };

function widget(): Sim | null {
  return document.querySelector<Sim>('tcp-lab-sim');
}

/**
 * Scroll the widget to the top of the window and keep it there while the sections above it,
 * which the browser skips until near the viewport (estimated heights), and the widget itself
 * render; the reader's own scrolling, a key or a touch ends it.
 */
function bringIntoView(sim: HTMLElement): void {
  const pad = () => parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 0;
  const aim = () => sim.scrollIntoView({ block: 'start', behavior: 'instant' as ScrollBehavior });
  aim();
  let stopped = false;
  const stop = () => {
    stopped = true;
    for (const e of ['wheel', 'touchstart', 'keydown', 'mousedown'] as const) removeEventListener(e, stop, true);
  };
  for (const e of ['wheel', 'touchstart', 'keydown', 'mousedown'] as const) addEventListener(e, stop, { capture: true, passive: true });
  const until = performance.now() + SETTLE_MS;
  const check = () => {
    if (stopped) return;
    if (performance.now() > until) return stop();
    if (Math.abs(sim.getBoundingClientRect().top - pad()) > 2) aim();
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}

function go(): void {
  const t = momentOf(location.hash);
  const sim = t === null ? null : widget();
  if (t === null || !sim) return;
  bringIntoView(sim);
  sim.dispatchEvent(new CustomEvent('tcp-lab-moment', { detail: { t } }));
  if (sim.dataset.ready && typeof sim.seekTime === 'function') sim.seekTime(Math.round(t * 1e9));
}

export function watchMoments(): void {
  addEventListener('hashchange', go);
  if (momentOf(location.hash) === null) return;
  if (document.readyState === 'loading') addEventListener('DOMContentLoaded', go, { once: true });
  else go();
}
