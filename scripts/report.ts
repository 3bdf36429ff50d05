// npm run report — project report on the built site (dist/, from `npm run build`):
//   1. page weight, with the JavaScript budgets (text-only pages ≤ 10 KB gzip, widget pages ≤ 60 KB);
//   2. scrub timing of the seed-collision timeline in Chromium (budget: < 16 ms to any moment, also
//      under a 4× CPU slowdown as in Lighthouse's mobile run);
//   3. Lighthouse scores (performance, accessibility, best practices, SEO) of the collision chapter.
// Prints markdown and writes it to reports/report.md. Exits 1 only when a budget is exceeded; a
// part that cannot run here (no build, no browser, no Lighthouse) says why and is skipped.
// Usage: node scripts/report.ts [dist] [--no-browser] [--no-lighthouse] [--lighthouse-runs N]
//                               [--out FILE | --no-write]
// Lighthouse runs N times per preset (5 by default) and the median run is reported, with every
// run's performance score.
// Environment: CHROME_PATH (default /usr/bin/chromium), TCP_LAB_BASE (as for the build).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { siteWeights, lazyWeights, workerWeights, jsBudgetGz, budgetedJsGz, TEXT_PAGE_JS_BUDGET_GZ, WIDGET_PAGE_JS_BUDGET_GZ, type PageWeight } from '../src/site/weight.ts';
import { startStaticServer } from '../src/site/static-server.ts';
import { measureScrub, profileScrub, median, percentile, CHROMIUM_ARGS } from './lib/scrub.ts';
import { runLighthouse, CATEGORIES } from './lib/lighthouse.ts';
import { startServerProcess } from './lib/serve-process.ts';

const args = process.argv.slice(2);
const flag = (f: string) => args.includes(f);
const outIdx = args.indexOf('--out');
const outFile = flag('--no-write') ? null : resolve(outIdx >= 0 ? args[outIdx + 1] : 'reports/report.md');
const VALUE_FLAGS = ['--out', '--lighthouse-runs'];
const dist = args.find((a, i) => !a.startsWith('--') && !VALUE_FLAGS.includes(args[i - 1])) ?? 'dist';
const runsIdx = args.indexOf('--lighthouse-runs');
const lighthouseRuns = runsIdx >= 0 ? Number(args[runsIdx + 1]) : 5;
if (!Number.isInteger(lighthouseRuns) || lighthouseRuns < 1) {
  console.error(`report: --lighthouse-runs needs a positive integer, got ${JSON.stringify(args[runsIdx + 1] ?? '')}`);
  process.exit(2);
}
const base = (process.env.TCP_LAB_BASE || '/').replace(/\/?$/, '/');
const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium';

/** Scrubbing to any moment of the seed timeline must take less than this (one 60 Hz frame). */
const SCRUB_BUDGET_MS = 16;
/** Lighthouse's four categories, each 100 on the collision chapter, mobile and desktop. */
const LIGHTHOUSE_BUDGET = 'Lighthouse performance, accessibility, best practices and SEO each 100 on the collision chapter, mobile and desktop';
/** The chapter with the seed-collision widget. */
const CHAPTER = 'en/collision/';

const lines: string[] = [];
const say = (s = '') => {
  lines.push(s);
  console.log(s);
};
const budgets: Array<{ name: string; ok: boolean | null; detail: string }> = [];
const budgetLine = (b: { name: string; ok: boolean | null; detail: string }) =>
  `- budget: ${b.name}: **${b.ok === null ? 'not measured' : b.ok ? 'ok' : 'EXCEEDED'}** (${b.detail})`;
const kb = (n: number) => (n / 1024).toFixed(1);
const ms = (n: number) => n.toFixed(1);
const ms2 = (n: number) => n.toFixed(2);

