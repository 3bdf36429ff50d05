// What a first-time reader trips over (issue 18), checked the way a reader meets it: in English and
// Chinese, light and dark, on a desktop (1280x800) and a phone (390x844, touch), over http (dist/)
// and from file:// (dist-offline/). One describe per combination; every test runs in each.
// Assumes `npm run build && npm run export` (builds them itself if missing: see helpers.ts).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, launch, watchedPage, DIST, OFFLINE, ROOT, type Watched } from './helpers.ts';
import { startStaticServer } from '../../src/site/static-server.ts';
import { NOTE } from '../../src/site/note.ts';

let browser: Browser;
let httpBase: string;
let close: () => void;
const AXE = readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

beforeAll(async () => {
  ensureBuilt();
  browser = await launch();
  const { server, url } = await startStaticServer({ root: DIST });
  httpBase = url;
  close = () => server.close();
});
afterAll(async () => {
  await browser?.close();
  close?.();
});

const CHAPTERS = readdirSync(resolve(ROOT, 'content/docs/en'))
  .filter((f) => f.endsWith('.mdx'))
  .map((f) => f.replace(/\.mdx$/, ''))
  .sort();
const fileBase = pathToFileURL(OFFLINE).href + '/';
const MODES = [
  { name: 'http', url: (p: string) => httpBase + p },
  { name: 'file', url: (p: string) => fileBase + (p === '' ? 'index.html' : p.endsWith('/') ? p + 'index.html' : p) },
] as const;
const VIEWPORTS: Record<'desktop' | 'phone', BrowserContextOptions> = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};
const LANGS = [
  { dir: 'en', locale: 'en-US', zh: false },
  { dir: 'zh-cn', locale: 'zh-CN', zh: true },
] as const;
const THEMES = ['light', 'dark'] as const;
/** The chapter's path under a language ('index' is the language's home page). */
const chapterPath = (lang: string, ch: string) => `${lang}/${ch === 'index' ? '' : ch + '/'}`;
/** Pictures and figures of other parts of the site (the live widgets, the step figures): checked by their own tests. */
const OTHERS = 'tcp-lab-sim, .tcp-term, .tcp-step';
/** Render every section, transcript and widget box now (they are skipped off screen). */
const SHOW_ALL = '.tcp-section, .tcp-transcript, .tcp-sim, .tcp-term { content-visibility: visible !important }';

