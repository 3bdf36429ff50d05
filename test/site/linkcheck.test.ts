import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { checkLinks } from '../../src/site/linkcheck.ts';

const tmp = mkdtempSync(join(tmpdir(), 'tcp-lab-links-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function site(name: string, files: Record<string, string>): string {
  const root = join(tmp, name);
  for (const [f, c] of Object.entries(files)) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), c);
  }
  return root;
}

describe('checkLinks', () => {
  test('http mode: directory links, fragments, assets, CSS url()', () => {
    const root = site('http', {
      'index.html': '<a href="/en/">en</a><a href="/en/#sec">frag</a><a href="/en/#nope">bad frag</a><a href="/missing/">x</a><link rel="stylesheet" href="/s.css"><a href="https://example.com/">ext</a>',
      'en/index.html': '<h2 id="sec">S</h2><img src="../logo.svg"><a href="../">up</a>',
      'logo.svg': '<svg/>',
      's.css': 'a{background:url(/nothere.png)}',
    });
    const r = checkLinks(root, { mode: 'http' });
    expect(r.broken.map((b) => `${b.file} ${b.url}`).sort()).toEqual([
      'index.html /en/#nope',
      'index.html /missing/',
      's.css /nothere.png',
    ]);
  });
  test('a #t= moment link is good on a page with the live simulator, broken on one without', () => {
    const root = site('moments', {
      'en/collision/index.html': '<a href="#t=238.851441">replay</a><tcp-lab-sim></tcp-lab-sim>',
      'en/other/index.html': '<a href="#t=12.5">replay</a><a href="../collision/#t=12.5">there</a>',
    });
    const r = checkLinks(root, { mode: 'http' });
    expect(r.broken.map((b) => `${b.file} ${b.url}`)).toEqual(['en/other/index.html #t=12.5']);
  });
  test('file mode: directory links and root-relative URLs are broken offline', () => {
    const root = site('file', {
      'index.html': '<a href="en/index.html">ok</a><a href="en/">dir</a><a href="/en/index.html">abs</a>',
      'en/index.html': '<a href="../index.html#top">top</a><p id="top"></p>',
    });
    const r = checkLinks(root, { mode: 'file' });
    expect(r.broken.map((b) => b.url).sort()).toEqual(['../index.html#top', '/en/index.html', 'en/']);
  });
  test("links to transcripts' text files are checked online and offline", () => {
    const http = site('txt-http', {
      'en/c/index.html': '<a href="/transcripts/e/linux-4.4/a.txt">a</a><a href="/transcripts/e/linux-4.4/gone.txt">gone</a>',
      'transcripts/e/linux-4.4/a.txt': 'text\n',
    });
    expect(checkLinks(http, { mode: 'http' }).broken.map((b) => b.url)).toEqual(['/transcripts/e/linux-4.4/gone.txt']);
    const file = site('txt-file', {
      'en/c/index.html': '<a href="../../transcripts/e/linux-4.4/a.txt">a</a><a href="../transcripts/e/linux-4.4/a.txt">wrong depth</a>',
      'transcripts/e/linux-4.4/a.txt': 'text\n',
    });
    expect(checkLinks(file, { mode: 'file' }).broken.map((b) => b.url)).toEqual(['../transcripts/e/linux-4.4/a.txt']);
  });
  test('base path is honoured in http mode', () => {
    const root = site('base', { 'index.html': '<a href="/sub/a/">a</a><a href="/a/">outside</a>', 'a/index.html': '' });
    const r = checkLinks(root, { mode: 'http', base: '/sub/' });
    expect(r.broken.map((b) => b.url)).toEqual(['/a/']);
  });
});

// The real build output, when present (npm run build && npm run export).
const ROOT = resolve(import.meta.dirname, '../..');
for (const [dir, mode] of [['dist', 'http'], ['dist-offline', 'file']] as const) {
  // skipped without a build, except under CI (which builds first): there a missing build is a failure
  test.skipIf(!existsSync(join(ROOT, dir, 'index.html')) && !process.env.CI)(`no broken internal link or asset in ${dir}/`, () => {
    const r = checkLinks(join(ROOT, dir), { mode, base: mode === 'http' ? process.env.TCP_LAB_BASE || '/' : '/' });
    expect(r.broken).toEqual([]);
    expect(r.links).toBeGreaterThan(100);
  });
}
