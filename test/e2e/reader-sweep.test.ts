// Every page of both languages, as a reader meets it (reader-matrix.ts): no transcript or figure
// hides overflow, no SVG text is drawn under 12 px, no placeholder caption or placeholder
// repository link, and axe-core finds no serious or critical violation. Layout does not depend on
// the theme, so the layout checks run in the light theme (and wherever axe runs); axe runs over
// http (the offline pages are the same markup with file:// addresses: offline.test.ts) for each
// theme at each width once, in English or in Chinese.
import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './helpers.ts';
import { eachCombination, CHAPTERS, OTHERS, SHOW_ALL, type Where } from './reader-matrix.ts';

const AXE = readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
type AxeResult = { violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> };

/** axe runs over http for each theme at each width once, alternating the language. */
const axeHere = ({ mode, viewport, theme, lang }: Where) => mode === 'http' && (theme === 'light') === (viewport === 'desktop') === !lang.zh;

eachCombination(({ mode, viewport, theme, lang, chapter, open, done }) => {
  const axe = axeHere({ mode, viewport, theme, lang });
  test(`every page: no hidden overflow in a transcript or figure, no SVG text under 12 px, no placeholder caption or repository${axe ? '; axe finds nothing serious' : ''}`, async () => {
    const violations: string[] = [];
    for (const ch of CHAPTERS) {
      const w = await open(chapter(ch));
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
      if (axe) {
        // the widgets build their controls when they come into view: bring them up for axe
        for (const sim of await page.locator('tcp-lab-sim').all()) {
          await sim.scrollIntoViewIfNeeded();
          await sim.locator('.tcp-sim__live').waitFor({ timeout: 20_000 });
        }
        await page.evaluate(AXE);
        const found = await page.evaluate(async () => {
          const context = { include: [['html']] };
          const res: AxeResult = await (window as unknown as { axe: { run(c: object, o: object): Promise<AxeResult> } }).axe.run(context, { resultTypes: ['violations'] });
          return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        });
        violations.push(...found.map((v) => `${chapter(ch)} ${v}`));
      }
      done(w);
    }
    expect(violations).toEqual([]);
  }, 240_000);
}, (c) => c.theme === 'light' || axeHere(c));
