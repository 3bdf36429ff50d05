// Steps run after `astro build` over dist/ (from the integration in src/site/postbuild.ts):
//  1. search-index.js: text of every built page (so generated transcripts are indexed), one
//     document per h2/h3 section, as a classic script (loadable from file://).
//  2. search-engine.js: src/site/search-engine.ts + MiniSearch, bundled as a classic IIFE.
//  3. CSP: replace script-src 'unsafe-inline' by the sha256 of each inline script of the page.
//  4. _headers: the same policy as HTTP headers for hosts that read it (Netlify, Cloudflare).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { walk } from './fs-walk.ts';
import { extractPageText } from './html.ts';
import { CSP_DIRECTIVES, cspString } from './config.ts';
import type { SearchDoc } from './search-engine.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Page path (relative to dist) → URL relative to the site root, e.g. en/collision/index.html → en/collision/ */
export function pageUrl(rel: string): string {
  return rel.replace(/(^|\/)index\.html$/, '$1');
}

export function buildSearchDocs(dir: string): SearchDoc[] {
  const docs: SearchDoc[] = [];
  for (const rel of walk(dir).filter((f) => f.endsWith('.html'))) {
    if (rel === '404.html' || rel === 'index.html') continue;
    const page = extractPageText(readFileSync(join(dir, rel), 'utf8'));
    if (!page) continue;
    for (const s of page.sections) {
      docs.push({
        id: docs.length,
        url: pageUrl(rel) + (s.id ? `#${s.id}` : ''),
        lang: page.lang,
        page: page.title,
        heading: s.heading,
        text: s.text,
      });
    }
  }
  return docs;
}

export function searchIndexScript(docs: SearchDoc[]): string {
  // JSON is valid JS; escape "</" and U+2028/2029 defensively.
  const json = JSON.stringify({ version: 1, docs })
    .replaceAll('</', '<\\/')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
  return `window.__TCP_LAB_SEARCH__=${json};\n`;
}

export async function bundleSearchEngine(): Promise<string> {
  const res = await build({
    entryPoints: [join(HERE, 'search-engine.ts')],
    bundle: true,
    format: 'iife',
    minify: true,
    write: false,
    target: 'es2022',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  return res.outputFiles[0].text;
}

const INLINE_SCRIPT_RE = /<script\b([^>]*)>([\s\S]*?)<\/script>/gi;
const CSP_META_RE = /(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")/;

/** The sha256 CSP sources for every inline (non-src, executable) script in the page. */
export function inlineScriptHashes(html: string): string[] {
  const hashes = new Set<string>();
  for (const m of html.matchAll(INLINE_SCRIPT_RE)) {
    const attrs = m[1];
    if (/\bsrc\s*=/.test(attrs)) continue;
    const type = /\btype\s*=\s*"([^"]*)"/.exec(attrs)?.[1];
    if (type && type !== 'module' && type !== 'text/javascript') continue;
    hashes.add(`'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`);
  }
  return [...hashes].sort();
}

export function tightenCsp(html: string): string {
  const m = CSP_META_RE.exec(html);
  if (!m) return html;
  const hashes = inlineScriptHashes(html);
  const policy = CSP_DIRECTIVES.map(([k, v]) =>
    k === 'script-src' ? `${k} 'self'${hashes.length ? ' ' + hashes.join(' ') : ''}` : `${k} ${v}`,
  ).join('; ');
  return html.replace(CSP_META_RE, (_a, pre: string, _old: string, post: string) => `${pre}${policy}${post}`);
}

export function headersFile(base: string): string {
  const b = base.replace(/\/?$/, '/');
  return (
    `${b}*\n` +
    `  Content-Security-Policy: ${cspString()}; frame-ancestors 'none'\n` +
    `  X-Content-Type-Options: nosniff\n` +
    `  Referrer-Policy: no-referrer\n`
  );
}

/**
 * Expressive Code emits its stylesheet link just before a page's first code block, in <body>,
 * so on a slow connection the transcripts can be painted unstyled first and restyled when it
 * arrives. Moving every stylesheet link of the body into <head> makes it render-blocking like
 * the site's own CSS, so the first paint of a transcript is its final look.
 */
export function hoistStylesheets(html: string): string {
  const headEnd = html.indexOf('</head>');
  if (headEnd < 0) return html;
  const links: string[] = [];
  const body = html.slice(headEnd).replace(/<link rel="stylesheet" href="[^"]+"(?: media="[^"]*")?>/g, (m) => {
    links.push(m);
    return '';
  });
  if (!links.length) return html;
  return html.slice(0, headEnd) + [...new Set(links)].join('') + body;
}

export async function postBuild(dir: string, base: string, logger: { info(m: string): void }): Promise<void> {
  const docs = buildSearchDocs(dir);
  writeFileSync(join(dir, 'search-index.js'), searchIndexScript(docs));
  writeFileSync(join(dir, 'search-engine.js'), await bundleSearchEngine());
  let pages = 0;
  for (const rel of walk(dir).filter((f) => f.endsWith('.html'))) {
    const p = join(dir, rel);
    const html = readFileSync(p, 'utf8');
    const out = tightenCsp(hoistStylesheets(html));
    if (out !== html) {
      writeFileSync(p, out);
      pages++;
    }
  }
  writeFileSync(join(dir, '_headers'), headersFile(base));
  logger.info(`search index: ${docs.length} sections; CSP hashed on ${pages} pages`);
}
