import { describe, expect, test } from 'vitest';
import { tokenizeText } from '../../src/site/search-tokenize.ts';
import { createEngine, type SearchDoc } from '../../src/site/search-engine.ts';
import { extractPageText } from '../../src/site/html.ts';
import { searchIndexScript, inlineScriptHashes, tightenCsp, hoistStylesheets } from '../../src/site/postbuild-steps.ts';

test('tokenizer: Latin words lower-cased, CJK runs as bigrams', () => {
  expect(tokenizeText('LISTEN Recv-Q 监听队列')).toEqual(['listen', 'recv', 'q', '监听', '听队', '队列']);
  expect(tokenizeText('队')).toEqual(['队']);
  // `_` separates words as `-` does (the kernel's CLOSE_WAIT is ss's CLOSE-WAIT)
  expect(tokenizeText('CLOSE_WAIT tcp_fin_timeout')).toEqual(['close', 'wait', 'tcp', 'fin', 'timeout']);
});

test('search: the kernel\'s spellings CLOSE_WAIT and SYN_RECV find the ss spellings the chapters use', () => {
  const search = createEngine([
    { id: 0, url: 'en/background/', lang: 'en', page: 'Queues', heading: '', text: 'A request sock is shown by ss as SYN-RECV.' },
    { id: 1, url: 'en/collision/', lang: 'en', page: 'Collision', heading: '', text: 'The child moves to CLOSE-WAIT and stays there.' },
  ]);
  expect(search('CLOSE_WAIT', 'en').map((h) => h.url)).toEqual(['en/collision/']);
  expect(search('SYN_RECV', 'en').map((h) => h.url)).toEqual(['en/background/']);
});

test('page text: an inline element adds no space ("SYN-SENT." not "SYN-SENT ."), a block does', () => {
  const p = extractPageText(`<html lang="en"><body><h1 id="_top">T</h1><div class="sl-markdown-content"><p>The client is in <code>SYN-SENT</code>. It <strong>answers</strong>, <a href="#">here</a>!</p><p>Next<br>line</p><ul><li>a</li><li>b</li></ul></div></body></html>`)!;
  expect(p.sections[0].text).toBe('The client is in SYN-SENT. It answers, here! Next line a b');
});

describe('engine', () => {
  const docs: SearchDoc[] = [
    { id: 0, url: 'en/recv-q/', lang: 'en', page: 'Why Recv-Q ≠ connections', heading: '', text: 'The accept queue keeps dead children.' },
    { id: 1, url: 'en/challenge-ack/#x', lang: 'en', page: 'Challenge ACK', heading: 'Rate limits', text: 'A challenge ACK per 500 ms.' },
    { id: 2, url: 'zh-cn/recv-q/', lang: 'zh-CN', page: 'Recv-Q 为何对不上', heading: '', text: '监听套接字的 accept 队列会保留已经死掉的子连接。' },
  ];
  const search = createEngine(docs);
  test('English word, prefix and fuzzy', () => {
    expect(search('challenge', 'en')[0].url).toBe('en/challenge-ack/#x');
    expect(search('chall', 'en')[0].url).toBe('en/challenge-ack/#x');
    expect(search('queus', 'en')[0]?.url).toBe('en/recv-q/');
  });
  test('Chinese words, including a single character', () => {
    expect(search('队列', 'zh-CN')[0].url).toBe('zh-cn/recv-q/');
    expect(search('子连接', 'zh-CN')[0].url).toBe('zh-cn/recv-q/');
    expect(search('队', 'zh-CN')[0].url).toBe('zh-cn/recv-q/');
    expect(search('不存在的词', 'zh-CN')).toEqual([]);
  });
  test('results prefer the page language and carry a snippet', () => {
    const hits = search('accept', 'zh-CN');
    expect(hits.map((h) => h.url)).toEqual(['zh-cn/recv-q/']);
    expect(hits[0].snippet).toContain('accept');
  });
});

test('extractPageText splits a Starlight page into sections and skips copy buttons and recorded originals', () => {
  const html = `<html lang="zh-CN"><head><title>x</title><script>var a="<p>";</script></head><body>
  <h1 id="_top">标题</h1><div class="sl-markdown-content"><p>前言 &amp; intro</p>
  <div class="sl-heading-wrapper"><h2 id="one">第一节</h2><a class="sl-anchor-link" href="#one"><span class="sr-only">Section titled</span></a></div>
  <p>正文 text</p><div class="copy"><button data-code="x">Copy</button></div>
  <details class="tcp-transcript__recorded"><summary>rec</summary>HIDDEN</details>
  </div><footer>FOOT</footer></body></html>`;
  const p = extractPageText(html)!;
  expect(p.lang).toBe('zh-CN');
  expect(p.title).toBe('标题');
  expect(p.sections).toEqual([
    { id: '', heading: '', text: '前言 & intro' },
    { id: 'one', heading: '第一节', text: '正文 text' },
  ]);
});

test('search index script is a classic script that cannot close its own tag', () => {
  const s = searchIndexScript([{ id: 0, url: 'a/', lang: 'en', page: '</script>', heading: '', text: '' }]);
  expect(s.startsWith('window.__TCP_LAB_SEARCH__=')).toBe(true);
  expect(s).not.toContain('</script>');
});

test('CSP: inline scripts are hashed and unsafe-inline is dropped from script-src', () => {
  const html = `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'"><script>a()</script><script type="module">b()</script><script src="/x.js"></script><script type="application/ld+json">{}</script>`;
  expect(inlineScriptHashes(html)).toHaveLength(2);
  const out = tightenCsp(html);
  expect(out).toMatch(/script-src 'self' 'sha256-[^']+' 'sha256-[^']+';/);
  expect(out).not.toMatch(/script-src[^;]*unsafe-inline/);
  expect(out).toContain("style-src 'self' 'unsafe-inline'");
});

test('stylesheet links emitted in <body> (Expressive Code) move into <head>, once each', () => {
  const html = `<html><head><link rel="stylesheet" href="/_astro/common.css"></head><body><p>x</p><link rel="stylesheet" href="/_astro/ec.css"><pre></pre><link rel="stylesheet" href="/_astro/ec.css"></body></html>`;
  const out = hoistStylesheets(html);
  const head = out.slice(0, out.indexOf('</head>'));
  expect(head).toContain('<link rel="stylesheet" href="/_astro/ec.css">');
  expect(out.slice(out.indexOf('</head>'))).not.toContain('stylesheet');
  expect(out.match(/ec\.css/g)).toHaveLength(1);
  expect(hoistStylesheets('<p>no head</p>')).toBe('<p>no head</p>');
});
