// Offline export: turn dist/ (served over http) into dist-offline/ that works from file://.
//  - every page's <script type="module"> (inline and external) → one classic IIFE (esbuild),
//    content-hashed and shared between pages with the same script set;
//  - root-relative and directory URLs → relative paths to real .html files;
//  - CSS url(/…) → relative; the search index URLs → .html;
//  - the online CSP (sha256 hashes, 'self') → an offline CSP that allows file: only;
//  - the sandbox terminal's worker script (Chromium starts no worker from a file: URL) → embedded
//    in the bundles that start it, as a string the terminal turns into a Blob URL.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { walk } from './fs-walk.ts';
import { inlineScriptHashes } from './postbuild-steps.ts';

export const OFFLINE_CSP_BASE: ReadonlyArray<readonly [string, string]> = [
  ['default-src', "'none'"],
  ['style-src', "file: 'unsafe-inline'"],
  ['img-src', 'file: data:'],
  ['font-src', 'file: data:'],
  ['connect-src', "'none'"],
  // the sandbox terminal's worker, started from a Blob URL of its embedded script
  ['worker-src', 'blob:'],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
];

function isExternal(u: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(u) || u.startsWith('//');
}

/**
 * Map a URL found in `fromFile` (path relative to the output root) to what works from file://.
 * `base` is the site base ("/" or "/sub/"). Returns null when the URL must stay as it is.
 * `kind: 'dir'` keeps directory URLs as directories (used for prefixes such as data-root).
 */
export function offlineUrl(url: string, fromFile: string, base: string, exists: (p: string) => boolean, kind: 'page' | 'dir' = 'page'): string | null {
  if (!url || url.startsWith('#') || isExternal(url)) return null;
  const m = /^([^?#]*)([?#].*)?$/.exec(url)!;
  let path = m[1];
  const suffix = m[2] ?? '';
  if (path === '') return null;
  const fromDir = posix.dirname(fromFile);
  let target: string; // path relative to the output root
  if (path.startsWith('/')) {
    if (!path.startsWith(base) && path + '/' !== base) return null;
    target = path.slice(base.length);
  } else {
    target = posix.normalize(posix.join(fromDir, path));
    if (path.endsWith('/') && !target.endsWith('/')) target += '/';
  }
  if (target === '.' || target === './') target = '';
  if (kind === 'dir') {
    let rel = posix.relative(fromDir, target.replace(/\/$/, '') || '.') || '.';
    return rel + '/';
  }
  if (target === '' || target.endsWith('/')) target += 'index.html';
  else if (!/\.[a-z0-9]+$/i.test(posix.basename(target)) && exists(target + '/index.html')) target += '/index.html';
  else if (!/\.[a-z0-9]+$/i.test(posix.basename(target)) && exists(target + '.html')) target += '.html';
  let rel = posix.relative(fromDir, target);
  if (!rel.startsWith('.')) rel = './' + rel;
  return rel + suffix;
}

const ATTR_URL_RE = /(\s(?:href|src|poster|action|data-root|data-src)=)("([^"]*)"|'([^']*)')/gi;
const META_REFRESH_RE = /(<meta\s+http-equiv="refresh"\s+content="\d+;\s*url=)([^"]*)(")/i;
const OPTION_RE = /(<option\b[^>]*?\svalue=")([^"]*)(")/gi;
const SRCSET_RE = /(\ssrcset=")([^"]*)(")/gi;

export function rewriteHtmlUrls(html: string, file: string, base: string, exists: (p: string) => boolean): string {
  const map = (u: string, kind: 'page' | 'dir' = 'page') => offlineUrl(u, file, base, exists, kind) ?? u;
  return html
    .replace(ATTR_URL_RE, (_all, pre: string, _q: string, dq?: string, sq?: string) => {
      const v = dq ?? sq ?? '';
      const kind = /data-root/i.test(pre) ? 'dir' : 'page';
      return `${pre}"${map(v, kind).replaceAll('"', '&quot;')}"`;
    })
    .replace(META_REFRESH_RE, (_a, pre: string, u: string, post: string) => pre + map(u) + post)
    .replace(OPTION_RE, (_a, pre: string, u: string, post: string) => pre + (u.startsWith('/') ? map(u) : u) + post)
    .replace(SRCSET_RE, (_a, pre: string, v: string, post: string) =>
      pre + v.split(',').map((part) => part.trim().replace(/^\S+/, (u) => map(u))).join(', ') + post,
    );
}

export function rewriteCssUrls(css: string, file: string, base: string, exists: (p: string) => boolean): string {
  return css.replace(/url\((['"]?)(\/[^)'"]*)\1\)/g, (all, q: string, u: string) => {
    const r = offlineUrl(u, file, base, exists);
    return r ? `url(${q}${r}${q})` : all;
  });
}

const MODULE_SCRIPT_RE = /<script\b([^>]*\btype="module"[^>]*)>([\s\S]*?)<\/script>/gi;

interface PageScripts {
  html: string;
  parts: Array<{ kind: 'inline'; code: string } | { kind: 'file'; path: string }>;
}

/** Remove every module script from the page, remembering them in order; leave a marker at the first. */
export function extractModuleScripts(html: string, file: string, base: string): PageScripts {
  const parts: PageScripts['parts'] = [];
  let first = true;
  const out = html.replace(MODULE_SCRIPT_RE, (_all, attrs: string, code: string) => {
    const src = /\ssrc="([^"]*)"/.exec(attrs)?.[1];
    if (src) {
      const target = src.startsWith('/') ? src.slice(base.length) : posix.normalize(posix.join(posix.dirname(file), src));
      parts.push({ kind: 'file', path: target });
    } else parts.push({ kind: 'inline', code });
    const marker = first ? '<!--tcp-lab-offline-bundle-->' : '';
    first = false;
    return marker;
  });
  return { html: out, parts };
}

async function bundle(parts: PageScripts['parts'], root: string): Promise<string> {
  const virtual: Plugin = {
    name: 'inline-scripts',
    setup(b) {
      b.onResolve({ filter: /^inline:\d+$/ }, (a) => ({ path: a.path, namespace: 'inline' }));
      b.onLoad({ filter: /.*/, namespace: 'inline' }, (a) => {
        const p = parts[Number(a.path.slice(7))];
        return { contents: p.kind === 'inline' ? p.code : '', loader: 'js', resolveDir: root };
      });
    },
  };
  const entry = parts
    .map((p, i) => (p.kind === 'inline' ? `import "inline:${i}";` : `import ${JSON.stringify(join(root, p.path))};`))
    .join('\n');
  const res = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'offline-entry.js', loader: 'js' },
    bundle: true,
    format: 'iife',
    minify: true,
    write: false,
    target: 'es2022',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    plugins: [virtual],
  });
  return res.outputFiles[0].text;
}

