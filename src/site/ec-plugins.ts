// Expressive Code plugins (used by ec.config.mjs) that make code blocks, most of all the terminal
// transcripts, cheaper for the browser to parse and render, without changing how they look.
//
// * plainTokens(): the syntax highlighter wraps every token in a <span> carrying its colours as
//   inline custom properties (style="--0:#d6deeb;--1:#403f53", one per theme). In a terminal
//   transcript almost every token is plain output in the block's default colour: 450 of the 466
//   token spans of the collision chapter. A span whose colour in every theme is the code
//   foreground the block already has is unwrapped (its text inherits the same colour); one that
//   only makes text bold gets a class instead of inline custom properties. Other tokens
//   (prompts, syntax-highlighted code) keep Expressive Code's inline styles.
// * inlineCopyIcon(): the copy button's icon is drawn by an inline <svg> instead of a CSS mask
//   with an SVG data: URL. A data: SVG image is a separate document that the browser builds on the
//   main thread (its own page, frame, style and a font lookup) while the first screen is
//   rendered; an inline <svg> of two shapes costs nothing of the kind.
// * TERMINAL_DOTS (frames.terminalIcon): the terminal title bar's three dots as radial gradients
//   in the same mask, for the same reason.
// * copyCommands(): a block given the `copyCommands` prop (a transcript's typed commands) copies
//   those lines instead of its whole text. The button's data-code is set in the tree, so the HTML
//   serialiser escapes it: the commands are contributors' text and never touch markup.
import { definePlugin } from '@astrojs/starlight/expressive-code';
import { s } from '@astrojs/starlight/expressive-code/hast';
import type { Element, ElementContent, Parent } from '@astrojs/starlight/expressive-code/hast';
import { visibleControls } from './transcripts.ts';

declare module '@expressive-code/core' {
  interface ExpressiveCodeBlockProps {
    /** The lines the copy button copies instead of the block's text (see copyCommands()). */
    copyCommands: string[];
  }
}

/** Class of a token whose only style is bold text in the block's default colour. */
export const BOLD_TOKEN_CLASS = 'tk-b';
/** Class of the inline copy icon. */
export const COPY_ICON_CLASS = 'ec-copy-icon';

/** The terminal dots (three circles of a 60×16 box drawn 2.1rem wide) as a mask of gradients. */
export const TERMINAL_DOTS = [0.28, 1.05, 1.82]
  .map((x) => `radial-gradient(circle at ${x}rem 50%, #000 0.27rem, transparent 0.28rem)`)
  .join(', ');

/** Parse an inline style string into its declarations, in order. */
function declarations(style: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const decl of style.split(';')) {
    const i = decl.indexOf(':');
    if (i > 0) out.set(decl.slice(0, i).trim(), decl.slice(i + 1).trim());
  }
  return out;
}

function hasClass(node: Element): boolean {
  const c = node.properties?.className;
  return Array.isArray(c) ? c.length > 0 : !!c;
}

/**
 * What to do with one token span, given each theme's code foreground colour: 'unwrap' (plain text
 * in the default colour), 'bold' (bold text in the default colour) or 'keep'.
 * Only Expressive Code's own inline-style spans (no class, style of custom properties) qualify.
 */
export function classifyToken(node: Element, foregrounds: readonly (string | undefined)[]): 'unwrap' | 'bold' | 'keep' {
  if (node.tagName !== 'span' || hasClass(node)) return 'keep';
  const style = node.properties?.style;
  if (typeof style !== 'string' || !style.startsWith('--')) return 'keep';
  const decls = declarations(style);
  let bold = 0;
  for (let i = 0; i < foregrounds.length; i++) {
    const fg = foregrounds[i];
    const colour = decls.get(`--${i}`);
    if (!fg || !colour || colour.toLowerCase() !== fg.toLowerCase()) return 'keep';
    decls.delete(`--${i}`);
    if (decls.get(`--${i}fw`) === 'bold') {
      decls.delete(`--${i}fw`);
      bold++;
    }
  }
  if (decls.size > 0) return 'keep';
  if (bold === 0) return 'unwrap';
  return bold === foregrounds.length ? 'bold' : 'keep';
}