for (const mode of MODES) {
  for (const [vpName, vp] of Object.entries(VIEWPORTS)) {
    for (const theme of THEMES) {
      for (const lang of LANGS) {
        describe(`${mode.name} · ${vpName} · ${theme} · ${lang.dir}`, () => {
          // one browser context and page for the combination: each test navigates it
          let w: Watched;
          beforeAll(async () => {
            w = await watchedPage(browser, { context: { ...vp, locale: lang.locale } });
            await w.page.context().addInitScript((t) => {
              if (location.protocol !== 'about:') localStorage.setItem('starlight-theme', t);
            }, theme);
          });
          afterAll(() => w?.page.context().close());
          const open = async (path: string, hash = ''): Promise<Watched> => {
            // a fresh document even when only the fragment differs from the last one
            if (w.page.url() !== 'about:blank') await w.page.goto('about:blank');
            await w.page.goto(mode.url(path) + hash);
            return w;
          };
          /** No console error, page error or failed request since the last check. */
          const done = async (x: Watched) => {
            expect(x.errors).toEqual([]);
            x.errors.length = 0;
          };
          /** Runs axe on every page in one language per theme and width (the pages differ by language in text only). */
          const axeHere = mode.name === 'http' && (theme === 'light') === (vpName === 'desktop') === !lang.zh;

          test('every page: no hidden overflow in a transcript or figure, no SVG text under 12 px, no placeholder or example.com repository; axe finds nothing serious', async () => {
            for (const ch of CHAPTERS) {
              const w = await open(chapterPath(lang.dir, ch));
              const page = w.page;
              expect(await page.locator('html').getAttribute('data-theme'), ch).toBe(theme);
              await page.addStyleTag({ content: SHOW_ALL });
              const r = await page.evaluate((others) => {
                const outside = (e: Element) => !e.closest(others);
                const hidden = [...document.querySelectorAll<HTMLElement>('main pre, main figure, main .expressive-code')]
                  .filter(outside)
                  .filter((e) => getComputedStyle(e).overflowX !== 'visible' && e.scrollWidth - e.clientWidth > 1)
                  .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${e.closest('[data-block]')?.getAttribute('data-block') ?? ''}: ${e.scrollWidth - e.clientWidth} px hidden`);
                const svgText = [...document.querySelectorAll<SVGTextContentElement>('main svg text')].filter(outside).flatMap((t) => {
                  const ctm = t.ownerSVGElement?.getScreenCTM();
                  const px = parseFloat(getComputedStyle(t).fontSize) * Math.abs(ctm?.a ?? 1);
                  return t.getBoundingClientRect().width > 0 && px < 12 ? [`${px.toFixed(1)} px: ${t.textContent}`] : [];
                });
                const text = document.querySelector('main')!.textContent ?? '';
                const links = [...document.querySelectorAll<HTMLAnchorElement>('a[href]')].map((a) => a.href);
                return { hidden, svgText, text, links };
              }, OTHERS);
              expect(r.hidden, ch).toEqual([]);
              expect(r.svgText, ch).toEqual([]);
              expect(r.text, ch).not.toMatch(/goes here|将放在这里/);
              expect(r.links.filter((l) => l.includes('github.com/example')), ch).toEqual([]);
              // no repository is configured for these builds: no "Edit page" link and no source icon
              expect(await page.locator('.tcp-edit-link, a[href*="/edit/"]').count(), ch).toBe(0);
              expect(await page.locator('header .social-icons a, header a[href*="github.com"]').count(), ch).toBe(0);
              // axe over http (the offline pages are the same markup with file:// addresses, offline.test.ts),
              // each theme at each width once, in English or in Chinese
              if (!axeHere) {
                await done(w);
                continue;
              }
              // the widgets build their controls when they come into view: bring them up for axe
              for (const sim of await page.locator('tcp-lab-sim').all()) {
                await sim.scrollIntoViewIfNeeded();
                await sim.locator('.tcp-sim__live').waitFor({ timeout: 20_000 });
              }
              await page.evaluate(AXE);
              const violations = await page.evaluate(async () => {
                const res = await (window as unknown as { axe: { run(c: Document, o: object): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run(document, { resultTypes: ['violations'] });
                return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
              });
              expect(violations, ch).toEqual([]);
              await done(w);
            }
          }, 240_000);

          test('#1 a #t= link brings the page to the widget at that moment; a new fragment and Back move it', async () => {
            const w = await open(chapterPath(lang.dir, 'collision'), '#t=238.851441');
            const page = w.page;
            const sim = page.locator('tcp-lab-sim').first();
            const top = () => sim.evaluate((e) => e.getBoundingClientRect().top - (parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 0));
            await expect.poll(() => sim.getAttribute('data-t'), { timeout: 20_000 }).not.toBeNull();
            await expect.poll(top, { timeout: 10_000 }).toBeLessThan(5);
            expect(await top()).toBeGreaterThan(-5);
            expect(Number(await sim.getAttribute('data-t'))).toBeLessThanOrEqual(238.851441);
            expect(Number(await sim.getAttribute('data-t'))).toBeGreaterThan(60);
            // the reader goes elsewhere, then follows another moment link: the widget comes back, at that moment
            await page.evaluate(() => scrollTo(0, 0));
            await page.evaluate(() => (location.hash = '#t=12.003623'));
            await expect.poll(async () => Number(await sim.getAttribute('data-t'))).toBeLessThanOrEqual(12.003623);
            await expect.poll(top).toBeLessThan(5);
            // Back returns to the first moment
            await page.goBack();
            await expect.poll(async () => Number(await sim.getAttribute('data-t'))).toBeGreaterThan(60);
            expect(page.url()).toMatch(/#t=238\.851441$/);
            await done(w);
          });

          test('#2 every column of ss, tcpdump and Wireshark lines is on screen: the lines wrap inside their frame', async () => {
            for (const [ch, needles] of [
              ['collision', ['users:(("nc",pid=11637,fd=3))', 'timer:(timewait,59sec,0)', 'Expert Info (Note/Sequence)']],
              ['changes', ['win 65495, options [mss 65495']],
            ] as const) {
              const w = await open(chapterPath(lang.dir, ch));
              await w.page.addStyleTag({ content: SHOW_ALL });
              const clipped = await w.page.evaluate((needles) => {
                const out: string[] = [];
                for (const pre of document.querySelectorAll<HTMLElement>('main .tcp-transcript .expressive-code pre')) {
                  const box = pre.getBoundingClientRect();
                  for (const line of pre.querySelectorAll<HTMLElement>('.ec-line .code')) {
                    const text = line.textContent ?? '';
                    for (const n of needles) {
                      const at = text.indexOf(n);
                      if (at < 0) continue;
                      const range = document.createRange();
                      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
                      let offset = 0;
                      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                        const len = node.textContent!.length;
                        if (offset <= at && at < offset + len) range.setStart(node, at - offset);
                        if (offset < at + n.length && at + n.length <= offset + len) range.setEnd(node, at + n.length - offset);
                        offset += len;
                      }
                      for (const r of range.getClientRects()) if (r.right > box.right + 0.5 || r.left < box.left - 0.5) out.push(`${n}: ${Math.round(r.right - box.right)} px past the frame`);
                      out.push(`found ${n}`);
                    }
                  }
                }
                return out;
              }, needles as unknown as string[]);
              for (const n of needles) expect(clipped, `${ch}: ${n}`).toContain(`found ${n}`);
              expect(clipped.filter((c) => !c.startsWith('found ')), ch).toEqual([]);
              await done(w);
            }
          });

          test('#3 #4 the overview picture: labels of 12 px or more that grow with the text size, fitting the width; a real caption', async () => {
            const w = await open(chapterPath(lang.dir, 'index'));
            const fig = w.page.locator('figure[data-diagram="story"]');
            await fig.scrollIntoViewIfNeeded();
            const sizes = () =>
              fig.evaluate((f) => {
                const px: number[] = [];
                const walker = document.createTreeWalker(f, NodeFilter.SHOW_TEXT);
                for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                  const e = n.parentElement!;
                  if (!n.textContent!.trim() || e.closest('.sr-only') || !e.checkVisibility()) continue;
                  const svg = e.closest('svg');
                  const scale = svg ? Math.abs(svg.getScreenCTM()?.a ?? 1) : 1;
                  px.push(parseFloat(getComputedStyle(e).fontSize) * scale);
                }
                return { min: Math.min(...px), overflow: f.scrollWidth - f.clientWidth, right: f.getBoundingClientRect().right, vw: innerWidth };
              });
            const before = await sizes();
            expect(before.min).toBeGreaterThanOrEqual(12);
            expect(before.overflow).toBeLessThanOrEqual(1);
            expect(before.right).toBeLessThanOrEqual(before.vw);
            // the reader's larger text (browser font size) enlarges the labels too
            await w.page.evaluate(() => (document.documentElement.style.fontSize = '150%'));
            const after = await sizes();
            expect(after.min).toBeGreaterThan(before.min * 1.3);
            const caption = (await fig.locator('figcaption').textContent())!.trim();
            expect(caption).not.toMatch(/goes here|将放在这里|Static picture|静态示意图/);
            if (lang.zh) expect(caption).toMatch(/。$/);
            else expect(caption).toMatch(/\.$/);
            // every packet and the challenge ACK are in the picture, in reading order
            const text = (await fig.textContent())!;
            expect(text.indexOf('challenge ACK')).toBeGreaterThan(text.indexOf("SYN  seq A'"));
            expect(text.indexOf('RST')).toBeGreaterThan(text.indexOf('challenge ACK'));
            await done(w);
          });

          test('#6 Contributing: repository files named (no placeholder repository), a complete example, sim/record with arguments and what recording needs', async () => {
            const w = await open(chapterPath(lang.dir, 'contributing'));
            const main = w.page.locator('main');
            expect(await main.locator('a[href*="example"]').count()).toBe(0);
            expect(await main.locator('code', { hasText: /^content\/experiments\/FORMAT\.md$/ }).count()).toBeGreaterThan(0);
            const example = main.locator('.tcp-source[data-path="content/experiments/closed-port/experiment.md"]');
            expect(await example.textContent()).toContain(readFileSync(resolve(ROOT, 'content/experiments/closed-port/experiment.md'), 'utf8').split('\n').find((l) => l.startsWith('1.000')));
            const text = (await main.textContent())!;
            expect(text).toMatch(/npm run sim -- content\/experiments\/\S+\/experiment\.md/);
            expect(text).toMatch(/npm run record -- content\/experiments\/\S+\/experiment\.md/);
            for (const need of ['root', 'netcat-openbsd', 'tcpdump', 'tshark']) expect(text).toContain(need);
            expect(text).toMatch(lang.zh ? /网络命名空间/ : /network namespace/);
            await done(w);
          });

          test('#7 search finds the kernel spellings CLOSE_WAIT and SYN_RECV and 半连接, with snippets without stray spaces', async () => {
            const w = await open(chapterPath(lang.dir, 'index'));
            const search = async (q: string) => {
              if (!(await w.page.locator('tcp-search dialog[open]').count())) await w.page.locator('tcp-search button[data-open]').click();
              await w.page.locator('tcp-search input[data-input]').fill(q);
              const hits = w.page.locator('tcp-search [data-results] a');
              await hits.first().waitFor({ timeout: 10_000 });
              return hits.allTextContents();
            };
            for (const q of lang.zh ? ['CLOSE_WAIT', 'SYN_RECV', '半连接'] : ['CLOSE_WAIT', 'SYN_RECV']) {
              const hits = await search(q);
              expect(hits.length, q).toBeGreaterThan(0);
              for (const h of hits) expect(h, q).not.toMatch(/\w \.(\s|$)|\S \)|\( \S/);
            }
            await done(w);
          });

          test('#9 the note is credited (title, author, date, link) on the home page and the chapters that retell it', async () => {
            for (const ch of ['index', 'collision', 'recv-q']) {
              const w = await open(chapterPath(lang.dir, ch));
              const credit = w.page.locator('[data-note-credit]');
              expect(await credit.count(), ch).toBe(1);
              const link = credit.locator(`a[href="${NOTE.url}"]`);
              expect(await link.textContent(), ch).toContain(NOTE.title);
              expect(await credit.locator(`a[href="${NOTE.authorUrl}"]`).textContent(), ch).toBe(NOTE.author);
              expect(await credit.locator('time').getAttribute('datetime'), ch).toBe(NOTE.date);
              expect(await credit.isVisible(), ch).toBe(true);
              await done(w);
            }
          });

          test('#10 Chinese pages: no stray space between Chinese characters, Chinese frame titles and copy button; English pages unchanged', async () => {
            const w = await open(chapterPath(lang.dir, 'collision'));
            const page = w.page;
            const blocks = await page.evaluate(() => [...document.querySelectorAll('main p, main li')].map((p) => p.textContent ?? ''));
            // a line break of the source between two Chinese characters shows as a space (spaces the text has on purpose, after a bold lead-in, stay)
            const stray = blocks.flatMap((b) => b.match(/[\p{Script=Han}，。：；、][ \t]*\n[ \t]*[\p{Script=Han}，。：；、]/gu) ?? []);
            expect(stray).toEqual([]);
            const prose = blocks.join('\n');
            const titles = await page.locator('main .tcp-transcript .frame .title').allTextContents();
            expect(titles.length).toBeGreaterThan(3);
            if (lang.zh) {
              expect(titles.filter((t) => /^(server|client|watch|capture)\b/.test(t))).toEqual([]);
              expect(titles).toContain('服务端 · linux-4.4');
              expect(prose).toContain('实验笔记中的第一个实验');
            } else {
              expect(titles).toContain('server · linux-4.4');
            }
            await done(w);
            // the code blocks of a chapter speak its language too (Markdown code fences, not only transcripts)
            const c = await open(chapterPath(lang.dir, 'contributing'));
            const buttons = await c.page.locator('main .expressive-code .copy button').evaluateAll((bs) => bs.map((b) => b.getAttribute('title')));
            expect(buttons.length).toBeGreaterThan(1);
            expect(new Set(buttons)).toEqual(new Set([lang.zh ? '复制到剪贴板' : 'Copy to clipboard']));
            await done(c);
          });

          test('#12 the copy button covers no text; / opens the language the browser prefers', async () => {
            const w = await open(chapterPath(lang.dir, 'collision'));
            await w.page.addStyleTag({ content: SHOW_ALL });
            const covered = await w.page.evaluate(() => {
              const out: string[] = [];
              for (const frame of document.querySelectorAll<HTMLElement>('main .expressive-code .frame')) {
                const button = frame.querySelector('.copy button');
                if (!button) continue;
                const b = button.getBoundingClientRect();
                for (const line of frame.querySelectorAll('.ec-line .code')) {
                  const range = document.createRange();
                  range.selectNodeContents(line);
                  for (const r of range.getClientRects()) {
                    if (r.width && r.right > b.left && r.left < b.right && r.bottom > b.top && r.top < b.bottom) out.push(`${frame.closest('[data-block]')?.getAttribute('data-block')}: ${line.textContent}`);
                  }
                }
              }
              return out;
            });
            expect(covered).toEqual([]);
            await done(w);
            const root = await open('');
            await root.page.waitForURL(lang.zh ? /\/zh-cn\/(index\.html)?$/ : /\/en\/(index\.html)?$/);
            expect(await root.page.locator('html').getAttribute('lang')).toBe(lang.zh ? 'zh-CN' : 'en');
            await done(root);
          });

          test('#13 the search button is named by its visible text; no two landmarks share a name', async () => {
            const w = await open(chapterPath(lang.dir, 'collision'));
            const button = w.page.locator('tcp-search button[data-open]');
            const name = await button.evaluate((b) => b.textContent!.replace(/\s+/g, ' ').trim());
            expect(await w.page.getByRole('button', { name: lang.zh ? '搜索' : 'Search', exact: false }).count()).toBeGreaterThan(0);
            expect(name).toMatch(lang.zh ? /^搜索/ : /^Search/);
            await w.page.addStyleTag({ content: SHOW_ALL });
            const dupes = await w.page.evaluate(() => {
              const seen = new Map<string, number>();
              for (const e of document.querySelectorAll<HTMLElement>('[role=region], section[aria-label], section[aria-labelledby], aside[aria-label], nav, [role=navigation], [role=complementary]')) {
                const key = `${e.getAttribute('role') ?? e.tagName.toLowerCase()}: ${e.getAttribute('aria-label') ?? e.getAttribute('aria-labelledby') ?? ''}`;
                seen.set(key, (seen.get(key) ?? 0) + 1);
              }
              return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
            });
            expect(dupes).toEqual([]);
            await done(w);
          });
        });
      }
    }
  }
}