function pageWeightSection(): void {
  say('## Page weight\n');
  if (!existsSync(join(dist, 'index.html'))) {
    say(`${dist}/ not found: run npm run build first.\n`);
    budgets.push({ name: `JS on text-only pages ≤ ${TEXT_PAGE_JS_BUDGET_GZ / 1024} KB gzip`, ok: null, detail: 'no build' });
    budgets.push({ name: `JS on widget pages ≤ ${WIDGET_PAGE_JS_BUDGET_GZ / 1024} KB gzip`, ok: null, detail: 'no build' });
    return;
  }
  const rows = siteWeights(dist, base);
  say('KB, gzip -9. JS is what a page loads eagerly: its scripts and the chunks they import statically.');
  say('On demand is what those scripts load with import() (the widgets\' code, when a widget comes near');
  say('the viewport). The JS budget holds both. Widget pages are those with a live `<tcp-lab-sim>` or `<tcp-lab-terminal>`.\n');
  say('| page | html gz | css gz | js gz | js files | on demand gz | widgets | js budget |');
  say('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const b = jsBudgetGz(r);
    say(`| ${r.page} | ${kb(r.htmlGz)} | ${kb(r.cssGz)} | ${kb(r.jsGz)} | ${r.scripts} | ${kb(r.lazyJsGz)} | ${r.widgets} | ${budgetedJsGz(r) > b ? `**OVER** ${kb(b)}` : `≤ ${kb(b)}`} |`);
  }
  say('');
  for (const l of lazyWeights(dist)) say(`- lazy: ${l.file} ${kb(l.gz)} KB gz (${kb(l.bytes)} KB raw), loaded when search opens`);
  for (const l of workerWeights(dist)) say(`- worker: ${l.file} ${kb(l.gz)} KB gz (${kb(l.bytes)} KB raw), the simulator, started when a widget starts (not in a page's JS budget)`);
  say('');
  const check = (name: string, pages: PageWeight[], limit: number) => {
    const over = pages.filter((p) => budgetedJsGz(p) > limit);
    const worst = pages.reduce<PageWeight | null>((a, p) => (!a || budgetedJsGz(p) > budgetedJsGz(a) ? p : a), null);
    const b = {
      name,
      ok: pages.length ? over.length === 0 : null,
      detail: !worst ? 'no such page' : over.length ? `over: ${over.map((p) => `${p.page} ${kb(budgetedJsGz(p))} KB`).join(', ')}` : `${pages.length} pages, largest ${worst.page} ${kb(budgetedJsGz(worst))} KB`,
    };
    budgets.push(b);
    say(budgetLine(b));
  };
  check(`JS on text-only pages ≤ ${TEXT_PAGE_JS_BUDGET_GZ / 1024} KB gzip`, rows.filter((r) => r.widgets === 0), TEXT_PAGE_JS_BUDGET_GZ);
  check(`JS on widget pages ≤ ${WIDGET_PAGE_JS_BUDGET_GZ / 1024} KB gzip`, rows.filter((r) => r.widgets > 0), WIDGET_PAGE_JS_BUDGET_GZ);
  say('');
}