/** Unwrap plain tokens and turn bold ones into a class, anywhere under parent. */
export function simplifyTokens(parent: Parent, foregrounds: readonly (string | undefined)[]): void {
  const out: ElementContent[] = [];
  for (const child of parent.children as ElementContent[]) {
    if (child.type !== 'element') {
      out.push(child);
      continue;
    }
    simplifyTokens(child, foregrounds);
    const kind = classifyToken(child, foregrounds);
    if (kind === 'unwrap') {
      out.push(...child.children);
    } else {
      if (kind === 'bold') child.properties = { className: [BOLD_TOKEN_CLASS] };
      out.push(child);
    }
  }
  // Adjacent text nodes (left by unwrapping) serialise the same, but merge them for a lean tree.
  const merged: ElementContent[] = [];
  for (const node of out) {
    const last = merged[merged.length - 1];
    if (node.type === 'text' && last?.type === 'text') merged[merged.length - 1] = { type: 'text', value: last.value + node.value };
    else merged.push(node);
  }
  parent.children = merged as Parent['children'];
}

export function plainTokens() {
  return definePlugin({
    name: 'tcp-lab: plain tokens',
    baseStyles: `.ec-line .${BOLD_TOKEN_CLASS} { font-weight: bold; }`,
    hooks: {
      postprocessRenderedLine: ({ renderData, styleVariants }) => {
        const foregrounds = styleVariants.map((v) => v.resolvedStyleSettings.get('codeForeground'));
        simplifyTokens(renderData.lineAst, foregrounds);
      },
    },
  });
}

/** The copy icon of Expressive Code's frames plugin (frames.copyIcon, viewBox 0 0 24 24) as inline SVG. */
export function copyIconSvg(): Element {
  return s('svg', { class: COPY_ICON_CLASS, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.75', 'aria-hidden': 'true' }, [
    s('path', { d: 'M3 19a2 2 0 0 1-1-2V2a2 2 0 0 1 1-1h13a2 2 0 0 1 2 1' }),
    s('rect', { x: '6', y: '5', width: '16', height: '18', rx: '1.5', ry: '1.5' }),
  ]);
}

function findCopyButtons(node: Element | Parent, out: Element[] = []): Element[] {
  for (const child of node.children) {
    if (child.type !== 'element') continue;
    if (child.tagName === 'button' && child.properties?.dataCode !== undefined) out.push(child);
    else findCopyButtons(child, out);
  }
  return out;
}

export function inlineCopyIcon() {
  return definePlugin({
    name: 'tcp-lab: inline copy icon',
    // Replaces the button's ::after, a mask of frames.copyIcon over the inline button foreground,
    // with the same drawing at the same place (inset by the same 0.475rem margin). The mask is
    // reset too: the browser fetches (and builds) a mask image whenever the pseudo-element's style
    // names one, even if the pseudo-element has no content.
    baseStyles: ({ cssVar }) => `
      .copy button::after { content: none; -webkit-mask-image: none; mask-image: none; }
      .copy button .${COPY_ICON_CLASS} {
        position: absolute;
        inset: 0.475rem;
        width: calc(100% - 0.95rem);
        height: calc(100% - 0.95rem);
        color: ${cssVar('frames.inlineButtonForeground')};
        pointer-events: none;
      }
    `,
    hooks: {
      postprocessRenderedBlock: ({ renderData }) => {
        for (const button of findCopyButtons(renderData.blockAst)) button.children.push(copyIconSvg());
      },
    },
  });
}

/**
 * The copy button's data-code for these commands: Expressive Code's copy script turns every
 * U+007F into a newline, so the commands are joined by it, and a control character inside a
 * command (a U+007F would split it into two pasted lines) is shown as its Control Picture, as
 * toAnsi() shows it in the frame.
 */
export function copyCode(commands: readonly string[]): string {
  return commands.map(visibleControls).join('\u007f');
}

export function copyCommands() {
  return definePlugin({
    name: 'tcp-lab: copy commands',
    hooks: {
      postprocessRenderedBlock: ({ codeBlock, renderData }) => {
        const commands: unknown = codeBlock.props.copyCommands;
        if (!Array.isArray(commands) || commands.length === 0) return;
        const code = copyCode(commands.map(String));
        for (const button of findCopyButtons(renderData.blockAst)) button.properties.dataCode = code;
      },
    },
  });
}
