// Line breaks of the Markdown source between two Chinese characters. A paragraph written over
// several source lines keeps each line break as white space, which the browser shows as a space
// (Chromium does not apply CSS Text's segment-break rules for Chinese): "实验笔记中的 第一个实验".
// Chinese is written without spaces, so a line break (with the white space around it) between two
// Han characters, or next to full-width punctuation, is dropped; between Chinese and Latin text
// it stays a space, as the chapters write one there anyway ("只用 `nc`"). Code keeps its text.
// A hast plugin of Astro's processor (Sätteri) for the chapters, registered with chapter-sections.
import { fileURLToPath } from 'node:url';
import { sep } from 'node:path';
import type { HNode } from './chapter-sections.ts';

/** Chapters only: the Markdown of content/docs. */
export const isChapter = (url: URL | undefined) => !!url && url.protocol === 'file:' && fileURLToPath(url).includes(`${sep}content${sep}docs${sep}`);

/** Han and kana, and full-width punctuation and forms (。，、：；！？（）《》「」 …). */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef\u2014\u2026\u201c\u201d\u2018\u2019]/u;
/** The characters around which a line break is dropped: not the Latin-range quotes and dashes on their own. */
const CJK_CORE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef]/u;

function joins(before: string, after: string): boolean {
  if (!before || !after) return false;
  // two Chinese characters, or Chinese punctuation on either side (“ ” — … next to Han too)
  return (CJK_CORE.test(before) && CJK.test(after)) || (CJK.test(before) && CJK_CORE.test(after));
}

/**
 * The text with every source line break (and the spaces or tabs around it) between two Chinese
 * characters removed. `prev` and `next` are the characters just before and after the text (from
 * its neighbours), for a break at its start or end.
 */
export function joinCjkLines(text: string, prev = '', next = ''): string {
  if (!text.includes('\n')) return text;
  return text.replace(/[ \t]*\n[ \t]*/g, (m, at: number) => {
    const before = at > 0 ? text[at - 1] : prev;
    const after = at + m.length < text.length ? text[at + m.length] : next;
    return joins(before, after) ? '' : m;
  });
}

const SKIP = new Set(['pre', 'code', 'script', 'style', 'kbd', 'samp']);

interface Ctx {
  fileURL: URL | undefined;
  parent(node: unknown): HNode | undefined;
  indexOf(node: unknown): number | undefined;
  textContent(node: unknown): string;
}

/** The last character of a node's text, or the first. */
function edgeChar(node: HNode | undefined, ctx: Ctx, last: boolean): string {
  if (!node) return '';
  const text = node.type === 'text' ? (node.value ?? '') : node.type === 'element' ? ctx.textContent(node) : '';
  return last ? text.slice(-1) : text.slice(0, 1);
}

export function cjkBreaks() {
  return {
    name: 'tcp-lab-cjk-breaks',
    text(node: HNode, ctx: Ctx) {
      const value = node.value ?? '';
      if (!value.includes('\n') || !isChapter(ctx.fileURL)) return;
      for (let p = ctx.parent(node); p; p = ctx.parent(p)) if (p.type === 'element' && SKIP.has(p.tagName ?? '')) return;
      const parent = ctx.parent(node);
      const i = ctx.indexOf(node);
      const siblings = parent?.children ?? [];
      const prev = i !== undefined && i > 0 ? edgeChar(siblings[i - 1], ctx, true) : '';
      const next = i !== undefined ? edgeChar(siblings[i + 1], ctx, false) : '';
      const joined = joinCjkLines(value, prev, next);
      if (joined !== value) return { type: 'text', value: joined };
    },
  };
}
