// Page weight of a built site: bytes (raw and gzip) of HTML, CSS and the JavaScript each page
// loads eagerly (module/classic scripts, inline scripts). Lazily loaded search files are reported
// separately. Used by scripts/report.ts and the budget test.
import { gzipSync } from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
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
  scripts: number;
  /** Number of live widgets (<tcp-lab-sim>) on the page; pages without any are "text-only". */
  widgets: number;
}

const gz = (b: Buffer | string) => gzipSync(b, { level: 9 }).length;

function localPath(root: string, page: string, url: string, base: string): string | null {
  if (/^[a-z]+:/i.test(url) || url.startsWith('//')) return null;
  const p = url.split(/[?#]/)[0];
  const rel = p.startsWith('/') ? p.slice(base.length) : posix.normalize(posix.join(posix.dirname(page), p));
  const abs = join(root, rel);
  return existsSync(abs) ? abs : null;
}

export function pageWeight(root: string, page: string, base = '/'): PageWeight {
  const html = readFileSync(join(root, page), 'utf8');
  const w: PageWeight = { page, html: Buffer.byteLength(html), htmlGz: gz(html), js: 0, jsGz: 0, css: 0, cssGz: 0, scripts: 0, widgets: (html.match(/<tcp-lab-sim\b/g) ?? []).length };
  let inScript = false;
  const seen = new Set<string>();
  for (const t of tokenize(html)) {
    if (t.type === 'open' && t.name === 'script') {
      const type = t.attrs.type;
      if (type && type !== 'module' && type !== 'text/javascript') continue;
      if (t.attrs.src) {
        const f = localPath(root, page, t.attrs.src, base);
        if (f && !seen.has(f)) {
          seen.add(f);
          const b = readFileSync(f);
          w.js += b.length;
          w.jsGz += gz(b);
          w.scripts++;
        }
      } else inScript = true;
    } else if (t.type === 'text' && inScript) {
      w.js += Buffer.byteLength(t.raw);
      w.jsGz += gz(t.raw);
      w.scripts++;
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
  return w;
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

/** JS budget for a text-only page (no widget), gzip bytes. */
export const TEXT_PAGE_JS_BUDGET_GZ = 10 * 1024;
