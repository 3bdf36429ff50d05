// The combinations a reader meets the site in (issue 18): English and Chinese, light and dark, a
// desktop (1280x800) and a phone (390x844, touch), over http (dist/) and from file://
// (dist-offline/). eachCombination() declares one describe per combination, with one browser
// context and page that its tests navigate (reader.test.ts, reader-sweep.test.ts).
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { BrowserContextOptions } from 'playwright-core';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { browserAndSite, watchedPage, ROOT, type Watched } from './helpers.ts';

export const CHAPTERS = readdirSync(resolve(ROOT, 'content/docs/en'))
  .filter((f) => f.endsWith('.mdx'))
  .map((f) => f.replace(/\.mdx$/, ''))
  .sort();
const VIEWPORTS: Record<'desktop' | 'phone', BrowserContextOptions> = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};
const LANGS = [
  { dir: 'en', locale: 'en-US', zh: false },
  { dir: 'zh-cn', locale: 'zh-CN', zh: true },
] as const;
const THEMES = ['light', 'dark'] as const;
/** Pictures and figures of other parts of the site (the live widgets, the step figures): checked by their own tests. */
export const OTHERS = 'tcp-lab-sim, .tcp-term, .tcp-step';
/** Render every section, transcript and widget box now (they are skipped off screen). */
export const SHOW_ALL = '.tcp-section, .tcp-transcript, .tcp-sim, .tcp-term { content-visibility: visible !important }';

export interface Combination {
  mode: 'http' | 'file';
  viewport: 'desktop' | 'phone';
  theme: 'light' | 'dark';
  lang: (typeof LANGS)[number];
  /** The chapter's path in this language ('index' is the language's home page). */
  chapter(ch: string): string;
  /** A fresh document of the site at this path (and fragment). */
  open(path: string, hash?: string): Promise<Watched>;
  /** No console error, page error or failed request since the last check. */
  done(w: Watched): void;
}

export type Where = Pick<Combination, 'mode' | 'viewport' | 'theme' | 'lang'>;
/** One describe per combination that `include` keeps (all by default): a skipped one declares no empty suite. */
export function eachCombination(body: (c: Combination) => void, include: (c: Where) => boolean = () => true): void {
  const site = browserAndSite();
  for (const mode of ['http', 'file'] as const) {
    const url = (p: string) => (mode === 'http' ? site.httpBase + p : site.fileBase + (p === '' ? 'index.html' : p.endsWith('/') ? p + 'index.html' : p));
    for (const viewport of ['desktop', 'phone'] as const) {
      for (const theme of THEMES) {
        for (const lang of LANGS) {
          if (!include({ mode, viewport, theme, lang })) continue;
          describe(`${mode} · ${viewport} · ${theme} · ${lang.dir}`, () => {
            let w: Watched;
            beforeAll(async () => {
              w = await watchedPage(site.browser, { context: { ...VIEWPORTS[viewport], locale: lang.locale } });
              await w.page.context().addInitScript((t) => {
                if (location.protocol !== 'about:') localStorage.setItem('starlight-theme', t);
              }, theme);
            });
            afterAll(() => w?.page.context().close());
            body({
              mode,
              viewport,
              theme,
              lang,
              chapter: (ch) => `${lang.dir}/${ch === 'index' ? '' : ch + '/'}`,
              async open(path, hash = '') {
                // a fresh document even when only the fragment differs from the last one
                if (w.page.url() !== 'about:blank') await w.page.goto('about:blank');
                await w.page.goto(url(path) + hash);
                return w;
              },
              done(x) {
                expect(x.errors).toEqual([]);
                x.errors.length = 0;
              },
            });
          });
        }
      }
    }
  }
}
