// A chapter's sections, one per h2, each in a <section class="tcp-section"> that the browser
// skips until it comes near the viewport (content-visibility in src/styles/site.css): on the
// collision chapter, laying out and shaping every section of the chapter (with its bold, italic
// and code fonts) was a third of the long task that renders the first screen.
//
// A skipped section takes the height the stylesheet estimates from what this plugin measures at
// build time, so that the page does not change length as the reader scrolls and a jump to a
// heading lands where the text will be:
//
//   --tcp-chars  its prose, in character widths (a CJK character counts as two), which the
//                stylesheet turns into lines at the reader's width
//   --tcp-lines  lines its prose blocks start (a paragraph: one; a list: one per item)
//   --tcp-rem    everything else, in rem: headings, gaps, transcripts (from their line
//                counts, as Transcript.astro renders them), widgets, diagrams
//   --tcp-sp, --tcp-sd  the rows its transcripts' lines add by wrapping in a phone's and a
//                desktop's text column (wrapStyle() in transcripts.ts), from which the stylesheet
//                estimates the rows at the reader's width
//
// It is a Markdown (hast) plugin of Astro's processor (Sätteri, which also compiles MDX),
// registered by chapterSectionsIntegration() in astro.config.mjs, for the chapters only.
import type { AstroIntegration } from 'astro';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { commandsOf, foldTranscript, loadTranscript, wrapStyle } from './transcripts.ts';
import { stepFigureRemOf, simWidgetRem } from './sim-data.ts';
import type { ProfileName } from '../model/types.ts';
import { cjkBreaks, isChapter } from './cjk-breaks.ts';

/** Class of a section. */
export const SECTION_CLASS = 'tcp-section';

/**
 * Heights in rem of what is not prose, roughly as the site renders them between 412 and 1350 px
 * (an h2 with the space above it, a widget, a conformance box...). A transcript is
 * --tcp-frame-lines × 1.53125rem + 12.5rem as in site.css (whose accuracy the browser tests
 * check), plus its 1.5rem margin.
 */
export const REM = {
  h2: 5.3,
  h3: 3.6,
  gap: 1, // between two blocks (Starlight's --sl-content-gap-y)
  listItemGap: 0.25,
  transcriptPerLine: 1.53125,
  transcript: 12.5 + 1.5,
  /** the live widget's margins (its height: sim-data.ts estimateRem(), on a desktop and on a phone) */
  sim: 1.5,
  /** a live widget whose experiment cannot be run here (its estimate's typical height) */
  simGuess: 63,
  sandbox: 6 + 1.5,
  conformance: 9,
  /** the row of kernel tabs (Linux 4.4 | Linux 6.x) above a <KernelTabs> transcript */
  kernelTabs: 2.5,
  /** a step's figure (<StepFigure>): caption, moment buttons and its pictures, 11-37rem; with its margins */
  stepFigure: 24 + 1.25,
  /** A SourceFile's frame less its lines: title bar, padding, margins. */
  sourceFile: 5.5,
  /** The overview picture (StoryDiagram.astro): 47-55rem wide, 66-69rem on a phone. */
  diagram: 58,
  other: 4,
  tableRow: 1,
  /** Table text fills more lines than prose: each column wraps on its own. */
  tableWrap: 1.6,
} as const;

/** Full-width characters (CJK ideographs, kana, Hangul, full-width forms) count as two. */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** The text's width in characters: a wide (CJK) character counts as two, runs of white space as one. */
export function charWidth(text: string): number {
  let n = 0;
  for (const ch of text.replace(/\s+/g, ' ').trim()) n += WIDE.test(ch) ? 2 : 1;
  return n;
}

export interface HNode {
  type: string;
  tagName?: string;
  name?: string | null;
  value?: string;
  properties?: Record<string, unknown>;
  attributes?: Array<{ type: string; name?: string; value?: unknown }>;
  children?: HNode[];
}

export interface Estimate {
  chars: number;
  lines: number;
  rem: number;
  /** Its transcripts' and code frames' text (their lines wrap at the reader's width). */
  frames: Array<{ text: string; copyButton: boolean }>;
  /** Rem a phone adds to `rem` (a live widget is taller on a phone: its pictures are redrawn for the width). */
  phoneRem?: number;
}

/** A live widget's height on a desktop and a phone, in rem (a guess when its experiment cannot be run). */
function simHeight(experiment: string, profile: ProfileName): { desktop: number; phone: number } {
  try {
    return simWidgetRem(experiment, profile);
  } catch {
    return { desktop: REM.simGuess, phone: REM.simGuess };
  }
}

