// Page weight of a built site: bytes (raw and gzip) of HTML, CSS and the JavaScript each page
// loads eagerly (module/classic scripts, inline scripts, and the chunks that module scripts import
// statically, each file counted once per page), and apart from it the JavaScript those scripts
// load on demand with import() (the widgets' code, loaded when a widget comes near the viewport).
// The JS budgets hold both. The lazily loaded search files are reported separately. Used by
// scripts/report.ts and the budget test.
import { gzipSync } from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { walk } from './fs-walk.ts';
import { tokenize } from './html.ts';

export interface PageWeight {
  page: string;
  html: number;
  htmlGz: number;
  js: number;
  jsGz: number;
  css: number;
  cssGz: number;
  /** JavaScript files and inline scripts counted (static imports included). */
  scripts: number;
  /** JavaScript the page's scripts load on demand (import() targets and their imports), not in js. */
  lazyJs: number;
  lazyJsGz: number;
  /** Number of live widgets (<tcp-lab-sim>, <tcp-lab-terminal>) on the page; pages without any are "text-only". */
  widgets: number;
  /** The JavaScript files counted (eager and on demand), relative to the root. */
  files: string[];
}

/** Custom elements that upgrade into live widgets (src/widgets/index.ts). */
export const WIDGET_TAGS = ['tcp-lab-sim', 'tcp-lab-terminal'] as const;
const WIDGET_RE = new RegExp(`<(?:${WIDGET_TAGS.join('|')})\\b`, 'g');

/**
 * Specifiers of the static imports of an ES module (minified or not): `import "x"`,
 * `import {a} from "x"`, `export * from "x"`. Not `import("x")`, which is lazy.
 */
