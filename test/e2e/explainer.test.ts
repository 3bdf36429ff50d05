// The explainer that teaches as it plays (issue 18, items 5 and 8, pictures beside the
// paragraph, the narrated timeline), in Debian's Chromium over http (dist) and from disk
// (dist-offline), in English and Chinese, light and dark, on a desktop (1280×800) and a phone
// (390×844):
//  - the collision simulator has a heading in "On this page" and an introduction, opens on
//    frame 7 with its caption, marks the challenge ACK in the live ladder, explains every moment;
//  - each numbered step of the collision chapter has its own figure, steppable with the keyboard
//    (and without JavaScript), captioned from the trace;
//  - the Recv-Q chapter has its figure (the reset child ss cannot list) and a simulator;
//  - no picture is wider than its box and no SVG text renders below 12 px, at 390 px too;
//  - reduced motion slows the player to a step a second;
//  - transcripts that differ between Linux 4.4 and 6.x are tabs, and each marks its key line.
import { describe, expect, test } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { browserAndSite } from './helpers.ts';

const site = browserAndSite();
const modes = [
  { name: 'http', url: (p: string) => `${site.httpBase}${p}/` },
  { name: 'file://', url: (p: string) => `${site.fileBase}${p}/index.html` },
];
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const T = {
  en: { heading: 'Replay the whole experiment', frame7: 'Frame 7: the CLOSE-WAIT child answers the SYN with a challenge ACK (RFC 5961 §4)', stop: '.', recvqHeading: 'Replay it' },
  'zh-cn': { heading: '重放整个实验', frame7: '第 7 帧：CLOSE-WAIT 状态的子连接用 challenge ACK 回应这个 SYN（RFC 5961 §4）', stop: '。', recvqHeading: '重放实验' },
} as const;

interface Opened {
  page: Page;
  context: BrowserContext;
  errors: string[];
}

