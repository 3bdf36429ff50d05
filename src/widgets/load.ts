/**
 * Loads the live widgets' code (src/widgets/index.ts: the custom elements and the renderers,
 * ~15 KB gzip; the model runs in their worker, sandbox-worker.ts) when one of the page's widgets comes within a screenful or two of the
 * viewport, gets focus, or the URL links to a moment (#t=). Until then the page loads and
 * paints without it: the widgets sit at the end of their chapters and show their build-time
 * pictures, and a reader who never scrolls there never downloads the simulator.
 */
export function loadWidgetsWhenNear(load: () => Promise<unknown>, tags: readonly string[] = ['tcp-lab-sim', 'tcp-lab-terminal']): void {
  const widgets = [...document.querySelectorAll(tags.join(','))];
  if (!widgets.length) return;
  let started = false;
  let observer: IntersectionObserver | null = null;
  const start = () => {
    if (started) return;
    started = true;
    observer?.disconnect();
    void load();
  };
  if (/#t=/.test(location.hash) || typeof IntersectionObserver === 'undefined') return start();
  // Wider than the widgets' own 400 px (they start simulating then): the code is there by then.
  observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && start(), { rootMargin: '1200px 0px' });
  for (const w of widgets) {
    observer.observe(w);
    w.addEventListener('focusin', start, { once: true });
  }
}
