import { describe, expect, test } from 'vitest';
import { offlineUrl, rewriteHtmlUrls, rewriteCssUrls, extractModuleScripts, offlineCsp } from '../../src/site/offline.ts';

const exists = (p: string) => ['en/collision/index.html', 'en/index.html', 'index.html', '_astro/a.css'].includes(p);

describe('offlineUrl', () => {
  test('root-relative and relative directory links become relative .html links', () => {
    expect(offlineUrl('/en/collision/', 'en/recv-q/index.html', '/', exists)).toBe('../collision/index.html');
    expect(offlineUrl('/en/collision/#step', 'en/index.html', '/', exists)).toBe('./collision/index.html#step');
    expect(offlineUrl('../collision/', 'en/recv-q/index.html', '/', exists)).toBe('../collision/index.html');
    expect(offlineUrl('/', 'en/recv-q/index.html', '/', exists)).toBe('../../index.html');
    expect(offlineUrl('/en/collision', 'index.html', '/', exists)).toBe('./en/collision/index.html');
    expect(offlineUrl('/_astro/a.css', 'en/index.html', '/', exists)).toBe('../_astro/a.css');
  });
  test("a transcript's text file becomes a relative link to the file, under any base", () => {
    expect(offlineUrl('/transcripts/seed-collision/linux-4.4/watch-states.txt', 'zh-cn/collision/index.html', '/', exists)).toBe(
      '../../transcripts/seed-collision/linux-4.4/watch-states.txt',
    );
    expect(offlineUrl('/tcp-lab/transcripts/e/linux-6.x/b.txt', 'en/changes/index.html', '/tcp-lab/', exists)).toBe('../../transcripts/e/linux-6.x/b.txt');
  });
  test('a sub-path base is stripped', () => {
    expect(offlineUrl('/tcp-lab/en/collision/', 'en/index.html', '/tcp-lab/', exists)).toBe('./collision/index.html');
    expect(offlineUrl('/elsewhere/', 'en/index.html', '/tcp-lab/', exists)).toBeNull();
  });
  test('external, fragment-only and data URLs are left alone', () => {
    for (const u of ['https://example.com/', '#top', 'data:,', 'mailto:a@b', '//cdn.example/x.js']) {
      expect(offlineUrl(u, 'en/index.html', '/', exists)).toBeNull();
    }
  });
  test('directory prefixes (data-root) stay directories', () => {
    expect(offlineUrl('/', 'en/collision/index.html', '/', exists, 'dir')).toBe('../../');
    expect(offlineUrl('/', 'index.html', '/', exists, 'dir')).toBe('./');
  });
});

test('rewriteHtmlUrls handles attributes, meta refresh and language options', () => {
  const html = `<a href="/en/collision/">x</a><img src="/_astro/a.css"><meta http-equiv="refresh" content="0;url=/en/"><tcp-search data-root="/"></tcp-search><option value="/en/collision/">EN</option><a href="https://x.org/">e</a>`;
  const out = rewriteHtmlUrls(html, 'index.html', '/', exists);
  expect(out).toContain('href="./en/collision/index.html"');
  expect(out).toContain('src="./_astro/a.css"');
  expect(out).toContain('content="0;url=./en/index.html"');
  expect(out).toContain('data-root="./"');
  expect(out).toContain('value="./en/collision/index.html"');
  expect(out).toContain('href="https://x.org/"');
});

test('rewriteCssUrls makes url(/…) relative to the stylesheet', () => {
  expect(rewriteCssUrls('a{background:url(/_astro/a.css)}', '_astro/b.css', '/', exists)).toBe('a{background:url(./a.css)}');
});

test('extractModuleScripts keeps order and leaves one marker', () => {
  const html = `<head><script type="module">one()</script><script>classic()</script></head><body><script type="module" src="/_astro/x.js"></script></body>`;
  const r = extractModuleScripts(html, 'en/index.html', '/');
  expect(r.parts).toEqual([{ kind: 'inline', code: 'one()' }, { kind: 'file', path: '_astro/x.js' }]);
  expect(r.html).toBe('<head><!--tcp-lab-offline-bundle--><script>classic()</script></head><body></body>');
});

test('offline CSP allows file: only and hashes the remaining inline scripts', () => {
  const html = `<meta http-equiv="Content-Security-Policy" content="default-src 'self'"><script>x()</script>`;
  const out = offlineCsp(html);
  expect(out).toMatch(/script-src file: 'sha256-[^']+' blob:; default-src 'none'/);
  expect(out).toContain("connect-src 'none'");
  expect(/content="([^"]*)"/.exec(out)![1]).not.toMatch(/https?:/);
});
