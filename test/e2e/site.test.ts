// Browser tests: dist/ over a local http server and dist-offline/ over file://.
// Assumes `npm run build && npm run export` (builds them itself if missing: see helpers.ts).
import { describe, expect, test } from 'vitest';
import { resolve } from 'node:path';
import { browserAndSite, buildEnv, watchedPage, OFFLINE, ROOT } from './helpers.ts';

const site = browserAndSite();
const fileBase = site.fileBase;
const modes = [
  { name: 'http (dist)', page: (p: string) => site.httpBase + p, offline: false },
  { name: 'file:// (dist-offline)', page: (p: string) => fileBase + (p === '' ? 'index.html' : p.endsWith('/') ? p + 'index.html' : p), offline: true },
];
const PAGES = ['', 'en/', 'en/collision/', 'en/recv-q/', 'en/background/', 'en/challenge-ack/', 'en/changes/', 'en/contributing/',
  'zh-cn/', 'zh-cn/collision/', 'zh-cn/recv-q/', 'zh-cn/background/', 'zh-cn/challenge-ack/', 'zh-cn/changes/', 'zh-cn/contributing/'];

for (const mode of modes) {
  describe(mode.name, () => {
    test('every page loads with no console errors' + (mode.offline ? ' and no non-file request' : ''), async () => {
      for (const p of PAGES) {
        const w = await watchedPage(site.browser);
        await w.page.goto(mode.page(p), { waitUntil: 'load' });
        if (p === '') await w.page.waitForURL(/\/en\/(index\.html)?$/); // the root redirects to English
        await w.page.waitForTimeout(150);
        expect(w.errors, p).toEqual([]);
        if (mode.offline) expect(w.requests.filter((r) => !r.startsWith('file:') && !r.startsWith('data:')), p).toEqual([]);
        // styles applied (Starlight sets the sidebar layout) and the page has a real title
        expect(await w.page.locator('h1#_top').count(), p || 'root').toBe(1);
        await w.page.context().close();
      }
    });

    test('navigation: sidebar to another chapter, next link, and the language picker', async () => {
      const w = await watchedPage(site.browser);
      await w.page.goto(mode.page('en/'));
      await w.page.locator('#starlight__sidebar a[href*="collision"]').first().click();
      await w.page.waitForURL(/collision/);
      expect(await w.page.locator('h1#_top').textContent()).toMatch(/collision/i);
      await w.page.locator('.pagination-links a[rel="next"]').click();
      await w.page.waitForURL(/recv-q/);
      // switch language with the (desktop) language select
      const select = w.page.locator('tcp-lang-select select').first();
      const zhValue = await select.locator('option', { hasText: '简体中文' }).getAttribute('value');
      await select.selectOption(zhValue!);
      await w.page.waitForURL(/zh-cn\/recv-q/);
      expect(await w.page.locator('html').getAttribute('lang')).toBe('zh-CN');
      expect(w.errors).toEqual([]);
      await w.page.context().close();
    });

    for (const [lang, query, expectIn] of [
      ['en', 'challenge', /challenge/i],
      ['zh-cn', '队列', /队列/],
    ] as const) {
      test(`search (${lang}) for "${query}" finds and opens a result`, async () => {
        const w = await watchedPage(site.browser);
        await w.page.goto(mode.page(`${lang}/`));
        await w.page.locator('tcp-search button[data-open]').click();
        const input = w.page.locator('tcp-search input[data-input]');
        await input.fill(query);
        const first = w.page.locator('tcp-search [data-results] a').first();
        await first.waitFor({ timeout: 10_000 });
        expect(await first.textContent()).toMatch(expectIn);
        const href = await first.getAttribute('href');
        await first.click();
        await w.page.waitForURL((u) => u.href !== mode.page(`${lang}/`) || href!.includes('#'));
        expect(await w.page.locator('h1#_top').count()).toBe(1);
        expect(await w.page.locator('main').textContent()).toMatch(expectIn);
        if (mode.offline) expect(w.page.url().startsWith('file:')).toBe(true);
        expect(w.errors).toEqual([]);
        await w.page.context().close();
      });
    }

    test('transcript copy button copies the commands only', async () => {
      const w = await watchedPage(site.browser);
      await w.page.goto(mode.page('en/collision/'));
      const fig = w.page.locator('figure.tcp-transcript[data-block="server-listen"]');
      await fig.waitFor();
      const button = fig.locator('.copy button').first();
      expect(await button.count()).toBe(1);
      await w.page.evaluate(() => {
        (window as unknown as { __copied: string[] }).__copied = [];
        navigator.clipboard.writeText = async (t: string) => {
          (window as unknown as { __copied: string[] }).__copied.push(t);
        };
      });
      await button.click();
      const copied = await w.page.evaluate(() => (window as unknown as { __copied: string[] }).__copied);
      expect(copied.length).toBe(1);
      expect(copied[0]).toMatch(/nc -l 12345/);
      expect(copied[0]).not.toMatch(/Stopped|\]\$/);
      expect(w.errors).toEqual([]);
      await w.page.context().close();
    });

    test("a long transcript's whole output opens as a text file; a short one unfolds in place", async () => {
      const { readFileSync } = await import('node:fs');
      const generated = (block: string) => readFileSync(resolve(ROOT, `content/experiments/seed-collision/generated/linux-4.4/${block}.txt`), 'utf8');
      for (const lang of ['en', 'zh-cn']) {
        const w = await watchedPage(site.browser);
        await w.page.goto(mode.page(`${lang}/collision/`));
        const fig = w.page.locator('figure.tcp-transcript[data-block="watch-states"][data-profile="linux-4.4"]');
        expect(await fig.locator('details.tcp-transcript__full').count()).toBe(0);
        const link = fig.locator('.tcp-transcript__full-file a');
        await link.scrollIntoViewIfNeeded();
        expect(await link.isVisible()).toBe(true);
        const whole = generated('watch-states');
        expect(await link.textContent()).toContain(String(whole.replace(/\n$/, '').split('\n').length));
        expect(w.errors).toEqual([]);
        await link.click();
        await w.page.waitForURL(/\/transcripts\/seed-collision\/linux-4\.4\/watch-states\.txt$/);
        if (mode.offline) expect(w.page.url().startsWith('file:')).toBe(true);
        // The browser shows the plain text as it is (in a <pre>), every line of it.
        expect(await w.page.evaluate(() => document.contentType)).toBe('text/plain');
        expect(await w.page.evaluate(() => document.querySelector('pre')?.textContent)).toBe(whole);
        await w.page.goBack();
        // The first watch is short: its whole output is in the page, behind a summary.
        const short = w.page.locator('figure.tcp-transcript[data-block="watch-listen"][data-profile="linux-4.4"] details.tcp-transcript__full');
        expect(await short.locator('pre').isVisible()).toBe(false);
        await short.locator('summary').click();
        expect(await short.locator('pre').isVisible()).toBe(true);
        expect(await short.locator('pre').textContent()).toBe(generated('watch-listen').replace(/\n$/, ''));
        // Over http, Chromium asks the server for /favicon.ico for a page that names no icon (the
        // plain-text file), and the site has none: that one 404 is the only message allowed.
        const favicon404 = (e: string) => !mode.offline && /status of 404 \(Not Found\)/.test(e);
        expect(w.errors.filter((e) => !favicon404(e))).toEqual([]);
        expect(w.errors.length).toBeLessThanOrEqual(1);
        await w.page.context().close();
      }
    });

    test('"On this page" marks the section being read, beside the page (wide) and in the bar (narrow)', async () => {
      const w = await watchedPage(site.browser);
      await w.page.setViewportSize({ width: 1350, height: 940 });
      await w.page.goto(mode.page('en/collision/'));
      // the side list is at the right edge of the window (not where its flex item would be alone)
      const side = await w.page.locator('.right-sidebar').boundingBox();
      expect(side!.x).toBeGreaterThan(1000);
      const heading = w.page.locator('main h2[id="3-capturing-loopback"]');
      const current = (list: string) => w.page.locator(`${list} a[aria-current="true"]`);
      await heading.evaluate((h) => h.scrollIntoView());
      await expect.poll(() => current('starlight-toc').getAttribute('href')).toBe('#3-capturing-loopback');
      // the narrow layout's bar takes over when the window crosses the breakpoint
      await w.page.setViewportSize({ width: 412, height: 823 });
      await heading.evaluate((h) => h.scrollIntoView());
      await expect.poll(() => current('mobile-starlight-toc').getAttribute('href')).toBe('#3-capturing-loopback');
      expect(await w.page.locator('mobile-starlight-toc .display-current').textContent()).toBe('3. Capturing loopback');
      expect(w.errors).toEqual([]);
      await w.page.context().close();
    });

    test('skipped transcripts are sized close to what they render to (no jump when the page scrolls past them)', async () => {
      const w = await watchedPage(site.browser);
      for (const [width, height] of [[1350, 940], [412, 823]]) {
        await w.page.setViewportSize({ width, height });
        for (const p of ['en/collision/', 'zh-cn/collision/', 'en/changes/']) {
          await w.page.goto(mode.page(p));
          const sizes = await w.page.evaluate(() => {
            // (a transcript in a kernel tab not chosen is not shown: KernelTabs.astro)
            const figs = [...document.querySelectorAll<HTMLElement>('figure.tcp-transcript')].filter((f) => !f.closest('.tcp-ktabs__panel:not([data-tab="1"])'));
            const estimate = figs.map((f) => parseFloat(getComputedStyle(f).containIntrinsicHeight.replace('auto', '')));
            const s = document.createElement('style');
            // (and the chapter sections holding them: inside a skipped one, a transcript has no box)
            s.textContent = '.tcp-transcript, .tcp-section { content-visibility: visible !important }';
            document.head.append(s);
            return figs.map((f, i) => ({ block: f.dataset.block, estimate: estimate[i], real: f.getBoundingClientRect().height }));
          });
          expect(sizes.length, p).toBeGreaterThan(0);
          for (const s of sizes) expect(Math.abs(s.real - s.estimate), `${p} ${s.block} at ${width} px: ${JSON.stringify(s)}`).toBeLessThan(160);
        }
      }
      await w.page.context().close();
    });

    test("a chapter's sections are skipped until near the viewport, sized close to what they render to", async () => {
      const w = await watchedPage(site.browser);
      for (const [width, height] of [[1350, 940], [412, 823]]) {
        await w.page.setViewportSize({ width, height });
        for (const p of ['en/collision/', 'zh-cn/collision/', 'en/changes/', 'en/background/']) {
          await w.page.goto(mode.page(p));
          await w.page.waitForTimeout(200);
          const r = await w.page.evaluate(() => {
            const secs = [...document.querySelectorAll<HTMLElement>('.sl-markdown-content > section.tcp-section')];
            // inside a skipped section, an element is not rendered (checkVisibility); the section itself is
            const rendered = secs.map((s) => s.querySelector('h2')!.checkVisibility({ contentVisibilityAuto: true } as CheckVisibilityOptions));
            const estimate = secs.map((s) => parseFloat(getComputedStyle(s).containIntrinsicHeight.replace('auto', '')));
            const style = document.createElement('style');
            style.textContent = '.tcp-section { content-visibility: visible !important }';
            document.head.append(style);
            return secs.map((s, i) => ({ h2: s.querySelector('h2')!.id, rendered: rendered[i], estimate: estimate[i], real: s.getBoundingClientRect().height }));
          });
          expect(r.length, p).toBeGreaterThan(1);
          // a long chapter's end is far beyond the first screen (a short one may be near enough)
          if (p !== 'en/background/') expect(r.at(-1)!.rendered, `${p}: the last section is skipped at load`).toBe(false);
          for (const s of r) {
            expect(s.estimate, `${p} ${s.h2}`).toBeGreaterThan(0);
            expect(Math.abs(s.real - s.estimate), `${p} ${s.h2} at ${width} px: ${JSON.stringify(s)}`).toBeLessThan(Math.max(250, 0.3 * s.real));
          }
        }
      }
      await w.page.context().close();
    });

    test('a link to a heading in a skipped section lands on the heading; find in page reaches skipped text', async () => {
      const w = await watchedPage(site.browser);
      await w.page.setViewportSize({ width: 412, height: 823 });
      await w.page.goto(mode.page('en/collision/') + '#8-stopping-the-capture');
      const top = () => w.page.evaluate(() => document.getElementById('8-stopping-the-capture')!.getBoundingClientRect().top);
      const padding = await w.page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 0);
      await expect.poll(top).toBeCloseTo(padding, 0);
      await w.page.waitForTimeout(500); // sections above render as they come near: nothing moves
      expect(await top()).toBeCloseTo(padding, 0);
      await w.page.goto(mode.page('en/collision/'));
      expect(await w.page.evaluate(() => (window as unknown as { find(s: string): boolean }).find('The kernel chose an ephemeral source port'))).toBe(true);
      expect(await w.page.evaluate(() => scrollY)).toBeGreaterThan(800);
      expect(w.errors).toEqual([]);
      await w.page.context().close();
    });

    test('dark mode toggle and no-JS fallback of the simulator slot', async () => {
      const w = await watchedPage(site.browser);
      await w.page.goto(mode.page('en/'));
      const sel = w.page.locator('starlight-theme-select select').first();
      await sel.selectOption('dark');
      expect(await w.page.locator('html').getAttribute('data-theme')).toBe('dark');
      await sel.selectOption('light');
      expect(await w.page.locator('html').getAttribute('data-theme')).toBe('light');
      // With JavaScript the widget replaces its build-time pictures with the live simulator.
      const sim = w.page.locator('tcp-lab-sim').first();
      expect(await sim.count()).toBe(1);
      await sim.scrollIntoViewIfNeeded();
      await sim.locator('.tcp-sim__live').waitFor();
      expect(await sim.locator('[data-sim-fallback]').isVisible()).toBe(false);
      expect(w.errors).toEqual([]);
      await w.page.context().close();
      // Without JavaScript the reader still sees the ladder and the accept queue of the same run.
      const nojs = await watchedPage(site.browser, { javaScriptEnabled: false });
      await nojs.page.goto(mode.page('en/collision/'));
      const still = nojs.page.locator('tcp-lab-sim').first();
      expect(await still.locator('[data-sim-fallback]').isVisible()).toBe(true);
      expect(await still.locator('[data-sim-fallback] svg').count()).toBeGreaterThanOrEqual(2);
      expect(await still.locator('.tcp-sim__live').count()).toBe(0);
      await nojs.page.context().close();
    });
  });
}