function textOf(node: HNode): string {
  if (node.type === 'text') return node.value ?? '';
  return (node.children ?? []).map(textOf).join('');
}

function count(node: HNode, tag: string): number {
  let n = 0;
  for (const c of node.children ?? []) n += (c.type === 'element' && c.tagName === tag ? 1 : 0) + count(c, tag);
  return n;
}

function attr(node: HNode, name: string): string | undefined {
  const a = node.attributes?.find((x) => x.type === 'mdxJsxAttribute' && x.name === name);
  return typeof a?.value === 'string' ? a.value : undefined;
}

/** An attribute's string, or the source of its expression (select={1} gives "1"). */
function attrValue(node: HNode, name: string): string | undefined {
  const a = node.attributes?.find((x) => x.type === 'mdxJsxAttribute' && x.name === name);
  const v = a?.value as unknown;
  return typeof v === 'string' ? v : v && typeof v === 'object' && 'value' in v ? String((v as { value: unknown }).value) : undefined;
}

/** The text a transcript shows in its frame, as Transcript.astro renders it ('' if it cannot be read). */
export function transcriptFrameText(experiment: string, block: string, profile = 'linux-4.4'): string {
  try {
    const data = loadTranscript({ experiment, block, profile });
    if (data.kind !== 'ok') return '';
    return foldTranscript(data).shown.replace(/\n+$/, '');
  } catch {
    return '';
  }
}

/** Lines a transcript shows in its frame, as Transcript.astro renders it (0 if it cannot be read). */
export function transcriptFrameLines(experiment: string, block: string, profile = 'linux-4.4'): number {
  const text = transcriptFrameText(experiment, block, profile);
  return text ? text.split('\n').length : 0;
}

/** A file of the repository as SourceFile.astro shows it ('' if it cannot be read). */
function readSource(path: string): string {
  try {
    return readFileSync(resolve(process.cwd(), path), 'utf8').replace(/\n+$/, '');
  } catch {
    return '';
  }
}

/** The estimate of one top-level node of a section. */
export function estimateNode(node: HNode): Estimate {
  const e: Estimate = { chars: 0, lines: 0, rem: 0, frames: [] };
  if (node.type === 'text') return e; // white space between blocks
  if (node.type === 'element') {
    const tag = node.tagName ?? '';
    if (tag === 'h2') e.rem += REM.h2;
    else if (/^h[3-6]$/.test(tag)) e.rem += REM.h3;
    else if (tag === 'ul' || tag === 'ol') {
      const items = Math.max(1, count(node, 'li'));
      e.chars += charWidth(textOf(node));
      e.lines += items;
      e.rem += REM.gap + (items - 1) * REM.listItemGap;
    } else if (tag === 'p' || tag === 'blockquote') {
      e.chars += charWidth(textOf(node));
      e.lines += Math.max(1, count(node, 'p'));
      e.rem += REM.gap;
    } else if (tag === 'table') {
      // cells wrap in narrower columns and add their padding (0.5rem above and below)
      const rows = Math.max(1, count(node, 'tr'));
      e.chars += Math.round(charWidth(textOf(node)) * REM.tableWrap);
      e.lines += rows;
      e.rem += REM.gap + rows * REM.tableRow;
    } else {
      e.chars += charWidth(textOf(node));
      e.rem += REM.gap + REM.other;
    }
    return e;
  }
  if (node.type === 'mdxJsxFlowElement') {
    // a <KernelTabs> is its first tab's transcript under a row of kernel tabs
    if (node.name === 'KernelTabs') e.rem += REM.kernelTabs;
    switch (node.name === 'KernelTabs' ? 'Transcript' : node.name) {
      case 'Transcript': {
        const text = transcriptFrameText(attr(node, 'experiment') ?? '', attr(node, 'block') ?? '', attr(node, 'profile'));
        const lines = text ? text.split('\n').length : 0;
        e.rem += lines * REM.transcriptPerLine + REM.transcript;
        if (text) e.frames.push({ text, copyButton: commandsOf(text).length > 0 });
        break;
      }
      case 'SimWidget': {
        // sandbox={false} (an expression attribute) drops the sandbox terminal under the widget
        const sandbox = node.attributes?.find((a) => a.type === 'mdxJsxAttribute' && a.name === 'sandbox');
        const off = !!sandbox && typeof sandbox.value === 'object' && String((sandbox.value as { value?: unknown } | null)?.value).trim() === 'false';
        const h = simHeight(attr(node, 'experiment') ?? '', (attr(node, 'profile') ?? 'linux-4.4') as ProfileName);
        e.rem += h.desktop + REM.sim + (off ? 0 : REM.sandbox);
        e.phoneRem = (e.phoneRem ?? 0) + h.phone - h.desktop;
        break;
      }
      case 'Conformance':
        e.rem += REM.conformance;
        break;
      case 'StepFigure':
        // laid out at build time from the simulator's run (sim-data.ts)
        e.rem += stepFigureRemOf((name) => attrValue(node, name)) ?? REM.stepFigure;
        break;
      case 'StoryDiagram':
        e.rem += REM.diagram;
        break;
      case 'SourceFile': {
        // a repository file in a code frame (src/components/SourceFile.astro): its lines, wrapped like a transcript's
        const text = readSource(attr(node, 'path') ?? '');
        e.rem += (text ? text.split('\n').length : 0) * REM.transcriptPerLine + REM.sourceFile;
        if (text) e.frames.push({ text, copyButton: true });
        break;
      }
      default:
        e.rem += REM.other;
    }
  }
  return e;
}