async function open(url: string, o: { viewport: keyof typeof VIEWPORTS; scheme?: 'light' | 'dark'; reducedMotion?: 'reduce' | 'no-preference'; js?: boolean }): Promise<Opened> {
  const context = await site.browser.newContext({ viewport: VIEWPORTS[o.viewport], colorScheme: o.scheme ?? 'light', reducedMotion: o.reducedMotion ?? 'no-preference', javaScriptEnabled: o.js ?? true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && errors.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, context, errors };
}

async function sim(page: Page, i = 0) {
  const w = page.locator('tcp-lab-sim').nth(i);
  await w.scrollIntoViewIfNeeded();
  await w.locator('[data-testid="timeline"]').waitFor();
  return w;
}

/**
 * Every SVG <text> under `root` that is rendered: its size in CSS px as drawn (font size × the
 * SVG's scale) and whether it lies inside the box that holds its picture (no clipping).
 */
async function svgTexts(page: Page, root: string) {
  return page.locator(root).evaluateAll((roots) =>
    roots.flatMap((r) =>
      [...r.querySelectorAll('svg')].flatMap((svg) => {
        const box = (svg.closest('figure, .tcp-step__pic, [data-testid]') as HTMLElement | null) ?? svg.parentElement!;
        const b = box.getBoundingClientRect();
        const vb = svg.viewBox.baseVal;
        const scale = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
        return [...svg.querySelectorAll('text')]
          .filter((t) => t.getClientRects().length && getComputedStyle(t).visibility !== 'hidden' && (t.textContent ?? '').trim())
          .map((t) => {
            const tr = t.getBoundingClientRect();
            return {
              text: t.textContent!,
              px: parseFloat(getComputedStyle(t).fontSize) * scale,
              inside: tr.left >= b.left - 0.5 && tr.right <= b.right + 0.5,
              svgFits: svg.getBoundingClientRect().right <= b.right + 0.5 && box.scrollWidth <= box.clientWidth + 1,
            };
          });
      }),
    ),
  );
}

function expectReadable(texts: { text: string; px: number; inside: boolean; svgFits: boolean }[], what: string) {
  expect(texts.length, `${what}: no SVG text found`).toBeGreaterThan(0);
  expect(texts.filter((t) => t.px < 12).map((t) => `${t.text} (${t.px.toFixed(1)} px)`), `${what}: text below 12 px`).toEqual([]);
  expect(texts.filter((t) => !t.inside || !t.svgFits).map((t) => t.text), `${what}: clipped or overflowing`).toEqual([]);
}

for (const mode of modes) {
  describe(`the collision explainer over ${mode.name}`, () => {
    for (const lang of ['en', 'zh-cn'] as const)
      for (const viewport of ['desktop', 'phone'] as const)
        for (const scheme of ['light', 'dark'] as const) {
          test(`${lang}, ${viewport}, ${scheme}: the simulator has a heading in "On this page", opens on frame 7 explained, marks the challenge ACK, fits the width`, async () => {
            const o = await open(mode.url(`${lang}/collision`), { viewport, scheme });
            const { page } = o;
            // a heading of its own, listed in "On this page", and an introduction before the widget
            const h2 = page.locator('h2', { hasText: T[lang].heading });
            await expect.poll(() => h2.count()).toBe(1);
            const id = await h2.getAttribute('id');
            expect(await page.locator(`starlight-toc a[href="#${id}"], mobile-starlight-toc a[href="#${id}"]`).count()).toBeGreaterThan(0);
            const intro = await page.evaluate((hid) => {
              const h = document.getElementById(hid!)!;
              const sim = document.querySelector('tcp-lab-sim')!;
              const between = [...document.querySelectorAll('p')].filter((p) => h.compareDocumentPosition(p) & Node.DOCUMENT_POSITION_FOLLOWING && p.compareDocumentPosition(sim) & Node.DOCUMENT_POSITION_FOLLOWING);
              return between.map((p) => p.textContent).join(' ');
            }, id);
            expect(intro.length).toBeGreaterThan(100);

            const w = await sim(page);
            // a meaningful moment: frame 7, the challenge ACK, with its caption
            await expect.poll(() => w.getAttribute('data-t')).toBe('238.851441');
            const caption = w.locator('[data-testid="caption"]');
            expect(await caption.textContent()).toContain(T[lang].frame7);
            expect(await caption.getAttribute('aria-live')).toBe('polite');
            expect(await w.locator('[data-testid="ss"]').textContent()).toMatch(/^CLOSE-WAIT +1 +0 /m);
            // the challenge ACK marked in the live ladder, and highlighted as the current packet
            const ladder = w.locator('[data-testid="ladder"]');
            const mark = ladder.locator('g.pkt[data-mark="challenge"]');
            expect(await mark.count()).toBe(1);
            expect(await mark.getAttribute('data-packet')).toBe('7');
            expect(await mark.textContent()).toContain('challenge ACK');
            // packets 1–7 shown, the 7th on the highlight band; the later ones keep their room, clipped away
            expect(await ladder.getAttribute('data-shown')).toBe('7');
            const geo = await ladder.evaluate((d) => {
              // in the SVG's own units: the clip ends where row 7 ends, the band covers row 7
              const row = (n: number) => (d.querySelector(`g.pkt[data-packet="${n}"]`) as SVGGElement).dataset;
              const shown = d.querySelector('rect.shown')!;
              const clip = Number(shown.getAttribute('y')) + Number(shown.getAttribute('height'));
              const band = d.querySelector('rect.band')!;
              const [y, h] = [Number(band.getAttribute('y')), Number(band.getAttribute('height'))];
              return { seven: Number(row(7).y1) === clip, eight: Number(row(8).y0) >= clip, band: y === Number(row(7).y0) && y + h === Number(row(7).y1) };
            });
            expect(geo).toEqual({ seven: true, eight: true, band: true });
            // nothing clipped, nothing below 12 px (the queue's title and the ladder's right label included)
            expectReadable(await svgTexts(page, 'tcp-lab-sim'), `${lang} ${viewport} widget`);
            const ladderBox = await w.locator('[data-testid="ladder"]').evaluate((d) => ({ sw: d.scrollWidth, cw: d.clientWidth }));
            expect(ladderBox.sw).toBeLessThanOrEqual(ladderBox.cw + 1);
            expect(o.errors).toEqual([]);
            await o.context.close();
          });
        }

    for (const lang of ['en', 'zh-cn'] as const) {
      test(`${lang}: every moment of the timeline is explained, in order, by keyboard; the slider reads the caption`, async () => {
        const o = await open(mode.url(`${lang}/collision`), { viewport: 'desktop' });
        const w = await sim(o.page);
        const slider = w.locator('[data-testid="timeline"]');
        await slider.focus();
        await o.page.keyboard.press('Home');
        const n = Number(await w.getAttribute('data-moments'));
        expect(n).toBe(30);
        const captions: string[] = [];
        for (let i = 0; i < n; i++) {
          const c = (await w.locator('[data-testid="caption"]').textContent())!;
          captions.push(c);
          expect(c.endsWith(T[lang].stop), c).toBe(true);
          expect(await slider.getAttribute('aria-valuetext')).toContain(c);
          await o.page.keyboard.press('ArrowRight');
        }
        expect(new Set(captions).size).toBeGreaterThan(20);
        // each of the 13 frames told once, in order
        const frames = captions.flatMap((c) => [...c.matchAll(lang === 'en' ? /Frame (\d+):/g : /第 (\d+) 帧：/g)].map((m) => Number(m[1])));
        expect(frames).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
        // other knobs than the chapter's are narrated too (the worker narrates every run): a backlog
        // of 0 still queues one child (sk_acceptq_is_full() uses >), and the captions tell the frames
        await w.locator('[data-testid="backlog"]').fill('0');
        await w.locator('[data-testid="backlog"]').dispatchEvent('change');
        await expect.poll(() => w.getAttribute('aria-busy'), { timeout: 30_000 }).toBe(null);
        await slider.focus();
        await o.page.keyboard.press('End');
        const last = (await w.locator('[data-testid="caption"]').textContent())!;
        expect(last.endsWith(T[lang].stop), last).toBe(true);
        expect(await slider.getAttribute('aria-valuetext')).toContain(last);
        await o.page.keyboard.press('Home');
        const told: string[] = [];
        for (let i = 0; i < Number(await w.getAttribute('data-moments')); i++) {
          told.push((await w.locator('[data-testid="caption"]').textContent())!);
          await o.page.keyboard.press('ArrowRight');
        }
        expect(told.join(' ')).toMatch(lang === 'en' ? /Frame 1:/ : /第 1 帧：/);
        // tcp_fin_timeout takes what the kernel takes (not clamped to 120), and the note says what it means
        const fin = w.locator('[data-testid="fin-timeout"]');
        const note = w.locator('[data-testid="knob-note"]');
        expect(await note.textContent()).toContain('TCP_TIMEWAIT_LEN');
        expect(await fin.getAttribute('max')).toBe(null);
        await fin.fill('500');
        await fin.dispatchEvent('change');
        await expect.poll(() => w.getAttribute('aria-busy'), { timeout: 30_000 }).toBe(null);
        expect(await fin.inputValue()).toBe('500');
        expect(await note.getAttribute('data-error')).toBe(null);
        // beyond INT_MAX / HZ the kernel says EINVAL: so does the widget, with the range, keeping the last run
        await fin.fill('9999999');
        await fin.dispatchEvent('change');
        await expect.poll(() => note.getAttribute('data-error'), { timeout: 30_000 }).toBe('true');
        expect(await note.textContent()).toContain('-8589934..8589934');
        expect(await w.getAttribute('data-moments')).not.toBe(null);
        expect(o.errors).toEqual([]);
        await o.context.close();
      });

      test(`${lang}: each numbered step has its own figure, steppable by keyboard, captioned from the trace`, async () => {
        const o = await open(mode.url(`${lang}/collision`), { viewport: 'phone', scheme: 'dark' });
        const { page } = o;
        // one figure per numbered section (1–9), inside that section
        const steps = await page.evaluate(() => {
          const hs = [...document.querySelectorAll('main h2')];
          const figs = [...document.querySelectorAll('figure.tcp-step')];
          const after = (a: Node, b: Node) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
          return hs.flatMap((h, i) => {
            const m = /^(\d+)\./.exec(h.textContent ?? '');
            const next = hs[i + 1];
            return m ? [{ n: Number(m[1]), figures: figs.filter((f) => after(h, f) && (!next || after(f, next))).length }] : [];
          });
        });
        expect(steps).toEqual(Array.from({ length: 9 }, (_, i) => ({ n: i + 1, figures: 1 })));
        const figs = page.locator('figure.tcp-step');
        for (let i = 0; i < (await figs.count()); i++) {
          const f = figs.nth(i);
          expect(await f.getAttribute('aria-label')).toBeTruthy();
          const shown = f.locator('.tcp-step__frame:visible');
          expect(await shown.count()).toBe(1);
          expect((await shown.locator('[data-testid="step-caption"]').textContent())!.trim().length).toBeGreaterThan(20);
        }
        // step 9: frames 6 to 10, one at a time; the arrow keys move through them
        const nine = figs.nth(8);
        await nine.scrollIntoViewIfNeeded();
        const radios = nine.locator('input[data-testid="step-frame"]');
        expect(await radios.count()).toBe(7);
        expect(await radios.first().getAttribute('aria-label')).toMatch(/6/);
        await radios.first().focus();
        await page.keyboard.press('ArrowRight');
        expect(await radios.nth(1).isChecked()).toBe(true);
        const caption = nine.locator('.tcp-step__frame:visible [data-testid="step-caption"]');
        expect(await caption.textContent()).toContain(T[lang].frame7);
        expect(await nine.locator('.tcp-step__frame:visible g.pkt[data-mark="challenge"][aria-current="true"]').count()).toBe(1);
        // its link replays that moment in the simulator
        expect(await nine.locator('.tcp-step__frame:visible a.tcp-step__replay').getAttribute('href')).toBe('#t=238.851441');
        // step 7: the last moment shows Recv-Q 2 and the reset child ss cannot list
        const seven = figs.nth(6);
        expect(await seven.locator('.tcp-step__frame:visible .tcp-step__listener').textContent()).toMatch(/LISTEN\s*2\s*1/);
        expect(await seven.locator('.tcp-step__frame:visible .tcp-step__ghost').count()).toBe(1);
        expect(await seven.locator('.tcp-step__frame:visible [data-state="reset"]').count()).toBe(1);
        // every figure's text fits and is at least 12 px on this phone
        for (let i = 0; i < (await figs.count()); i++) await figs.nth(i).scrollIntoViewIfNeeded();
        expectReadable(await svgTexts(page, 'figure.tcp-step'), `${lang} phone figures`);
        const tables = await page.locator('.tcp-step__frame:visible table').evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().right <= (t.closest('figure') as HTMLElement).getBoundingClientRect().right + 0.5));
        expect(tables.every(Boolean)).toBe(true);
        expect(o.errors).toEqual([]);
        await o.context.close();
      });

      test(`${lang}: 4.4 | 6.x as tabs where the kernels print differently, the key line of each transcript marked`, async () => {
        const o = await open(mode.url(`${lang}/collision`), { viewport: lang === 'en' ? 'desktop' : 'phone', scheme: lang === 'en' ? 'dark' : 'light' });
        const { page } = o;
        const tabs = page.locator('.tcp-ktabs');
        // every block but the two the kernels print alike (the stopped server, the first client)
        expect(await tabs.count()).toBe(7);
        expect(await page.locator('.tcp-transcript').count()).toBe(16);
        const reuse = page.locator('.tcp-ktabs[data-block="watch-reuse"]');
        await reuse.scrollIntoViewIfNeeded();
        const radios = reuse.locator('input[data-testid="kernel-tab"]');
        expect(await radios.count()).toBe(2);
        expect(await reuse.locator('label').allTextContents()).toEqual(['Linux 4.4', 'Linux 6.x']);
        const visible = () => reuse.locator('.tcp-ktabs__panel:visible');
        expect(await visible().getAttribute('data-profile')).toBe('linux-4.4');
        // the line the prose discusses: Recv-Q 2 with a backlog of 1, in ss 4.3's layout
        expect(await visible().locator('.ec-line.mark').textContent()).toMatch(/^LISTEN {5}2 {6}1 /);
        await radios.first().focus();
        await page.keyboard.press('ArrowRight');
        expect(await visible().getAttribute('data-profile')).toBe('linux-6.x');
        expect(await visible().locator('.ec-line.mark').textContent()).toMatch(/^LISTEN 2 {6}1 +0\.0\.0\.0:12345/);
        // every transcript, tabbed or not, has its one key line marked
        const marks = await page.locator('.tcp-transcript').evaluateAll((fs) => fs.map((f) => f.querySelectorAll('.ec-line.mark').length));
        expect(marks).toEqual(Array(16).fill(1));
        expect(o.errors).toEqual([]);
        await o.context.close();
      });

      test(`${lang}: the Recv-Q chapter has its figure (the reset child ss cannot list) and a simulator that opens on it`, async () => {
        const o = await open(mode.url(`${lang}/recv-q`), { viewport: 'phone', scheme: lang === 'en' ? 'light' : 'dark' });
        const { page } = o;
        const figs = page.locator('figure.tcp-step');
        expect(await figs.count()).toBe(2);
        const b = figs.nth(1).locator('.tcp-step__frame:visible');
        expect(await b.locator('.tcp-step__listener').textContent()).toMatch(/LISTEN\s*2\s*1/);
        expect(await b.locator('tbody tr:not(.tcp-step__ghost)', { hasText: 'CLOSE-WAIT' }).count()).toBe(1);
        expect(await b.locator('.tcp-step__ghost').count()).toBe(1);
        expect(await b.locator('[data-state="reset"]').count()).toBe(1);
        const h2 = page.locator('h2', { hasText: T[lang].recvqHeading });
        expect(await h2.count()).toBe(1);
        const w = await sim(page);
        const ss = (await w.locator('[data-testid="ss"]').textContent())!;
        expect(ss).toMatch(/^LISTEN +2 +1 /m);
        expect(ss.match(/^CLOSE-WAIT /gm)).toHaveLength(1);
        expect(await w.locator('[data-testid="queue"] > :not(.off) [data-state="reset"]').count()).toBe(1);
        expect((await w.locator('[data-testid="caption"]').textContent())!.length).toBeGreaterThan(20);
        await figs.nth(1).scrollIntoViewIfNeeded();
        expectReadable(await svgTexts(page, 'figure.tcp-step, tcp-lab-sim'), `${lang} recv-q`);
        // the three watch blocks differ between the kernels: tabs, each with its LISTEN line marked
        expect(await page.locator('.tcp-ktabs').count()).toBe(3);
        const final = page.locator('.tcp-ktabs[data-block="watch-final"] .tcp-ktabs__panel[data-tab="1"] .ec-line.mark');
        expect(await final.textContent()).toMatch(/^LISTEN {5}2 {6}1 /);
        const marks = await page.locator('.tcp-transcript').evaluateAll((fs) => fs.map((f) => f.querySelectorAll('.ec-line.mark').length));
        // every block of the chapter (its 8 seed-recvq blocks: 11 transcripts with the tabs, and what
        // other chapters' experiments add) has its key line marked, once
        expect(marks.length).toBeGreaterThanOrEqual(11);
        expect(marks.filter((n) => n !== 1)).toEqual([]);
        expect(o.errors).toEqual([]);
        await o.context.close();
      });
    }
  });
}