async function browserSections(): Promise<void> {
  const scrubName = `scrub the seed timeline to any moment < ${SCRUB_BUDGET_MS} ms`;
  const slowName = `scrub the seed timeline to any moment < ${SCRUB_BUDGET_MS} ms under a 4× CPU slowdown`;
  const unmeasured = (why: string) => {
    for (const name of [scrubName, slowName]) if (!budgets.some((b) => b.name === name)) budgets.push({ name, ok: null, detail: why });
  };
  const page = join(dist, CHAPTER, 'index.html');
  const skip = (why: string, lighthouseToo = true) => {
    say('## Scrub timing\n');
    say(`Not measured: ${why}\n`);
    unmeasured(why);
    if (lighthouseToo) {
      say(`## Lighthouse\n\nNot run: ${why}\n`);
      budgets.push({ name: LIGHTHOUSE_BUDGET, ok: null, detail: why });
    }
  };
  if (flag('--no-browser')) return skip('--no-browser given.');
  if (!existsSync(page)) return skip(`${page} not found: run npm run build first.`);
  if (!existsSync(chromePath)) return skip(`no browser at ${chromePath} (Debian: apt-get install chromium; or set CHROME_PATH).`);

  const { server, url } = await startStaticServer({ root: dist, base });
  try {
    let chromium;
    try {
      chromium = (await import('playwright-core')).chromium;
    } catch (e) {
      skip(`playwright-core is not installed (npm install): ${(e as Error).message}`, false);
      return;
    }
    say('## Scrub timing\n');
    let browser;
    try {
      browser = await chromium.launch({ executablePath: chromePath, args: CHROMIUM_ARGS });
    } catch (e) {
      const why = `Chromium did not start: ${(e as Error).message.split('\n')[0]}`;
      say(`Not measured: ${why}\n`);
      unmeasured(why);
      return;
    }
    try {
      say(`Chromium ${browser.version()} (headless, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}), \`<tcp-lab-sim>\` on ${CHAPTER} over http.`);
      say('For every moment index (fixed shuffled order, after an unmeasured warm-up pass), 5 rounds: set the');
      say('`<input type=range data-testid="timeline">` value and dispatch `input`, timed in the page with');
      say('performance.now() (Chromium coarsens it to 0.1 ms here); each sample starts after a frame boundary,');
      say('from another moment. Per moment the median of the rounds; then max / p95 / median over the moments.\n');
      say('- **sync update**: until `dispatchEvent` returns (the handler re-renders ss table, queue and ladder).');
      say('- **+ style/layout**: the sync update plus the style and layout it caused, forced by reading the');
      say(`  widget's size. **The budget (< ${SCRUB_BUDGET_MS} ms) applies to this column's max.**`);
      say('- **next frame work**: sync update + main-thread rendering of the next frame (its');
      say('  requestAnimationFrame to the end of style/layout/paint), without the wait for the frame slot.');
      say('- **to next frame**: from setting the slider until that frame is rendered, including the wait for');
      say('  the frame slot (up to one 60 Hz interval), so it is shown but not held to the budget.\n');
      const s = await measureScrub(browser, `${url}${CHAPTER}`, 5);
      const row = (name: string, xs: number[]) => `| ${name} | ${ms(Math.max(...xs))} | ${ms(percentile(xs, 95))} | ${ms(median(xs))} |`;
      say(`${s.moments} moments × ${s.rounds} rounds.\n`);
      say('| ms | max | p95 | median |');
      say('| --- | ---: | ---: | ---: |');
      say(row('sync update', s.handler));
      say(row('+ style/layout', s.layout));
      say(row('next frame work', s.render));
      say(row('to next frame', s.frame));
      say(`\nSlowest single sample of sync update + style/layout (any round, GC included): ${ms(s.worstSample)} ms.`);
      const worstIdx = s.layout.indexOf(Math.max(...s.layout));
      const b = { name: scrubName, ok: Math.max(...s.layout) < SCRUB_BUDGET_MS, detail: `max ${ms(Math.max(...s.layout))} ms (moment ${worstIdx}), p95 ${ms(percentile(s.layout, 95))}, median ${ms(median(s.layout))}; sync update + style/layout` };
      budgets.push(b);
      say(budgetLine(b));
      // The same on a slower device: Chromium's CPU throttling at 4×, as in Lighthouse's mobile run.
      // 5 rounds, as at 1×: the throttling suspends the thread in slices, so a single short sample varies more
      const slow = await measureScrub(browser, `${url}${CHAPTER}`, 5, 4, false);
      const slowMax = Math.max(...slow.layout);
      say(`\nWith a 4× CPU slowdown (Chromium's CPU throttling, as in Lighthouse's mobile run), ${slow.rounds} rounds, sync update +`);
      say(`style/layout: max ${ms(slowMax)} ms, p95 ${ms(percentile(slow.layout, 95))} ms, median ${ms(median(slow.layout))} ms.`);
      const b4 = { name: slowName, ok: slowMax < SCRUB_BUDGET_MS, detail: `max ${ms(slowMax)} ms (moment ${slow.layout.indexOf(slowMax)}), p95 ${ms(percentile(slow.layout, 95))}, median ${ms(median(slow.layout))}; sync update + style/layout, ${slow.rounds} rounds` };
      budgets.push(b4);
      say(budgetLine(b4));
      // Where the time goes, in thread CPU (the host's load and the throttling do not count)
      const p = await profileScrub(browser, `${url}${CHAPTER}`);
      const total = p.script + p.style + p.layout;
      say(`\nWhere a scrub's time goes (a Chromium performance trace of ${p.scrubs} scrubs, the main thread's CPU time per scrub,`);
      say(`not slowed down; under the 4× slowdown each takes about 4 times as long): input handler ${ms2(p.script)} ms, style`);
      say(`${ms2(p.style)} ms, layout ${ms2(p.layout)} ms, together ${ms2(total)} ms (4×: ~${ms(4 * total)} ms); the next frame's pre-paint,`);
      say(`paint, layerize and commit ${ms2(p.paint)} ms.`);
      say('');
    } catch (e) {
      const why = `measurement failed: ${(e as Error).message.split('\n')[0]}`;
      say(`Not measured: ${why}\n`);
      unmeasured(why);
    } finally {
      await browser.close();
    }
  } finally {
    server.close();
  }
  await lighthouseSection();
}

