// What a first-time reader trips over (issue 18), checked the way a reader meets it: in English and
// Chinese, light and dark, on a desktop (1280x800) and a phone (390x844, touch), over http (dist/)
// and from file:// (dist-offline/). One describe per combination; every test runs in each.
// Assumes `npm run build && npm run export` (builds them itself if missing: see helpers.ts).
import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './helpers.ts';
import { eachCombination, CHAPTERS, SHOW_ALL } from './reader-matrix.ts';
import { NOTE } from '../../src/site/note.ts';

eachCombination(({ lang, chapter, open, done }) => {
  test('#1 a #t= link brings the page to the widget at that moment; a new fragment and Back move it', async () => {
    const w = await open(chapter('collision'), '#t=238.851441');
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
    done(w);
  });

  test('#2 every column of ss, tcpdump and Wireshark lines is on screen: the lines wrap inside their frame', async () => {
    for (const [ch, needles] of [
      ['collision', ['users:(("nc",pid=11637,fd=3))', 'timer:(timewait,59sec,0)', 'Expert Info (Note/Sequence)']],
      ['changes', ['win 65495, options [mss 65495']],
    ] as const) {
      const w = await open(chapter(ch));
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
      done(w);
    }
  });

  test('#3 #4 the overview picture: labels of 12 px or more that grow with the text size, fitting the width; a real caption', async () => {
    const w = await open(chapter('index'));
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
    done(w);
  });

  test('#6 Contributing: repository files named (no placeholder repository), a complete example, sim/record with arguments and what recording needs', async () => {
    const w = await open(chapter('contributing'));
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
    done(w);
  });

  test('#7 search finds the kernel spellings CLOSE_WAIT and SYN_RECV and 半连接, with snippets without stray spaces', async () => {
    const w = await open(chapter('index'));
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
    done(w);
  });

  test('#9 the note is credited (title, author, date, link) on the home page and the chapters that retell it', async () => {
    for (const ch of ['index', 'collision', 'recv-q']) {
      const w = await open(chapter(ch));
      const credit = w.page.locator('[data-note-credit]');
      expect(await credit.count(), ch).toBe(1);
      const link = credit.locator(`a[href="${NOTE.url}"]`);
      expect(await link.textContent(), ch).toContain(NOTE.title);
      expect(await credit.locator(`a[href="${NOTE.authorUrl}"]`).textContent(), ch).toBe(NOTE.author);
      expect(await credit.locator('time').getAttribute('datetime'), ch).toBe(NOTE.date);
      expect(await credit.isVisible(), ch).toBe(true);
      done(w);
    }
  });

  test('#10 Chinese pages: no stray space between Chinese characters, Chinese frame titles and copy button; English pages unchanged', async () => {
    const w = await open(chapter('collision'));
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
    done(w);
    // the code blocks of a chapter speak its language too (Markdown code fences, not only transcripts)
    const c = await open(chapter('contributing'));
    const buttons = await c.page.locator('main .expressive-code .copy button').evaluateAll((bs) => bs.map((b) => b.getAttribute('title')));
    expect(buttons.length).toBeGreaterThan(1);
    expect(new Set(buttons)).toEqual(new Set([lang.zh ? '复制到剪贴板' : 'Copy to clipboard']));
    done(c);
  });

  test('#12 the copy button covers no text; / opens the language the browser prefers', async () => {
    const w = await open(chapter('collision'));
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
    done(w);
    const root = await open('');
    await root.page.waitForURL(lang.zh ? /\/zh-cn\/(index\.html)?$/ : /\/en\/(index\.html)?$/);
    expect(await root.page.locator('html').getAttribute('lang')).toBe(lang.zh ? 'zh-CN' : 'en');
    done(root);
  });

  test('#13 the search button is named by its visible text; no two landmarks share a name', async () => {
    const w = await open(chapter('collision'));
    const page = w.page;
    const button = page.locator('tcp-search button[data-open]');
    // its name is its content (no aria-label that a speech-input user cannot see), and says what it shows
    expect(await button.getAttribute('aria-label')).toBeNull();
    const shown = await button.evaluate((b) => [...b.querySelectorAll('span')].filter((s) => s.getBoundingClientRect().width > 2).map((s) => s.textContent!.trim()).join(' '));
    const snapshot = await button.ariaSnapshot();
    expect(snapshot).toMatch(new RegExp(`^- button "${lang.zh ? '搜索' : 'Search'}`));
    if (shown) expect(snapshot).toContain(shown);
    // Expressive Code makes a frame that scrolls a region (after a moment): none should scroll, and named landmarks are unique
    await page.addStyleTag({ content: SHOW_ALL });
    await page.waitForTimeout(800);
    const names: string[] = [];
    for (const role of ['region', 'navigation', 'complementary', 'search'] as const) {
      for (const l of await page.getByRole(role).all()) names.push((await l.ariaSnapshot()).split('\n')[0]);
    }
    const dupes = names.filter((n, i) => names.indexOf(n) !== i);
    expect(dupes).toEqual([]);
    expect(await page.locator('main .expressive-code pre[role=region]').count()).toBe(0);
    done(w);
  });

  test('the live widget keeps the height the page reserved for it: no jump when it starts, on a phone too', async () => {
    for (const ch of ['collision', 'accept-queue-overflow']) {
      const w = await open(chapter(ch));
      const sim = w.page.locator('tcp-lab-sim').first();
      // while skipped, the page keeps the build's estimate for this width (contain-intrinsic-size)
      const reserved = await sim.evaluate((e) => parseFloat(getComputedStyle(e).containIntrinsicHeight.replace('auto', '')));
      await sim.scrollIntoViewIfNeeded();
      await w.page.locator('tcp-lab-sim[data-ready]').first().waitFor({ timeout: 30_000 });
      const live = await sim.evaluate((e) => (e.querySelector('.tcp-sim__live') as HTMLElement).getBoundingClientRect().height);
      expect(Math.abs(live - reserved), `${ch}: reserved ${reserved} px, live ${live} px`).toBeLessThan(12);
      // scrubbing to every moment moves nothing (the caption box, the ss pane and the queue keep their room)
      const heights = await sim.evaluate((e) => {
        const slider = e.querySelector('[data-testid="timeline"]') as HTMLInputElement;
        const out = new Set<number>();
        for (let i = 0; i <= Number(slider.max); i++) {
          slider.value = String(i);
          slider.dispatchEvent(new Event('input'));
          out.add(Math.round((e.querySelector('.tcp-sim__live') as HTMLElement).getBoundingClientRect().height));
        }
        return [...out];
      });
      expect(heights, ch).toHaveLength(1);
      done(w);
    }
  });

  test('a chapter title breaks between words, never inside one (tcp_synack_retries at 35 px on a phone)', async () => {
    // the chapters whose title has a word too long for a phone's line (the others cannot break inside one)
    const titled = CHAPTERS.filter((ch) => {
      const title = /^title: *(.*)$/m.exec(readFileSync(resolve(ROOT, 'content/docs', lang.dir, `${ch}.mdx`), 'utf8'))?.[1] ?? '';
      return /[\w()]{14,}/.test(title);
    });
    expect(titled).toContain('syn-retries');
    for (const ch of titled) {
      const w = await open(chapter(ch));
      const broken = await w.page.evaluate(() => {
        const h = document.querySelector('h1#_top')!;
        const out: string[] = [];
        for (const t of [...h.childNodes].filter((n): n is Text => n.nodeType === Node.TEXT_NODE)) {
          for (const m of t.data.matchAll(/[A-Za-z0-9]+/g)) {
            const r = document.createRange();
            r.setStart(t, m.index!);
            r.setEnd(t, m.index! + m[0].length);
            if (new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1) out.push(m[0]);
          }
        }
        return { out, overflow: h.scrollWidth - h.clientWidth };
      });
      expect(broken.out, ch).toEqual([]);
      expect(broken.overflow, ch).toBeLessThanOrEqual(0);
      done(w);
    }
  });
});
