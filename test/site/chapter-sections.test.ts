// src/site/chapter-sections.ts: how a chapter is cut into sections and what each section's
// estimated height is made of. (How close the estimates come to the rendered heights is checked
// in a browser: test/e2e/site.test.ts.)
import { simWidgetRem } from '../../src/site/sim-data.ts';
import { describe, expect, test } from 'vitest';
import { REM, SECTION_CLASS, charWidth, estimateNode, estimateSection, sectionStyle, sectionize, transcriptFrameLines, type HNode } from '../../src/site/chapter-sections.ts';

const text = (value: string): HNode => ({ type: 'text', value });
const el = (tagName: string, ...children: HNode[]): HNode => ({ type: 'element', tagName, properties: {}, children });
const jsx = (name: string, attrs: Record<string, unknown>): HNode => ({
  type: 'mdxJsxFlowElement',
  name,
  attributes: Object.entries(attrs).map(([n, value]) => ({ type: 'mdxJsxAttribute', name: n, value })),
  children: [],
});

test('charWidth: white space runs count once, CJK characters twice', () => {
  expect(charWidth('  two   words \n')).toBe(9);
  expect(charWidth('队列与 ss 输出')).toBe(2 * 5 + 4);
});

describe('sectionize', () => {
  test('every h2 starts a section that runs to the next one; the introduction stays outside', () => {
    const intro = el('p', text('Intro.'));
    const h1 = el('h2', text('One'));
    const p1 = el('p', text('First section.'));
    const h2 = el('h2', text('Two'));
    const ul = el('ul', el('li', text('a')), el('li', text('b')));
    const out = sectionize([intro, text('\n'), h1, text('\n'), p1, text('\n'), h2, text('\n'), ul, text('\n')])!;
    // the white space after a section's last block stays between the sections
    expect(out.map((n) => n.tagName ?? n.type)).toEqual(['p', 'text', 'section', 'text', 'section', 'text']);
    const [s1, s2] = [out[2], out[4]];
    expect(s1.properties?.className).toEqual([SECTION_CLASS]);
    expect(s1.children).toEqual([h1, text('\n'), p1]);
    expect(s2.children).toEqual([h2, text('\n'), ul]);
    expect(s2.properties?.style).toBe(`--tcp-chars:2;--tcp-lines:2;--tcp-rem:${Math.round((REM.h2 + REM.gap + REM.listItemGap) * 10) / 10}`);
  });
  test('a page without h2 is left alone', () => {
    expect(sectionize([el('p', text('x')), el('h3', text('y'))])).toBeNull();
  });
});

describe('estimates', () => {
  test('prose: characters and lines started; a list starts one line per item and adds the gaps between items', () => {
    expect(estimateNode(el('p', text('abc '), el('strong', text('de'))))).toEqual({ chars: 6, lines: 1, rem: REM.gap, frames: [] });
    expect(estimateNode(el('ol', el('li', text('a')), el('li', text('b'), el('ul', el('li', text('c'))))))).toEqual({ chars: 3, lines: 3, rem: REM.gap + 2 * REM.listItemGap, frames: [] });
  });
  test('a transcript counts the lines of its frame, as Transcript.astro renders it', () => {
    const lines = transcriptFrameLines('seed-collision', 'server-listen', 'linux-4.4');
    expect(lines).toBe(4); // nc -l, ^Z, Stopped, the next prompt
    expect(estimateNode(jsx('Transcript', { experiment: 'seed-collision', block: 'server-listen', profile: 'linux-4.4' })).rem).toBe(4 * REM.transcriptPerLine + REM.transcript);
    // a block that cannot be read still gets the frame's own height
    expect(estimateNode(jsx('Transcript', { experiment: 'seed-collision', block: 'no-such-block' })).rem).toBe(REM.transcript);
  });
  test("a section gives the rows its transcripts' lines add by wrapping, in a phone's and a desktop's column", () => {
    const watch = jsx('Transcript', { experiment: 'seed-collision', block: 'watch-states', profile: 'linux-4.4' });
    const e = estimateSection([el('h2', text('T')), watch, jsx('Transcript', { experiment: 'seed-collision', block: 'server-listen', profile: 'linux-4.4' })]);
    expect(e.frames.length).toBe(2);
    const style = sectionStyle(e);
    // every LISTEN/CLOSE-WAIT row of ss -natp -o (over 100 cells) wraps, more often in a narrow column
    const phone = Number(/--tcp-sp:(\d+)/.exec(style)?.[1]);
    const desktop = Number(/--tcp-sd:(\d+)/.exec(style)?.[1]);
    expect(desktop).toBeGreaterThan(10);
    expect(phone).toBeGreaterThan(desktop * 1.5);
    expect(sectionStyle(estimateSection([el('p', text('abc'))]))).not.toMatch(/--tcp-s[pd]/);
  });

  test('a widget with and without its sandbox terminal, a table by rows, anything else a guess', () => {
    // the widget's own estimate (sim-data.ts), taller on a phone: the section's phone rows carry the difference
    const h = simWidgetRem('seed-collision', 'linux-4.4');
    expect(h.phone).toBeGreaterThan(h.desktop);
    const withSandbox = estimateNode(jsx('SimWidget', { experiment: 'seed-collision' }));
    expect(withSandbox.rem).toBe(h.desktop + REM.sim + REM.sandbox);
    expect(withSandbox.phoneRem).toBe(h.phone - h.desktop);
    expect(sectionStyle(estimateSection([jsx('SimWidget', { experiment: 'seed-collision' })]))).toContain(`--tcp-sp:${Math.round(((h.phone - h.desktop) / REM.transcriptPerLine) * 10) / 10};--tcp-sd:0`);
    expect(estimateNode(jsx('SimWidget', { experiment: 'x', sandbox: { type: 'mdxJsxAttributeValueExpression', value: 'false' } })).rem).toBe(REM.simGuess + REM.sim);
    expect(estimateNode(jsx('SimWidget', { experiment: 'x', sandbox: { type: 'mdxJsxAttributeValueExpression', value: 'true' } })).rem).toBe(REM.simGuess + REM.sim + REM.sandbox);
    const table = el('table', el('tr', el('td', text('abcd'))), el('tr', el('td', text('ef'))));
    expect(estimateNode(table)).toEqual({ chars: Math.round(6 * REM.tableWrap), lines: 2, rem: REM.gap + 2 * REM.tableRow, frames: [] });
    expect(estimateNode(jsx('Aside', {})).rem).toBe(REM.other);
  });
  test('a section adds up its blocks; white space between them counts for nothing', () => {
    expect(estimateSection([el('h2', text('T')), text('\n'), el('p', text('abc'))])).toEqual({ chars: 3, lines: 1, rem: REM.h2 + REM.gap, frames: [] });
  });
});