describe('without JavaScript and with reduced motion', () => {
  test('the step figures work without JavaScript: the build-time captions and pictures, switched by CSS', async () => {
    const o = await open(`${site.httpBase}en/collision/`, { viewport: 'desktop', js: false });
    const nine = o.page.locator('figure.tcp-step').nth(8);
    await nine.scrollIntoViewIfNeeded();
    expect(await nine.locator('.tcp-step__frame:visible [data-testid="step-caption"]').textContent()).toContain('Frame 6:');
    await nine.locator('.tcp-step__picker label').nth(1).click();
    expect(await nine.locator('.tcp-step__frame:visible [data-testid="step-caption"]').textContent()).toContain(T.en.frame7);
    // the simulator's fallback: the opening moment's caption and pictures, drawn for this width
    const fb = o.page.locator('tcp-lab-sim [data-sim-fallback]');
    expect(await fb.locator('.tcp-sim__caption').textContent()).toContain(T.en.frame7);
    expectReadable(await svgTexts(o.page, 'tcp-lab-sim [data-sim-fallback]'), 'fallback');
    await o.context.close();
  });

  test('the phone fallback shows the narrow drawing, readable', async () => {
    const o = await open(`${site.fileBase}zh-cn/collision/index.html`, { viewport: 'phone', js: false, scheme: 'dark' });
    const fb = o.page.locator('tcp-lab-sim [data-sim-fallback]');
    await fb.scrollIntoViewIfNeeded();
    expect(await fb.locator('.tcp-sim__narrow').first().isVisible()).toBe(true);
    expect(await fb.locator('.tcp-sim__wide').first().isVisible()).toBe(false);
    expectReadable(await svgTexts(o.page, 'tcp-lab-sim [data-sim-fallback]'), 'fallback zh phone');
    await o.context.close();
  });

  test('reduced motion: the player advances at most a moment a second', async () => {
    const o = await open(`${site.httpBase}en/collision/`, { viewport: 'desktop', reducedMotion: 'reduce' });
    const w = await sim(o.page);
    const slider = w.locator('[data-testid="timeline"]');
    await slider.focus();
    await o.page.keyboard.press('Home');
    await w.locator('[data-testid="play"]').click();
    // while playing, the caption is not read out at every step
    expect(await w.locator('[data-testid="caption"]').getAttribute('aria-live')).toBe('off');
    await o.page.waitForTimeout(700);
    expect(Number(await slider.inputValue())).toBe(0);
    await expect.poll(() => slider.inputValue(), { timeout: 5000 }).not.toBe('0');
    await w.locator('[data-testid="play"]').click();
    expect(await w.locator('[data-testid="caption"]').getAttribute('aria-live')).toBe('polite');
    expect(o.errors).toEqual([]);
    await o.context.close();
  });
});