async function lighthouseSection(): Promise<void> {
  say('## Lighthouse\n');
  if (flag('--no-lighthouse')) {
    budgets.push({ name: LIGHTHOUSE_BUDGET, ok: null, detail: '--no-lighthouse given' });
    return say('Not run: --no-lighthouse given.\n');
  }
  // Served gzip-compressed, as static hosts (GitHub Pages) serve it; the plain test server would
  // make transfer sizes, and so the simulated load times, those of an uncompressed host. The
  // server runs in a process of its own (see scripts/lib/serve-process.ts).
  let server: { stop(): void } | null = null;
  try {
    const served = await startServerProcess({ root: dist, base, compress: true });
    server = served;
    const results = await runLighthouse(`${served.url}${CHAPTER}`, chromePath, ['mobile', 'desktop'], lighthouseRuns);
    say(`Lighthouse ${results[0].version}, ${CHAPTER} served over http from ${dist}/ by scripts/serve.ts in a process of its own (gzip, as a static host serves it), Chromium at ${chromePath}.`);
    say(`Mobile is Lighthouse's default (emulated phone, simulated slow 4G, 4× CPU slowdown); desktop is its desktop preset.`);
    say(`Each preset ran ${lighthouseRuns} time(s), each in a fresh browser; the table gives the median run, the one Lighthouse's`);
    say(`computeMedianRun() picks (closest to the median FCP and TTI), as Lighthouse's documentation on variability recommends.\n`);
    say(`| preset | ${CATEGORIES.join(' | ')} |`);
    say(`| --- | ${CATEGORIES.map(() => '---:').join(' | ')} |`);
    for (const r of results) say(`| ${r.formFactor} | ${CATEGORIES.map((c) => r.scores[c] ?? 'n/a').join(' | ')} |`);
    say('');
    for (const r of results) {
      say(`Every ${r.formFactor} run (performance score; FCP, LCP, TBT, Speed Index in ms; CLS), median run marked:\n`);
      r.runs.forEach((x, i) =>
        say(`- run ${i + 1}${i === r.medianIndex ? ' (median)' : ''}: ${x.performance ?? 'n/a'}; FCP ${x.fcp.toFixed(0)}, LCP ${x.lcp.toFixed(0)}, TBT ${x.tbt.toFixed(0)}, SI ${x.si.toFixed(0)}; CLS ${x.cls.toFixed(3)}`),
      );
      say('');
    }
    const all100 = results.every((r) => CATEGORIES.every((c) => r.scores[c] === 100));
    budgets.push({
      name: LIGHTHOUSE_BUDGET,
      ok: all100,
      detail: results.map((r) => `${r.formFactor} median of ${r.runs.length}: ${CATEGORIES.map((c) => r.scores[c] ?? 'n/a').join('/')}`).join('; '),
    });
    for (const r of results) {
      for (const w of r.warnings) say(`- ${r.formFactor}: warning: ${w}`);
      for (const c of CATEGORIES) {
        if (r.scores[c] === 100) continue;
        say(`Failing audits, ${r.formFactor} ${c} (${r.scores[c] ?? 'n/a'}):\n`);
        if (!r.failing[c].length) say('- (none listed: the score is below 100 through audits without a score)');
        for (const a of r.failing[c]) {
          say(`- ${a.id} (score ${a.score.toFixed(2)}, weight ${a.weight}): ${a.title}${a.displayValue ? ` — ${a.displayValue}` : ''}`);
          for (const x of a.examples) say(`  - \`${x.replaceAll('`', "'")}\``);
        }
        say('');
      }
      if (r.bootup.length) {
        say(`Main-thread time by script, ${r.formFactor} (bootup-time; total / scripting ms):\n`);
        for (const b of r.bootup) say(`- \`${b.url}\`: ${b.total} / ${b.scripting}`);
        say('');
      }
    }
  } catch (e) {
    say(`Not run: ${(e as Error).message.split('\n')[0]}\n`);
    if (!budgets.some((b) => b.name === LIGHTHOUSE_BUDGET)) budgets.push({ name: LIGHTHOUSE_BUDGET, ok: null, detail: (e as Error).message.split('\n')[0] });
  } finally {
    server?.stop();
  }
}

say('# tcp-lab report\n');
say(`Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC from ${dist}/ with Node ${process.version} on Linux ${release()}.`);
say('Regenerate with `npm run build && npm run report`.\n');
pageWeightSection();
await browserSections();

say('## Budgets\n');
for (const b of budgets) say(budgetLine(b));
const exceeded = budgets.filter((b) => b.ok === false);
say(`\n${exceeded.length ? `${exceeded.length} budget(s) EXCEEDED.` : 'No budget exceeded.'}`);

if (outFile) {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, lines.join('\n') + '\n');
  console.error(`report written to ${outFile}`);
}
process.exit(exceeded.length ? 1 : 0);
