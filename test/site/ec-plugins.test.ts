// Expressive Code plugins of src/site/ec-plugins.ts: which token spans go, which become a class,
// which stay; the copy button's inline icon. (The built pages are checked in full-output.test.ts
// and, in a browser, test/e2e/site.test.ts.)
import { describe, expect, test } from 'vitest';
import { toHtml } from '@astrojs/starlight/expressive-code/hast';
import type { Element, ElementContent } from '@astrojs/starlight/expressive-code/hast';
import { BOLD_TOKEN_CLASS, COPY_ICON_CLASS, TERMINAL_DOTS, classifyToken, copyIconSvg, inlineCopyIcon, simplifyTokens } from '../../src/site/ec-plugins.ts';

const FG = ['#d6deeb', '#403f53']; // night-owl dark and light: the code foreground of each theme
const span = (style: string | undefined, children: ElementContent[] | string, className?: string[]): Element => ({
  type: 'element',
  tagName: 'span',
  properties: { ...(style !== undefined ? { style } : {}), ...(className ? { className } : {}) },
  children: typeof children === 'string' ? [{ type: 'text', value: children }] : children,
});
const line = (...children: ElementContent[]): Element => ({ type: 'element', tagName: 'div', properties: { className: ['code'] }, children });

describe('classifyToken', () => {
  test('a token in the default colour of every theme is unwrapped, whatever the case of the hex digits', () => {
    expect(classifyToken(span('--0:#d6deeb;--1:#403f53', 'x'), FG)).toBe('unwrap');
    expect(classifyToken(span('--0:#D6DEEB;--1:#403F53', 'x'), FG)).toBe('unwrap');
  });
  test('bold in the default colour of every theme becomes a class', () => {
    expect(classifyToken(span('--0:#d6deeb;--0fw:bold;--1:#403f53;--1fw:bold', 'x'), FG)).toBe('bold');
  });
  test('anything else keeps its inline style', () => {
    expect(classifyToken(span('--0:#22da6e;--1:#057052', 'x'), FG)).toBe('keep'); // a prompt
    expect(classifyToken(span('--0:#d6deeb;--1:#057052', 'x'), FG)).toBe('keep'); // default in one theme only
    expect(classifyToken(span('--0:#d6deeb', 'x'), FG)).toBe('keep'); // a colour for one theme only
    expect(classifyToken(span('--0:#d6deeb;--0fw:bold;--1:#403f53', 'x'), FG)).toBe('keep'); // bold in one theme only
    expect(classifyToken(span('--0:#d6deeb;--0fs:italic;--1:#403f53;--1fs:italic', 'x'), FG)).toBe('keep');
    expect(classifyToken(span('--0:#d6deeb;--1:#403f53', 'x', ['highlight']), FG)).toBe('keep'); // not a bare token span
    expect(classifyToken(span('color:red', 'x'), FG)).toBe('keep');
    expect(classifyToken(span(undefined, 'x'), FG)).toBe('keep');
    expect(classifyToken(span('--0:#d6deeb;--1:#403f53', 'x'), [FG[0], undefined]), 'unknown foreground').toBe('keep');
  });
});

test('simplifyTokens: plain tokens become text, bold ones a class, prompts stay; the text is unchanged', () => {
  const before = line(
    span('--0:#22da6e;--1:#057052', '[#157#root@ubuntu-1604 ~]$'),
    span('--0:#d6deeb;--0fw:bold;--1:#403f53;--1fw:bold', 'nc -l 12345'),
    span('--0:#d6deeb;--1:#403f53', '  LISTEN '),
    span('--0:#d6deeb;--1:#403f53', '0'),
  );
  const text = (e: Element) => toHtml(e).replace(/<[^>]+>/g, '');
  const was = text(before);
  simplifyTokens(before, FG);
  expect(text(before)).toBe(was);
  expect(toHtml(before)).toBe(
    `<div class="code"><span style="--0:#22da6e;--1:#057052">[#157#root@ubuntu-1604 ~]$</span><span class="${BOLD_TOKEN_CLASS}">nc -l 12345</span>  LISTEN 0</div>`,
  );
  // the unwrapped tokens' text is one node again
  expect(before.children.at(-1)).toEqual({ type: 'text', value: '  LISTEN 0' });
});

test('simplifyTokens reaches tokens nested in other markup (e.g. a text marker)', () => {
  const mark: Element = { type: 'element', tagName: 'mark', properties: {}, children: [span('--0:#d6deeb;--1:#403f53', 'a'), span('--0:#d6deeb;--1:#403f53', 'b')] };
  const l = line(mark);
  simplifyTokens(l, FG);
  expect(toHtml(l)).toBe('<div class="code"><mark>ab</mark></div>');
});

test("inlineCopyIcon puts Expressive Code's copy icon into each copy button as inline SVG, and drops the mask", async () => {
  const plugin = inlineCopyIcon();
  const button: Element = { type: 'element', tagName: 'button', properties: { dataCode: 'nc -l 12345' }, children: [{ type: 'element', tagName: 'div', properties: {}, children: [] }] };
  const other: Element = { type: 'element', tagName: 'button', properties: {}, children: [] };
  const blockAst: Element = { type: 'element', tagName: 'figure', properties: {}, children: [{ type: 'element', tagName: 'div', properties: { className: ['copy'] }, children: [button] }, other] };
  await plugin.hooks!.postprocessRenderedBlock!({ renderData: { blockAst } } as never);
  expect(toHtml(button)).toContain(toHtml(copyIconSvg()));
  expect(other.children).toEqual([]); // not a copy button
  const svg = toHtml(copyIconSvg());
  expect(svg).toMatch(new RegExp(`^<svg class="${COPY_ICON_CLASS}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.75" aria-hidden="true">`));
  expect(svg).toContain('<path d="M3 19a2 2 0 0 1-1-2V2a2 2 0 0 1 1-1h13a2 2 0 0 1 2 1">');
  const css = typeof plugin.baseStyles === 'function' ? await plugin.baseStyles({ cssVar: (s: string) => `var(--${s})` } as never) : plugin.baseStyles;
  expect(css).toMatch(/\.copy button::after \{[^}]*mask-image: none;/);
});

test('the terminal dots are three gradient circles, no image', () => {
  expect(TERMINAL_DOTS.match(/radial-gradient\(/g)).toHaveLength(3);
  expect(TERMINAL_DOTS).not.toMatch(/url\(/);
});