test('print: recorded originals are printed open, text files of whole outputs by address, copy buttons and search are hidden, sections all laid out', async () => {
  const w = await watchedPage(site.browser);
  await w.page.goto(site.httpBase + 'en/collision/');
  await w.page.emulateMedia({ media: 'print' });
  const rec = w.page.locator('figure.tcp-transcript[data-block="client-connect"] .tcp-transcript__recorded pre');
  expect(await rec.isVisible()).toBe(true);
  expect(await w.page.locator('figure.tcp-transcript .copy button').first().isVisible()).toBe(false);
  expect(await w.page.locator('tcp-search button[data-open]').isVisible()).toBe(false);
  // A long block's whole output is a text file: the printout says where it is.
  const file = w.page.locator('figure.tcp-transcript[data-block="watch-states"][data-profile="linux-4.4"] .tcp-transcript__full-file a');
  const printed = () => file.evaluate((a) => getComputedStyle(a, '::after').content);
  expect(await printed()).toBe('" </transcripts/seed-collision/linux-4.4/watch-states.txt>"');
  // Sections are skipped on screen only: in print the last one is laid out like the rest.
  const last = w.page.locator('.sl-markdown-content > section.tcp-section').last();
  expect(await last.evaluate((s) => getComputedStyle(s).contentVisibility)).toBe('visible');
  expect(await last.locator('h2').evaluate((h) => h.checkVisibility({ contentVisibilityAuto: true } as CheckVisibilityOptions))).toBe(true);
  await w.page.emulateMedia({ media: 'screen' });
  expect(await last.evaluate((s) => getComputedStyle(s).contentVisibility)).toBe('auto');
  expect(await rec.isVisible()).toBe(false);
  expect(await printed()).toBe('none');
  await w.page.context().close();
});