export function estimateSection(nodes: HNode[]): Estimate {
  const e: Estimate = { chars: 0, lines: 0, rem: 0, frames: [] };
  for (const n of nodes) {
    const x = estimateNode(n);
    e.chars += x.chars;
    e.lines += x.lines;
    e.rem += x.rem;
    e.frames.push(...x.frames);
    if (x.phoneRem) e.phoneRem = (e.phoneRem ?? 0) + x.phoneRem;
  }
  return e;
}

export function sectionStyle(e: Estimate): string {
  // what a phone adds beyond the frames' wrapped rows, in the same rows (1.53125rem)
  const wrap = wrapStyle('tcp-s', e.frames, [(e.phoneRem ?? 0) / REM.transcriptPerLine, 0]);
  return `--tcp-chars:${e.chars};--tcp-lines:${e.lines};--tcp-rem:${Math.round(e.rem * 10) / 10}` + (wrap ? `;${wrap}` : '');
}

/**
 * The root's children with every run from an h2 to the next wrapped in a section; what comes
 * before the first h2 (the introduction) stays as it is. null if there is no h2.
 */
export function sectionize(children: HNode[]): HNode[] | null {
  const starts = children.flatMap((c, i) => (c.type === 'element' && c.tagName === 'h2' ? [i] : []));
  if (!starts.length) return null;
  const out = children.slice(0, starts[0]);
  starts.forEach((s, k) => {
    const body = children.slice(s, starts[k + 1] ?? children.length);
    // trailing white space stays outside, so the section ends with its last block
    let end = body.length;
    while (end > 0 && body[end - 1].type === 'text' && !(body[end - 1].value ?? '').trim()) end--;
    out.push({ type: 'element', tagName: 'section', properties: { className: [SECTION_CLASS], style: sectionStyle(estimateSection(body.slice(0, end))) }, children: body.slice(0, end) }, ...body.slice(end));
  });
  return out;
}


/** The Sätteri hast plugin. */
export function chapterSections() {
  return {
    name: 'tcp-lab-chapter-sections',
    // Starlight lets a table wider than the column scroll sideways (a phone): a keyboard user
    // reaches it to scroll it (axe: scrollable-region-focusable).
    element: {
      filter: ['table'],
      visit(node: HNode, ctx: { fileURL: URL | undefined; setProperty(node: unknown, key: string, value: unknown): void }) {
        if (isChapter(ctx.fileURL)) ctx.setProperty(node, 'tabIndex', 0);
      },
    },
    after(root: { children: HNode[] }, ctx: { fileURL: URL | undefined; replaceNode(node: unknown, n: unknown): void }) {
      if (!isChapter(ctx.fileURL)) return;
      const children = sectionize([...root.children]);
      if (children) ctx.replaceNode(root, { type: 'root', children });
    },
  };
}

/** Adds chapterSections() to the configured Markdown processor; fails the build if it takes no hast plugins. */
export function chapterSectionsIntegration(): AstroIntegration {
  return {
    name: 'tcp-lab-chapter-sections',
    hooks: {
      'astro:config:setup': ({ config }) => {
        const processor = config.markdown?.processor as { name?: string; options?: { hastPlugins?: unknown[] } } | undefined;
        const plugins = processor?.options?.hastPlugins;
        if (!Array.isArray(plugins)) {
          throw new Error(`tcp-lab: Markdown processor "${processor?.name}" takes no hast plugins; chapters would not be split into sections (src/site/chapter-sections.ts)`);
        }
        plugins.push(() => cjkBreaks(), () => chapterSections());
      },
    },
  };
}
