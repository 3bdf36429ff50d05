// Scrub timing of the seed-collision widget (<tcp-lab-sim> on <lang>/collision/) in Chromium,
// measured in the page with performance.now(). Used by scripts/report.ts.
import type { Browser } from 'playwright-core';

export { CHROMIUM_ARGS } from '../../src/site/chromium.ts';

export interface ScrubSamples {
  /** Moments on the timeline (slider positions 0..moments-1). */
  moments: number;
  rounds: number;
  /** Per moment index, the median over the rounds, in ms. */
  handler: number[];
  layout: number[];
  frame: number[];
  /** handler + the main-thread rendering of the next frame (from its requestAnimationFrame to the end of its rendering), in ms. */
  render: number[];
  /** The single slowest sample of handler + layout, in ms (any round). */
  worstSample: number;
}

/**
 * For every moment index (visited in a fixed shuffled order, after one unmeasured warm-up pass),
 * `rounds` times: set the slider's value and dispatch `input` (the widget's handler re-renders
 * the ss table, the accept queue and the packet ladder synchronously), then
 *  - handler: until dispatchEvent returns (the synchronous update);
 *  - layout:  handler + the style/layout it invalidated, forced by reading the widget's size;
 *  - frame:   (separate pass, no forced layout) until the next frame has been produced:
 *             requestAnimationFrame, then a message posted from its callback; this includes
 *             waiting for the frame slot, so it is at least one vsync interval minus the rest.
 * Each measurement starts after a frame boundary so one sample's rendering does not land in
 * the next. cpuSlowdown > 1 applies Chromium's CPU throttling; withFrames = false skips the
 * frame pass (frame and render are then empty).
 */
export async function measureScrub(browser: Browser, url: string, rounds = 5, cpuSlowdown = 1, withFrames = true): Promise<ScrubSamples> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    // the widget simulates when it comes into view
    await page.locator('tcp-lab-sim').first().scrollIntoViewIfNeeded();
    await page.locator('tcp-lab-sim[data-ready] [data-testid="timeline"]').first().waitFor({ timeout: 30_000 });
    if (cpuSlowdown !== 1) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuSlowdown });
    }
    const r = await page.evaluate(async ({ rounds, withFrames }: { rounds: number; withFrames: boolean }) => {
      const sim = document.querySelector('tcp-lab-sim') as HTMLElement;
      const slider = sim.querySelector('input[type="range"][data-testid="timeline"]') as HTMLInputElement;
      const n = Number(slider.max) + 1;
      // Fisher–Yates with a fixed LCG: the same order on every run.
      const order = Array.from({ length: n }, (_, i) => i);
      let x = 12345;
      for (let i = n - 1; i > 0; i--) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const j = x % (i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      let rafAt = 0;
      const afterFrame = () =>
        new Promise<number>((done) =>
          requestAnimationFrame(() => {
            rafAt = performance.now();
            const ch = new MessageChannel();
            ch.port1.onmessage = () => done(performance.now());
            ch.port2.postMessage(0);
          }),
        );
      const set = (i: number) => {
        slider.value = String(i);
        slider.dispatchEvent(new Event('input', { bubbles: true }));
      };
      for (const i of order) set(i); // warm-up (JIT, caches)
      await afterFrame();
      const handler: number[][] = Array.from({ length: n }, () => []);
      const layout: number[][] = Array.from({ length: n }, () => []);
      const frame: number[][] = Array.from({ length: n }, () => []);
      const render: number[][] = Array.from({ length: n }, () => []);
      for (let r = 0; r < rounds; r++) {
        for (const i of order) {
          set(i === 0 ? 1 : 0); // start from another moment
          await afterFrame();
          const t0 = performance.now();
          set(i);
          const t1 = performance.now();
          sim.getBoundingClientRect(); // forces style + layout
          const t2 = performance.now();
          handler[i].push(t1 - t0);
          layout[i].push(t2 - t0);
        }
        for (const i of withFrames ? order : []) {
          set(i === 0 ? 1 : 0);
          await afterFrame();
          const t0 = performance.now();
          set(i);
          const t1 = performance.now();
          const tf = await afterFrame();
          frame[i].push(tf - t0);
          render[i].push(t1 - t0 + (tf - rafAt));
        }
      }
      if (Number(slider.value) !== order.at(-1)) throw new Error(`slider did not move (value ${slider.value})`);
      return { n, handler, layout, frame, render };
    }, { rounds, withFrames });
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    const med = (xs: number[]) => median(xs);
    return {
      moments: r.n,
      rounds,
      handler: r.handler.map(med),
      layout: r.layout.map(med),
      frame: r.frame.map(med),
      render: r.render.map(med),
      worstSample: Math.max(...r.layout.flat()),
    };
  } finally {
    await context.close();
  }
}

/** Nearest-rank percentile (p in 0..100) of xs. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Main-thread CPU of one scrub by phase, ms (a Chromium trace's thread durations: the machine's load does not count). */
export interface ScrubProfile {
  scrubs: number;
  /** The input handler (EventDispatch), the style recalculation and the layout it caused, forced. */
  script: number;
  style: number;
  layout: number;
  /** The next frame's pre-paint, paint, layerize and commit (not in the budget: shown for what follows). */
  paint: number;
}

/**
 * Where a scrub's time goes: every moment, 3 times (a fixed order), each after a frame boundary,
 * with a forced style + layout as in measureScrub, under a Chromium performance trace; the thread
 * CPU time (tdur) of the renderer's main thread per phase, averaged per scrub. Unlike performance.now()
 * samples, thread time does not grow with other processes' load, nor with CPU throttling (which
 * suspends the thread): at a 4x slowdown a phase takes about 4 times this.
 */
export async function profileScrub(browser: Browser, url: string): Promise<ScrubProfile> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    await page.locator('tcp-lab-sim').first().scrollIntoViewIfNeeded();
    await page.locator('tcp-lab-sim[data-ready] [data-testid="timeline"]').first().waitFor({ timeout: 30_000 });
    const scrub = () =>
      page.evaluate(async () => {
        const sim = document.querySelector('tcp-lab-sim') as HTMLElement;
        const slider = sim.querySelector('input[type="range"][data-testid="timeline"]') as HTMLInputElement;
        const n = Number(slider.max) + 1;
        const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        for (let r = 0; r < 3; r++)
          for (let i = 0; i < n; i++) {
            await frame();
            slider.value = String((i * 7) % n);
            slider.dispatchEvent(new Event('input', { bubbles: true }));
            sim.getBoundingClientRect();
          }
        return 3 * n;
      });
    await scrub(); // warm-up
    const cdp = await context.newCDPSession(page);
    const events: Array<{ name: string; ph: string; tid: number; dur?: number; tdur?: number }> = [];
    cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as typeof events)));
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
    const scrubs = await scrub();
    await cdp.send('Tracing.end');
    await done;
    const main = events.find((e) => e.name === 'EventDispatch')?.tid;
    const cpu = (...names: string[]) => events.filter((e) => e.ph === 'X' && e.tid === main && names.includes(e.name)).reduce((a, e) => a + (e.tdur ?? e.dur ?? 0), 0) / 1000 / scrubs;
    return { scrubs, script: cpu('EventDispatch'), style: cpu('UpdateLayoutTree'), layout: cpu('Layout'), paint: cpu('PrePaint', 'Paint', 'Layerize', 'Commit') };
  } finally {
    await context.close();
  }
}
