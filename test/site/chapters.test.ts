/**
 * Every chapter exists in both languages and in the sidebar, and every experiment with a
 * recording is explained by a chapter: what a contributor adding an experiment can forget.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const slugs = (lang: string) =>
  readdirSync(`content/docs/${lang}`)
    .filter((f) => f.endsWith('.mdx') || f.endsWith('.md'))
    .map((f) => f.replace(/\.mdx?$/, ''))
    .sort();

test('every chapter is written in English and in Chinese', () => {
  expect(slugs('zh-cn')).toEqual(slugs('en'));
});

test('every chapter is in the sidebar, with both titles, and the sidebar names no missing chapter', () => {
  const config = readFileSync('astro.config.mjs', 'utf8');
  const inSidebar = [...config.matchAll(/chapter\('([a-z0-9-]+)', '([^']+)', '([^']+)'\)/g)];
  expect(inSidebar.map((m) => m[1]).sort()).toEqual(slugs('en'));
  for (const [, slug, en, zh] of inSidebar) {
    expect(en.length, slug).toBeGreaterThan(0);
    expect(zh, slug).toMatch(/[\u4e00-\u9fff]/);
  }
});

test('every experiment recorded on a real kernel is shown by a chapter in both languages', () => {
  const experiments = readdirSync('content/experiments').filter((d) => existsSync(`content/experiments/${d}/recorded`));
  expect(experiments.length).toBeGreaterThan(0);
  const used = (lang: string) =>
    new Set(slugs(lang).flatMap((s) => [...readFileSync(`content/docs/${lang}/${s}.mdx`, 'utf8').matchAll(/experiment="([a-z0-9-]+)"/g)].map((m) => m[1])));
  for (const lang of ['en', 'zh-cn']) {
    const shown = used(lang);
    expect(experiments.filter((e) => !shown.has(e)), lang).toEqual([]);
  }
});