export function staticImports(code: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[^\w$.])(?:import\s*(?:[\w$*{},\s]+?\s*from\s*)?|export\s*(?:\*\s*(?:as\s+[\w$]+\s*)?|\{[^}]*\}\s*)from\s*)(["'])([^"'\n]+)\1/g;
  for (const m of code.matchAll(re)) out.push(m[2]);
  return out;
}

/** Specifiers of the dynamic imports of a module with a literal argument: `import("x")`, import(`x`). */
export function dynamicImports(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|[^\w$.])import\s*\(\s*(["'`])([^"'`$\n]+)\1\s*\)/g)) out.push(m[2]);
  return out;
}

const gz = (b: Buffer | string) => gzipSync(b, { level: 9 }).length;

/** The file under root that url (absolute, or relative to the file `from`, a root-relative path) names, or null. */
function localPath(root: string, from: string, url: string, base: string): string | null {
  if (/^[a-z]+:/i.test(url) || url.startsWith('//')) return null;
  const p = url.split(/[?#]/)[0];
  if (!p.startsWith('/') && !p.startsWith('.')) return null; // bare specifier: not a file of the site
  const rel = p.startsWith('/') ? p.slice(base.length) : posix.normalize(posix.join(posix.dirname(from), p));
  const abs = join(root, rel);
  return existsSync(abs) ? abs : null;
}

export function pageWeight(root: string, page: string, base = '/'): PageWeight {
  const html = readFileSync(join(root, page), 'utf8');
  const w: PageWeight = { page, html: Buffer.byteLength(html), htmlGz: gz(html), js: 0, jsGz: 0, css: 0, cssGz: 0, scripts: 0, lazyJs: 0, lazyJsGz: 0, widgets: (html.match(WIDGET_RE) ?? []).length, files: [] };
  let inScript: false | 'module' | 'classic' = false;
  const seen = new Set<string>();
  const rootRel = (abs: string) => relative(root, abs).split(sep).join('/');
  // import() targets seen in eager code, counted after it (a file both eager and lazy is eager).
  const lazy: Array<[from: string, spec: string]> = [];
  // A module file and, transitively, what it imports statically.
  const addModule = (from: string, code: string) => {
    for (const spec of staticImports(code)) {
      const f = localPath(root, from, spec, base);
      if (f && !seen.has(f)) addFile(f, true);
    }
    for (const spec of dynamicImports(code)) lazy.push([from, spec]);
  };
  let onDemand = false;
  const addFile = (f: string, isModule: boolean) => {
    seen.add(f);
    w.files.push(rootRel(f));
    const b = readFileSync(f);
    if (onDemand) {
      w.lazyJs += b.length;
      w.lazyJsGz += gz(b);
    } else {
      w.js += b.length;
      w.jsGz += gz(b);
      w.scripts++;
    }
    if (isModule) addModule(rootRel(f), b.toString('utf8'));
  };
  for (const t of tokenize(html)) {
    if (t.type === 'open' && t.name === 'script') {
      const type = t.attrs.type;
      if (type && type !== 'module' && type !== 'text/javascript') continue;
      if (t.attrs.src) {
        const f = localPath(root, page, t.attrs.src, base);
        if (f && !seen.has(f)) addFile(f, type === 'module');
      } else inScript = type === 'module' ? 'module' : 'classic';
    } else if (t.type === 'text' && inScript) {
      w.js += Buffer.byteLength(t.raw);
      w.jsGz += gz(t.raw);
      w.scripts++;
      if (inScript === 'module') addModule(page, t.raw);
      inScript = false;
    } else if (t.type === 'close' && t.name === 'script') inScript = false;
    else if (t.type === 'open' && t.name === 'link' && (t.attrs.rel ?? '').split(/\s+/).includes('stylesheet') && t.attrs.href) {
      const f = localPath(root, page, t.attrs.href, base);
      if (f && !seen.has(f)) {
        seen.add(f);
        const b = readFileSync(f);
        w.css += b.length;
        w.cssGz += gz(b);
      }
    }
  }
  onDemand = true;
  while (lazy.length) {
    const [from, spec] = lazy.shift()!;
    const f = localPath(root, from, spec, base);
    if (f && !seen.has(f)) addFile(f, true);
  }
  return w;
}

/** The JavaScript a page may load apart from search: eager and on demand (what the budgets hold). */
export function budgetedJsGz(w: PageWeight): number {
  return w.jsGz + w.lazyJsGz;
}

export function siteWeights(root: string, base = '/'): PageWeight[] {
  return walk(root)
    .filter((f) => f.endsWith('.html'))
    .map((p) => pageWeight(root, p, base));
}

export function lazyWeights(root: string): Array<{ file: string; bytes: number; gz: number }> {
  return ['search-index.js', 'search-engine.js']
    .filter((f) => existsSync(join(root, f)))
    .map((f) => {
      const b = readFileSync(join(root, f));
      return { file: f, bytes: b.length, gz: gz(b) };
    });
}

/**
 * The widgets' worker scripts (src/widgets/sandbox-worker.ts: the model, the userland and the
 * sandbox's lab, which also runs the timeline's experiments), started when a widget starts; not
 * part of a page's JavaScript (no script imports them) nor of its budget.
 */
export function workerWeights(root: string): Array<{ file: string; bytes: number; gz: number }> {
  const dir = join(root, '_astro');
  if (!existsSync(dir)) return [];
  return walk(dir)
    .filter((f) => /^sandbox-worker[^/]*\.js$/.test(f))
    .map((f) => {
      const b = readFileSync(join(dir, f));
      return { file: `_astro/${f}`, bytes: b.length, gz: gz(b) };
    });
}

/** JS budget for a text-only page (no widget), gzip bytes. */
export const TEXT_PAGE_JS_BUDGET_GZ = 10 * 1024;
/** JS budget for a page with live widgets (<tcp-lab-sim>, <tcp-lab-terminal>), gzip bytes. */
export const WIDGET_PAGE_JS_BUDGET_GZ = 60 * 1024;

/** The budget that applies to a page. */
export function jsBudgetGz(w: PageWeight): number {
  return w.widgets > 0 ? WIDGET_PAGE_JS_BUDGET_GZ : TEXT_PAGE_JS_BUDGET_GZ;
}
