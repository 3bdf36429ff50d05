// Link checker over a build output (dist/ served over http, or dist-offline/ from file://).
// Checks every href/src/srcset/meta-refresh/data-root in HTML and url() in CSS that points
// inside the site: the target file must exist, and a #fragment on an HTML page must match an id.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { walk } from './fs-walk.ts';
import { tokenize } from './html.ts';

export interface BrokenLink {
  file: string;
  url: string;
  reason: string;
}
export interface LinkCheckResult {
  files: number;
  links: number;
  broken: BrokenLink[];
}
export type Mode = 'http' | 'file';

function resolveTarget(root: string, file: string, url: string, base: string, mode: Mode): { path: string | null; fragment: string } | 'external' {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')) return 'external';
  const [beforeHash, fragment = ''] = url.split('#', 2);
  const p = beforeHash.split('?')[0];
  let rel: string;
  if (p === '') rel = file;
  else if (p.startsWith('/')) {
    if (mode === 'file') return { path: null, fragment: `root-relative URL in an offline page` };
    if (!p.startsWith(base)) return { path: null, fragment: `outside the base ${base}` };
    rel = p.slice(base.length);
  } else rel = posix.normalize(posix.join(posix.dirname(file), p)) + (p.endsWith('/') ? '/' : '');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return { path: null, fragment: 'undecodable URL' };
  }
  const abs = join(root, decoded);
  const isDir = decoded === '' || decoded.endsWith('/') || (existsSync(abs) && statSync(abs).isDirectory());
  if (isDir) {
    // file:// does not serve index.html for directories.
    if (mode === 'file') return { path: null, fragment: 'directory link (file:// needs index.html)' };
    const idx = join(abs, 'index.html');
    return existsSync(idx) ? { path: posix.join(decoded, 'index.html'), fragment } : { path: null, fragment: 'no index.html' };
  }
  if (existsSync(abs)) return { path: decoded, fragment };
  if (mode === 'http' && existsSync(abs + '.html')) return { path: decoded + '.html', fragment };
  return { path: null, fragment: 'not found' };
}

/** Collect URL references of one HTML page with their attribute names. */
export function htmlRefs(html: string): Array<{ attr: string; url: string }> {
  const refs: Array<{ attr: string; url: string }> = [];
  for (const t of tokenize(html)) {
    if (t.type !== 'open') continue;
    const a = t.attrs;
    for (const k of ['href', 'src', 'poster', 'data-root']) {
      if (a[k] === undefined) continue;
      if (k === 'href' && (t.name === 'base')) continue;
      refs.push({ attr: k, url: a[k] });
    }
    if (a.srcset) for (const part of a.srcset.split(',')) refs.push({ attr: 'srcset', url: part.trim().split(/\s+/)[0] });
    if (t.name === 'meta' && a['http-equiv']?.toLowerCase() === 'refresh') {
      const m = /url=(.*)$/i.exec(a.content ?? '');
      if (m) refs.push({ attr: 'refresh', url: m[1].trim() });
    }
    if (t.name === 'option' && a.value?.startsWith('/')) refs.push({ attr: 'option', url: a.value });
  }
  return refs;
}

export function htmlIds(html: string): Set<string> {
  const ids = new Set<string>();
  for (const t of tokenize(html)) if (t.type === 'open' && t.attrs.id) ids.add(t.attrs.id);
  return ids;
}

/** A `#t=<seconds>` fragment: a moment of the page's simulator. */
const MOMENT = /^t=\d+(\.\d+)?$/;

export function checkLinks(root: string, opts: { mode: Mode; base?: string }): LinkCheckResult {
  const base = (opts.base ?? '/').replace(/\/?$/, '/');
  const files = walk(root);
  const broken: BrokenLink[] = [];
  const idCache = new Map<string, Set<string>>();
  const ids = (p: string) => {
    let s = idCache.get(p);
    if (!s) idCache.set(p, (s = htmlIds(readFileSync(join(root, p), 'utf8'))));
    return s;
  };
  const simCache = new Map<string, boolean>();
  const hasSimulator = (p: string) => {
    if (!simCache.has(p)) simCache.set(p, readFileSync(join(root, p), 'utf8').includes('<tcp-lab-sim'));
    return simCache.get(p)!;
  };
  let links = 0;
  for (const file of files) {
    let refs: Array<{ attr: string; url: string }> = [];
    if (file.endsWith('.html')) refs = htmlRefs(readFileSync(join(root, file), 'utf8'));
    else if (file.endsWith('.css')) {
      for (const m of readFileSync(join(root, file), 'utf8').matchAll(/url\((['"]?)([^)'"]+)\1\)/g)) {
        if (!m[2].startsWith('data:')) refs.push({ attr: 'url()', url: m[2] });
      }
    } else continue;
    for (const { attr, url } of refs) {
      if (!url) continue;
      links++;
      // data-root is a directory prefix, not a link.
      const r = resolveTarget(root, file, attr === 'data-root' ? url + 'search-index.js' : url, base, opts.mode);
      if (r === 'external') continue;
      if (!r.path) {
        broken.push({ file, url, reason: r.fragment });
        continue;
      }
      // #t=<seconds> names a moment of the page's live simulator (src/site/moments.ts), not an element
      if (MOMENT.test(r.fragment) && r.path.endsWith('.html')) {
        if (!hasSimulator(r.path)) broken.push({ file, url, reason: `a moment link to ${r.path}, which has no <tcp-lab-sim>` });
        continue;
      }
      if (r.fragment && r.path.endsWith('.html') && !ids(r.path).has(decodeURIComponent(r.fragment))) {
        broken.push({ file, url, reason: `no element with id "${r.fragment}" in ${r.path}` });
      }
    }
  }
  return { files: files.length, links, broken };
}