// Lighthouse (mobile) budget of the collision chapter: what its first screen costs the main thread.
describe('en/collision/: what its first screen costs the main thread', () => {
  test('builds no SVG image documents: the copy icon is inline SVG, the terminal dots are gradients', async () => {
    const w = await watchedPage(site.browser);
    await w.page.setViewportSize({ width: 412, height: 823 });
    // data: URLs are not reported by Playwright's request event; the DevTools protocol sees them.
    const cdp = await w.page.context().newCDPSession(w.page);
    const urls: string[] = [];
    await cdp.send('Network.enable');
    cdp.on('Network.requestWillBeSent', (e) => urls.push(e.request.url));
    await w.page.goto(site.httpBase + 'en/collision/', { waitUntil: 'load' });
    await w.page.waitForTimeout(300);
    expect(urls.filter((u) => u.startsWith('data:image/svg+xml')).map((u) => decodeURIComponent(u).slice(0, 120))).toEqual([]);
    const first = w.page.locator('figure.tcp-transcript[data-block="server-listen"]');
    expect(await first.locator('.copy button svg.ec-copy-icon').isVisible()).toBe(true);
    const masks = await first.evaluate((f) => [
      getComputedStyle(f.querySelector('.frame .header')!, '::before').maskImage,
      getComputedStyle(f.querySelector('.copy button')!, '::after').maskImage,
    ]);
    expect(masks[0]).toMatch(/^radial-gradient/);
    expect(masks[1]).toBe('none');
    expect(w.errors).toEqual([]);
    await w.page.context().close();
  });

  test('transcript text: plain output has no span per token, commands are bold by class, colours as the theme', async () => {
    const w = await watchedPage(site.browser);
    await w.page.goto(site.httpBase + 'en/collision/');
    const fig = w.page.locator('figure.tcp-transcript[data-block="server-listen"]');
    await fig.scrollIntoViewIfNeeded();
    // no token span carries only the theme's default colour: plain lines are bare text
    expect(await w.page.locator('figure.tcp-transcript .ec-line span[style="--0:#d6deeb;--1:#403f53"]').count()).toBe(0);
    const lines = fig.locator('.ec-line .code');
    expect(await lines.nth(1).innerHTML()).toBe('^Z');
    expect(await lines.nth(0).locator('span.tk-b').textContent()).toBe('nc -l 12345');
    const look = () =>
      fig.evaluate((f) => {
        const [prompt, command] = f.querySelectorAll<HTMLElement>('.ec-line .code')[0].children;
        const plain = f.querySelectorAll<HTMLElement>('.ec-line .code')[1];
        const cs = (e: Element) => getComputedStyle(e);
        return { plain: cs(plain).color, plainWeight: cs(plain).fontWeight, command: cs(command).color, commandWeight: cs(command).fontWeight, prompt: cs(prompt).color };
      });
    for (const [theme, fg, green] of [
      ['dark', 'rgb(214, 222, 235)', 'rgb(34, 218, 110)'], // night-owl #d6deeb, ansiGreen #22da6e
      ['light', 'rgb(64, 63, 83)', 'rgb(5, 112, 82)'], // night-owl-light #403f53, ec.config.mjs's #057052
    ]) {
      await w.page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
      expect(await look(), theme).toEqual({ plain: fg, plainWeight: '400', command: fg, commandWeight: '700', prompt: green });
    }
    expect(w.errors).toEqual([]);
    await w.page.context().close();
  });

  test('font stacks reach an installed font right after the macOS and Windows names', async () => {
    // Chromium on Linux asks fontconfig about every family of a stack that is not installed,
    // synchronously, while it lays out the first screen (see the top of src/styles/site.css).
    const { execFileSync } = await import('node:child_process');
    let installed: Set<string>;
    try {
      installed = new Set(execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' }).split('\n').flatMap((l) => l.split(',')).map((f) => f.trim().toLowerCase()));
    } catch {
      return; // no fontconfig: not a Linux desktop stack to check
    }
    const w = await watchedPage(site.browser);
    await w.page.goto(site.httpBase + 'en/collision/');
    const stacks = await w.page.evaluate(() => ({ text: getComputedStyle(document.body).fontFamily, code: getComputedStyle(document.querySelector('main p code')!).fontFamily }));
    const generic = new Set(['system-ui', 'sans-serif', 'serif', 'monospace']);
    const absentBeforeFirstFound = (stack: string) => {
      const families = stack.split(',').map((f) => f.trim().replace(/^["']|["']$/g, ''));
      const i = families.findIndex((f) => generic.has(f) || installed.has(f.toLowerCase()));
      return families.slice(0, i < 0 ? families.length : i);
    };
    expect(absentBeforeFirstFound(stacks.text).filter((f) => !['-apple-system', 'BlinkMacSystemFont', 'Segoe UI'].includes(f)), stacks.text).toEqual([]);
    if (installed.has('liberation mono')) expect(absentBeforeFirstFound(stacks.code), stacks.code).toEqual([]);
    await w.page.context().close();
  });
});

test('offline bundle paths are relative (no absolute file paths baked in)', async () => {
  const { readFileSync } = await import('node:fs');
  const html = readFileSync(resolve(OFFLINE, 'en/collision/index.html'), 'utf8');
  expect(html).not.toContain(OFFLINE);
  expect(html).not.toMatch(/\s(href|src)="\/(?!\/)/);
});

test('deterministic: two builds and two exports are byte-identical', async () => {
  const { rebuildTwice, isIdentical, formatDiff } = await import('../../src/site/determinism.ts');
  const { rmSync } = await import('node:fs');
  const r = rebuildTwice(ROOT, buildEnv());
  expect(formatDiff(r.dist, 'build 1', 'build 2')).toBe('');
  expect(formatDiff(r.offline, 'export 1', 'export 2')).toBe('');
  if (isIdentical(r.dist) && isIdentical(r.offline)) rmSync(r.tmp, { recursive: true, force: true });
}, 180_000);
