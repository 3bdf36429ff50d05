// A tiny static file server for dist/ (npm start, e2e tests). No dependencies.
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { extname, join, normalize, resolve, sep } from 'node:path';

export const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.pcap': 'application/vnd.tcpdump.pcap',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.map': 'application/json; charset=utf-8',
};

export interface StaticServerOptions {
  root: string;
  /** Site base path, e.g. "/" or "/tcp-lab/" (requests outside it get 404). */
  base?: string;
  host?: string;
  port?: number;
  /**
   * gzip text responses (HTML, CSS, JS, JSON, SVG, XML, text) for clients that accept it, as
   * static hosts such as GitHub Pages do. Off by default (tests compare plain bytes); the
   * Lighthouse run of `npm run report` turns it on so transfer sizes are those of a real host.
   */
  compress?: boolean;
}

const COMPRESSIBLE = /^(text\/|application\/(json|xml|javascript)|image\/svg\+xml)/;

/** Resolve a request path to a file under root, or null. Directories serve index.html. */
export function resolveRequest(root: string, base: string, urlPath: string): string | null {
  let p: string;
  try {
    p = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (!p.startsWith(base)) {
    if (p + '/' === base) p = base;
    else return null;
  }
  const rel = p.slice(base.length);
  const abs = normalize(join(root, rel));
  if (abs !== root && !abs.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    const idx = join(abs, 'index.html');
    return existsSync(idx) ? idx : null;
  }
  if (existsSync(abs) && statSync(abs).isFile()) return abs;
  if (existsSync(abs + '.html')) return abs + '.html';
  return null;
}

export function startStaticServer(opts: StaticServerOptions): Promise<{ server: Server; url: string }> {
  const root = resolve(opts.root);
  const base = (opts.base ?? '/').replace(/\/?$/, '/');
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const urlPath = req.url ?? '/';
    // /sub/dir → /sub/dir/ (so relative links resolve like on a real host)
    const file = resolveRequest(root, base, urlPath);
    if (file && file.endsWith(`${sep}index.html`) && !urlPath.split('?')[0].endsWith('/') && !urlPath.split('?')[0].endsWith('.html')) {
      res.writeHead(301, { Location: urlPath.split('?')[0] + '/' }).end();
      return;
    }
    const headers: Record<string, string> = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };
    if (!file) {
      const nf = join(root, '404.html');
      res.writeHead(404, { ...headers, 'Content-Type': MIME['.html'] });
      if (method === 'HEAD' || !existsSync(nf)) res.end('Not found');
      else createReadStream(nf).pipe(res);
      return;
    }
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    if (opts.compress && COMPRESSIBLE.test(type) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      const body = gzipSync(readFileSync(file));
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding', 'Content-Length': String(body.length) });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': type,
      'Content-Length': String(statSync(file).size),
    });
    if (method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      ok({ server, url: `http://${opts.host ?? '127.0.0.1'}:${port}${base}` });
    });
  });
}
