/**
 * The built chapters (dist/): a long folded transcript links to a text file of its whole
 * simulated output instead of carrying it in the page; a short one keeps it inline.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tokenize } from '../../src/site/html.ts';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { walk } from '../../src/site/fs-walk.ts';
import { foldTranscript, loadTranscript } from '../../src/site/transcripts.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist');
const BASE = (process.env.TCP_LAB_BASE || '/').replace(/\/?$/, '/');

interface Figure {
  experiment: string;
  block: string;
  profile: string;
  /** Text of the inline whole output (<details class="tcp-transcript__full"> <pre>), if any. */
  inline: string | null;
  /** Links to the whole output as a file. */
  links: Array<{ href: string; text: string }>;
  /** Lines in the terminal frame. */
  frameLines: number;
}

/** The transcript figures of a built page, read with the site's own tokenizer. */
function figures(html: string): Figure[] {
  const out: Figure[] = [];
  let cur: Figure | null = null;
  let depth = 0; // nested <figure> (Expressive Code's frame) inside the transcript's
  let inFull = false;
  let inPre = false;
  let link: { href: string; text: string } | null = null;
  for (const t of tokenize(html)) {
    if (t.type === 'open' && t.name === 'figure') {
      if (cur) depth++;
      else if ((t.attrs.class ?? '').split(/\s+/).includes('tcp-transcript')) {
        cur = { experiment: t.attrs['data-experiment'], block: t.attrs['data-block'], profile: t.attrs['data-profile'], inline: null, links: [], frameLines: Number(/--tcp-frame-lines:\s*(\d+)/.exec(t.attrs.style ?? '')?.[1]) };
      }
      continue;
    }
    if (!cur) continue;
    if (t.type === 'close' && t.name === 'figure') {
      if (depth) depth--;
      else (out.push(cur), (cur = null));
    } else if (t.type === 'open' && t.name === 'details' && (t.attrs.class ?? '').includes('tcp-transcript__full')) inFull = true;
    else if (t.type === 'close' && t.name === 'details') inFull = false;
    else if (t.type === 'open' && t.name === 'pre' && inFull) (inPre = true), (cur.inline = '');
    else if (t.type === 'close' && t.name === 'pre') inPre = false;
    else if (t.type === 'text' && inPre) cur.inline += t.text;
    else if (t.type === 'open' && t.name === 'a' && t.attrs.href?.endsWith('.txt')) link = { href: t.attrs.href, text: '' };
    else if (t.type === 'text' && link) link.text += t.text;
    else if (t.type === 'close' && t.name === 'a' && link) (cur.links.push(link), (link = null));
  }
  return out;
}

const simulated = new Map<string, Map<string, string>>();
/** What the simulator prints for a block now (not the committed file, not a recording). */
function simulate(experiment: string, profile: string, block: string): string | undefined {
  const key = `${experiment}/${profile}`;
  if (!simulated.has(key)) {
    const f = `content/experiments/${experiment}/experiment.md`;
    const exp = parseExperiment(readFileSync(join(ROOT, f), 'utf8'), f);
    simulated.set(key, runExperiment(exp, profile as 'linux-4.4').blocks);
  }
  return simulated.get(key)!.get(block);
}

const page = (p: string) => readFileSync(join(DIST, p), 'utf8');
const built = existsSync(join(DIST, 'en/collision/index.html'));

// skipped without a build, except under CI (which builds first): there a missing dist/ is a failure
describe.skipIf(!built && !process.env.CI)('whole outputs of transcripts in dist/', () => {
  for (const [lang, label] of [
    ['en', /^All (\d+) lines of the simulated output \(text file, (\d+) KB\)$/],
    ['zh-cn', /^模拟输出的全部 (\d+) 行（纯文本文件，(\d+) KB）$/],
  ] as const) {
    test(`${lang}/collision: the watch loops link to text files of the simulated output, not inline`, () => {
      const html = page(`${lang}/collision/index.html`);
      const figs = figures(html);
      for (const block of ['watch-states', 'watch-reuse']) {
        const fig = figs.find((f) => f.block === block && f.profile === 'linux-4.4');
        expect(fig, block).toBeDefined();
        expect(fig!.inline, block).toBeNull();
        expect(fig!.links.map((l) => l.href), block).toEqual([`${BASE}transcripts/seed-collision/linux-4.4/${block}.txt`]);
        const file = join(DIST, fig!.links[0].href.slice(BASE.length));
        expect(existsSync(file), file).toBe(true);
        const text = readFileSync(file, 'utf8');
        expect(text).toBe(simulate('seed-collision', 'linux-4.4', block));
        const [, n, kb] = label.exec(fig!.links[0].text.trim()) ?? [];
        expect(Number(n), fig!.links[0].text).toBe(text.replace(/\n$/, '').split('\n').length);
        expect(Number(n)).toBeGreaterThan(fig!.frameLines * 3);
        expect(Number(kb)).toBe(Math.round(Buffer.byteLength(text) / 1024));
      }
      // The lines only the whole output has (the frame folds them into `...`) are not in the page.
      let pageText = '';
      for (const t of tokenize(html)) if (t.type === 'text') pageText += t.text;
      for (const block of ['watch-states', 'watch-reuse']) {
        const d = loadTranscript({ experiment: 'seed-collision', block, profile: 'linux-4.4', root: ROOT });
        if (d.kind !== 'ok') throw new Error(d.reason);
        const shown = new Set(foldTranscript(d).shown.split('\n'));
        const elided = [...new Set(d.text.split('\n'))].filter((l) => l.trim() && !shown.has(l));
        expect(elided.length, block).toBeGreaterThan(20);
        // (a line or two may also belong to another block of the page)
        expect(elided.filter((l) => pageText.includes(l)).length, block).toBeLessThan(elided.length / 10);
      }
    });

    test(`${lang}/collision: the short first watch keeps its whole output inline`, () => {
      const fig = figures(page(`${lang}/collision/index.html`)).find((f) => f.block === 'watch-listen');
      expect(fig).toBeDefined();
      expect(fig!.links).toEqual([]);
      expect(fig!.inline).toBe(simulate('seed-collision', 'linux-4.4', 'watch-listen')!.replace(/\n$/, ''));
      expect(fig!.inline!.split('\n').length).toBeGreaterThan(fig!.frameLines);
    });
  }

  test('every link to a whole output, on every page, is a file of that block as the simulator prints it', () => {
    let links = 0;
    for (const rel of walk(DIST).filter((f) => f.endsWith('.html'))) {
      for (const fig of figures(page(rel))) {
        for (const l of fig.links) {
          links++;
          expect(fig.inline, `${rel} ${fig.block}`).toBeNull();
          expect(l.href).toBe(`${BASE}transcripts/${fig.experiment}/${fig.profile}/${fig.block}.txt`);
          const file = join(DIST, l.href.slice(BASE.length));
          expect(existsSync(file), `${rel} → ${l.href}`).toBe(true);
          expect(readFileSync(file, 'utf8'), `${rel} → ${l.href}`).toBe(simulate(fig.experiment, fig.profile, fig.block));
        }
      }
    }
    expect(links).toBeGreaterThanOrEqual(6); // collision ×2 and changes ×1, in both languages
  });
});