export function offlineCsp(html: string): string {
  const hashes = inlineScriptHashes(html);
  // blob: the widgets' embedded worker script run on the page's thread where no worker starts (worker-runner.ts)
  const policy = [['script-src', ['file:', ...hashes, 'blob:'].join(' ')] as const, ...OFFLINE_CSP_BASE]
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
  return html.replace(/(<meta http-equiv="Content-Security-Policy" content=")[^"]*(")/, `$1${policy}$2`);
}

/** The sandbox terminal's worker scripts as Vite emitted them (terminal.ts: `sandbox-worker.ts?worker`). */
export function sandboxWorkerFiles(files: readonly string[]): string[] {
  return files.filter((f) => /^_astro\/sandbox-worker[^/]*\.js$/.test(f));
}

/**
 * A bundle that refers to a worker script gets that script as a string first: from file:// the
 * widgets (the sandbox terminal, the timeline's runs) start it from a Blob URL (src/widgets/worker-runner.ts).
 */
export function embedSandboxWorker(code: string, workers: ReadonlyMap<string, string>): string {
  for (const [file, script] of workers) {
    if (code.includes(posix.basename(file))) return `globalThis.TCP_LAB_SANDBOX_WORKER=${JSON.stringify(script)};\n${code}`;
  }
  return code;
}

export interface ExportResult {
  pages: number;
  bundles: number;
}

export async function exportOffline(src: string, out: string, base = '/'): Promise<ExportResult> {
  base = base.replace(/\/?$/, '/');
  if (!base.startsWith('/')) base = '/' + base;
  if (!existsSync(join(src, 'index.html')) && !existsSync(join(src, '404.html'))) {
    throw new Error(`${src} does not look like a build output (run npm run build first)`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(src, out, { recursive: true });
  rmSync(join(out, '_headers'), { force: true });
  const files = walk(out);
  const exists = (p: string) => existsSync(join(out, p));
  const workers = new Map(sandboxWorkerFiles(files).map((f) => [f, readFileSync(join(out, f), 'utf8')] as const));
  const bundles = new Map<string, string>(); // bundle key → file name
  let pages = 0;
  for (const file of files) {
    const abs = join(out, file);
    if (file.endsWith('.html')) {
      let html = readFileSync(abs, 'utf8');
      const { html: stripped, parts } = extractModuleScripts(html, file, base);
      html = stripped;
      if (parts.length) {
        const code = embedSandboxWorker(await bundle(parts, out), workers);
        const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
        const name = `_astro/offline.${hash}.js`;
        if (!bundles.has(name)) {
          writeFileSync(join(out, name), code);
          bundles.set(name, name);
        }
        html = html.replace('<!--tcp-lab-offline-bundle-->', `<script defer src="/${name.replace(/^\//, '')}"></script>`.replace('src="/', `src="${base}`));
      }
      html = rewriteHtmlUrls(html, file, base, exists);
      html = offlineCsp(html);
      writeFileSync(abs, html);
      pages++;
    } else if (file.endsWith('.css')) {
      writeFileSync(abs, rewriteCssUrls(readFileSync(abs, 'utf8'), file, base, exists));
    } else if (file === 'search-index.js') {
      const js = readFileSync(abs, 'utf8').replace(/"url":"([^"]*)"/g, (_a, u: string) => {
        const [p, frag] = u.split('#');
        const target = p === '' || p.endsWith('/') ? p + 'index.html' : p;
        return `"url":"${target}${frag ? '#' + frag : ''}"`;
      });
      writeFileSync(abs, js);
    }
  }
  // Module chunks now live inside the bundles; drop the originals nobody references.
  for (const file of files) {
    if (!file.startsWith('_astro/') || !file.endsWith('.js')) continue;
    const still = files.some((f) => f.endsWith('.html') && readFileSync(join(out, f), 'utf8').includes(posix.basename(file)));
    if (!still) rmSync(join(out, file));
  }
  mkdirSync(dirname(out), { recursive: true });
  return { pages, bundles: bundles.size };
}
