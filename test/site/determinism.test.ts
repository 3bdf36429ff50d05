import { afterAll, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { treeDigest, compareDigests, isIdentical, formatDiff } from '../../src/site/determinism.ts';
import { siteWeights, staticImports, dynamicImports, budgetedJsGz, TEXT_PAGE_JS_BUDGET_GZ, WIDGET_PAGE_JS_BUDGET_GZ } from '../../src/site/weight.ts';

const tmp = mkdtempSync(join(tmpdir(), 'tcp-lab-det-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function tree(name: string, files: Record<string, string>) {
  const root = join(tmp, name);
  for (const [f, c] of Object.entries(files)) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), c);
  }
  return treeDigest(root);
}

test('identical trees compare equal; differences are listed by kind', () => {
  const a = tree('a', { 'x.html': '1', 'sub/y.js': '2' });
  const b = tree('b', { 'x.html': '1', 'sub/y.js': '2' });
  expect(isIdentical(compareDigests(a, b))).toBe(true);
  const c = tree('c', { 'x.html': 'changed', 'z.css': '3' });
  const d = compareDigests(a, c);
  expect(d).toEqual({ onlyA: ['sub/y.js'], onlyB: ['z.css'], differ: ['x.html'] });
  expect(formatDiff(d)).toBe('only in A: sub/y.js\nonly in B: z.css\ndiffers: x.html');
});

test('digest keys are sorted paths (walk order is deterministic)', () => {
  const a = tree('order', { 'b.txt': '', 'a/z.txt': '', 'a/b.txt': '' });
  expect([...a.keys()]).toEqual(['a/b.txt', 'a/z.txt', 'b.txt']);
});

const DIST = resolve(import.meta.dirname, '../../dist');
// skipped without a build, except under CI (which builds first): there a missing dist/ is a failure
test.skipIf(!existsSync(join(DIST, 'index.html')) && !process.env.CI)('JS budget (eager + on demand): text-only pages ≤ 10 KB gzip, widget pages ≤ 60 KB gzip', () => {
  const weights = siteWeights(DIST, process.env.TCP_LAB_BASE || '/');
  for (const w of weights) {
    expect(budgetedJsGz(w), w.page).toBeLessThanOrEqual(w.widgets === 0 ? TEXT_PAGE_JS_BUDGET_GZ : WIDGET_PAGE_JS_BUDGET_GZ);
    // only widget pages load code on demand
    if (w.widgets === 0) expect(w.lazyJsGz, w.page).toBe(0);
  }
  // The collision chapter has both live widgets, so it is held to the widget-page budget; their
  // code (the elements and the renderers) is loaded on demand, not with the page.
  const collision = weights.find((w) => w.page === 'en/collision/index.html')!;
  expect(collision.widgets).toBe(2);
  expect(collision.lazyJsGz).toBeGreaterThan(5 * 1024);
  expect(collision.jsGz).toBeLessThan(TEXT_PAGE_JS_BUDGET_GZ);
});

// Strings of the model (a sysctl's handler, src/model/sysctl_net_ipv4.ts) and of the userland
// (netcat's usage line, src/userland/nc.ts), which minification keeps.
const MODEL_MARKERS = ['proc_dointvec_minmax', 'usage: nc ['];

test.skipIf(!existsSync(join(DIST, 'index.html')) && !process.env.CI)('the simulator runs in the widgets\' worker: no script a page loads holds the model or the userland, the worker script does', () => {
  const weights = siteWeights(DIST, process.env.TCP_LAB_BASE || '/');
  const pages = weights.filter((w) => w.widgets > 0);
  expect(pages.length).toBeGreaterThan(0);
  for (const w of pages) {
    expect(w.files.length, w.page).toBeGreaterThan(0);
    for (const f of w.files) {
      const code = readFileSync(join(DIST, f), 'utf8');
      for (const m of MODEL_MARKERS) expect(code.includes(m), `${w.page}: ${f} holds ${m}`).toBe(false);
    }
  }
  const workers = readdirSync(join(DIST, '_astro')).filter((f) => /^sandbox-worker.*\.js$/.test(f));
  expect(workers).toHaveLength(1);
  const worker = readFileSync(join(DIST, '_astro', workers[0]), 'utf8');
  for (const m of MODEL_MARKERS) expect(worker, m).toContain(m);
});

test('page weight follows static imports, not dynamic ones', () => {
  const code = `import{a as b}from"./toc.js";import"./side.js";export*from"../re.js";import("./lazy.js");const u=import.meta.url;`;
  expect(staticImports(code)).toEqual(['./toc.js', './side.js', '../re.js']);
  expect(staticImports(`import x, { y } from '/_astro/x.js'\nexport { z } from './z.js'`)).toEqual(['/_astro/x.js', './z.js']);
  expect(dynamicImports(code)).toEqual(['./lazy.js']);
  expect(dynamicImports('const m=()=>import(`./widgets.abc.js`),n=import(x),o=b.import("./no.js")')).toEqual(['./widgets.abc.js']);
});
