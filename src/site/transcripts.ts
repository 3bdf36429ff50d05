// Build-time helpers for <Transcript>: locate the generated block and its status, extract the
// commands a reader would type (for the copy button), and colour prompts for the ANSI renderer.
// Pure Node (fs/path); no Astro imports, so the unit tests can use it directly.
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { experimentsDir } from './config.ts';
import { elidedRuns } from '../experiment/match.ts';

export type BlockStatus = 'match' | 'mismatch' | 'no-recording';
export interface StatusEntry {
  status: BlockStatus;
  recorded: string | null;
  provenance?: Record<string, unknown>;
}

export interface TranscriptRequest {
  experiment: string;
  block: string;
  profile: string;
  root?: string;
}

export type TranscriptData =
  | {
      kind: 'ok';
      text: string;
      file: string;
      status: StatusEntry | null;
      recordedText: string | null;
      recordedFile: string | null;
    }
  | { kind: 'missing'; file: string; reason: string };

/**
 * A shell prompt at the start of a line: the seed's `[#157#root@ubuntu-1604 ~]$`, a Debian-style
 * `user@host:~$ `, or a bare `$ ` / `# `. The command is whatever follows on that line.
 */
export const PROMPT_RE = /^(\[[^\]\n]*\][$#]|[\w.-]+@[\w.-]+:[^$#\n]*[$#]|[$#](?= ))[ \t]?/;

/** The commands typed in a transcript: every prompt line's text after the prompt, in order. */
export function commandsOf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = PROMPT_RE.exec(line);
    if (!m) continue;
    const cmd = line.slice(m[0].length).trimEnd();
    if (cmd) out.push(cmd);
  }
  return out;
}

const ESC = '\u001b';
/**
 * Control characters (C0 but tab and newline, and DEL) as their visible Unicode Control Pictures
 * (ESC as ␛, NUL as ␀, DEL as ␡): HTML cannot carry some of them (NUL is dropped, CR becomes a
 * newline), ESC would start an ANSI sequence, and DEL is the copy button's line separator, so a
 * command holding one would be copied as two lines. Text without them is returned unchanged.
 */
export function visibleControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => String.fromCharCode(c === '\u007f' ? 0x2421 : 0x2400 + c.charCodeAt(0)));
}

/** Colour prompts (green) and commands (bold) with ANSI SGR codes for Expressive Code's `ansi` language. */
export function toAnsi(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      // Never let a transcript inject its own escape sequences (or other control characters) into the page.
      const clean = visibleControls(line);
      const m = PROMPT_RE.exec(clean);
      if (!m) return clean;
      const rest = clean.slice(m[0].length);
      return `${ESC}[32m${m[0]}${ESC}[0m` + (rest ? `${ESC}[1m${rest}${ESC}[0m` : '');
    })
    .join('\n');
}

/** Strip one trailing newline (files end with one; the terminal frame should not show an empty line). */
function chomp(s: string): string {
  return s.replace(/\r\n/g, '\n').replace(/\n$/, '');
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Read a file of an experiment's folder only if it resolves, after symlinks, to a regular file
 * inside that folder; else throw. Everything a page shows from content/experiments/<id>/
 * (generated blocks, status.json, the "Recorded original") is a contributor's file, so a
 * symlink or a `..` in status.json must not bring another file of the build machine into a page.
 */
export function readInsideExperiment(expDir: string, file: string, root: string): string {
  const shown = relative(root, file);
  let base: string;
  let real: string;
  try {
    base = realpathSync(expDir);
    real = realpathSync(file);
  } catch {
    throw new Error(`<Transcript>: ${shown} is missing`);
  }
  if (!real.startsWith(base + sep)) throw new Error(`<Transcript>: ${shown} resolves outside its experiment's folder (${relative(root, expDir)}), refusing to read it`);
  if (!statSync(real).isFile()) throw new Error(`<Transcript>: ${shown} is not a regular file`);
  return readFileSync(real, 'utf8');
}

export function loadTranscript(req: TranscriptRequest): TranscriptData {
  const root = req.root ?? process.cwd();
  for (const [k, v] of Object.entries({ experiment: req.experiment, block: req.block, profile: req.profile })) {
    if (!SAFE.test(v)) throw new Error(`<Transcript>: invalid ${k} "${v}"`);
  }
  const expDir = join(experimentsDir(root), req.experiment);
  const genDir = join(expDir, 'generated', req.profile);
  const file = join(genDir, `${req.block}.txt`);
  const rel = relative(root, file);
  if (!existsSync(file)) {
    return { kind: 'missing', file: rel, reason: `generated transcript not found: ${rel}` };
  }
  const statusFile = join(genDir, 'status.json');
  let status: StatusEntry | null = null;
  if (existsSync(statusFile)) {
    let all: Record<string, StatusEntry>;
    try {
      all = JSON.parse(readInsideExperiment(expDir, statusFile, root));
    } catch (e) {
      throw new Error(`<Transcript>: cannot parse ${relative(root, statusFile)}: ${(e as Error).message}`);
    }
    status = all[req.block] ?? null;
  }
  let recordedText: string | null = null;
  let recordedFile: string | null = null;
  if (status?.recorded) {
    if (typeof status.recorded !== 'string') throw new Error(`<Transcript>: ${relative(root, statusFile)}: "recorded" of ${req.block} is not a path`);
    const p = join(expDir, status.recorded);
    recordedFile = relative(root, p);
    if (existsSync(p)) recordedText = chomp(readInsideExperiment(expDir, p, root));
  }
  return { kind: 'ok', text: chomp(readInsideExperiment(expDir, file, root)), file: rel, status, recordedText, recordedFile };
}

/** Missing transcripts fail the build unless TCP_LAB_ALLOW_MISSING_TRANSCRIPTS=1 (development only). */
export function allowMissing(): boolean {
  return process.env.TCP_LAB_ALLOW_MISSING_TRANSCRIPTS === '1';
}

export function missingError(file: string): Error {
  return new Error(
    `[tcp-lab] Transcript block missing: ${file}\n` +
      `  Generate it with \`npm run transcripts\` (or set TCP_LAB_ALLOW_MISSING_TRANSCRIPTS=1 while developing ` +
      `to render a placeholder).`,
  );
}

/** Elided runs shorter than this many lines stay in the folded view. */
export const FOLD_MIN = 8;
/**
 * A folded block's whole output stays in the page (a closed <details>) up to this many lines and
 * bytes; a longer one is a plain-text file beside the pages (fullOutputPath), linked from the block.
 * The seed's watch loops (316 to 738 lines, 22 to 51 KB) were a third of their chapter's HTML.
 */
export const FULL_INLINE_MAX_LINES = 60;
export const FULL_INLINE_MAX_BYTES = 8 * 1024;

export interface FoldedView {
  /** The text shown in the terminal frame. */
  shown: string;
  /** Lines of the whole output when the frame shows it folded, else 0. */
  totalLines: number;
  /** Bytes of the whole output's text file (UTF-8, with its final newline). */
  bytes: number;
  /** Where the whole output is offered: nowhere (the frame shows it all), inline, or as a text file. */
  full: 'none' | 'inline' | 'file';
}

/**
 * A long transcript whose recording elides runs with `...` (the seed's watch loops) is shown
 * folded the same way; runs shorter than FOLD_MIN lines are kept. The whole generated text stays
 * one click away: inline when short, else as a text file (fullOutputText at fullOutputPath).
 */
export function foldTranscript(data: { text: string; status: StatusEntry | null; recordedText: string | null }): FoldedView {
  const none: FoldedView = { shown: data.text, totalLines: 0, bytes: 0, full: 'none' };
  if (data.status?.status !== 'match' || !data.recordedText || !/^\s*\.\.\.\s*$/m.test(data.recordedText)) return none;
  const runs = (elidedRuns(data.recordedText, data.text, { trimTrailing: true }) ?? []).filter(([a, b]) => b - a >= FOLD_MIN);
  if (!runs.length) return none;
  const lines = data.text.split('\n');
  const out: string[] = [];
  let j = 0;
  for (const [a, b] of runs) {
    out.push(...lines.slice(j, a), '...');
    j = b;
  }
  out.push(...lines.slice(j));
  const bytes = Buffer.byteLength(fullOutputText(data.text), 'utf8');
  const long = lines.length > FULL_INLINE_MAX_LINES || bytes > FULL_INLINE_MAX_BYTES;
  return { shown: out.join('\n'), totalLines: lines.length, bytes, full: long ? 'file' : 'inline' };
}

/** The text file of a block's whole output: the generated (simulated) text, ending with one newline. */
export function fullOutputText(text: string): string {
  return text + '\n';
}

/** Path of that file relative to the site base: transcripts/<experiment>/<profile>/<block>.txt (one for all languages). */
export function fullOutputPath(req: { experiment: string; profile: string; block: string }): string {
  for (const v of [req.experiment, req.profile, req.block]) if (!SAFE.test(v)) throw new Error(`invalid transcript path part "${v}"`);
  return `transcripts/${req.experiment}/${req.profile}/${req.block}.txt`;
}

export interface FullOutputFile {
  experiment: string;
  profile: string;
  block: string;
  /** The file's content (fullOutputText of the generated block). */
  text: string;
}

/**
 * Every generated block whose whole output is a text file (foldTranscript(...).full === 'file'),
 * in a fixed order. The build writes them from src/pages/transcripts/[experiment]/[profile]/[block].txt.ts,
 * so a chapter's link to any such block has its file.
 */
export function fullOutputFiles(root: string = process.cwd()): FullOutputFile[] {
  const dir = experimentsDir(root);
  const out: FullOutputFile[] = [];
  const sorted = (p: string) => (existsSync(p) ? readdirSync(p).sort() : []);
  for (const experiment of sorted(dir)) {
    if (!SAFE.test(experiment)) continue;
    for (const profile of sorted(join(dir, experiment, 'generated'))) {
      if (!SAFE.test(profile)) continue;
      for (const f of sorted(join(dir, experiment, 'generated', profile))) {
        const block = f.replace(/\.txt$/, '');
        if (block === f || !SAFE.test(block)) continue;
        const data = loadTranscript({ experiment, block, profile, root });
        if (data.kind === 'ok' && foldTranscript(data).full === 'file') out.push({ experiment, profile, block, text: fullOutputText(data.text) });
      }
    }
  }
  return out;
}

// ---- wrapped lines ----
// Transcripts wrap at the reader's width (ec.config.mjs: wrap; site.css: a continuation row is
// indented WRAP_HANG cells past its line's own indentation; the first two lines of a frame with a
// copy button leave it COPY_CELLS), so no column of an ss line or a Wireshark field is hidden to the
// right. While the browser skips a transcript or a section off screen, the stylesheet estimates the
// rows its lines wrap into: the build lays the lines out as the browser does (wrapRows) in frames
// of WRAP_CELLS[0] cells (the text column of a 412 px phone) and WRAP_CELLS[1] (a 1350 px desktop),
// and the stylesheet goes from one to the other as 1/cells (site.css, "wrapped lines").

/** Cells a continuation row is indented by (site.css --tcp-hang). */
export const WRAP_HANG = 4;
/** Cells of a frame's line at the two reference widths (412 px and 1350 px windows). */
export const WRAP_CELLS = [39, 76] as const;
/** Cells the copy button takes from the first two lines of a frame (2.5rem of 0.525rem cells). */
const COPY_CELLS = 5;

const WIDE_CHAR = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** Width of a string in monospace cells (a CJK character takes two). */
export function cellWidth(text: string): number {
  let n = 0;
  for (const ch of text) n += WIDE_CHAR.test(ch) ? 2 : 1;
  return n;
}

/**
 * Rows one line takes in a frame `cells` wide, wrapped as `white-space: pre-wrap` with
 * `overflow-wrap: break-word` does: breaks after a run of spaces (which may hang past the edge) or
 * after a hyphen before a letter, a word wider than a row broken anywhere; continuation rows are
 * `indent + WRAP_HANG` cells narrower; `reserve` cells are kept free on every row.
 */
export function lineRows(line: string, cells: number, reserve = 0): number {
  const text = line.replace(/\t/g, '        ').trimEnd();
  if (!text) return 1;
  const indent = /^ */.exec(text)![0].length;
  const first = Math.max(1, cells - reserve);
  const cont = Math.max(1, cells - reserve - indent - WRAP_HANG);
  // words: what lies between two break opportunities, with the spaces after it
  const words = text.match(/ +|[^ ]*?-(?=\p{L})|[^ ]+?(?= |$)|[^ ]+/gu) ?? [];
  let rows = 1;
  let cap = first;
  let x = 0;
  for (const word of words) {
    if (/^ +$/.test(word)) {
      x += word.length; // spaces hang: they never start a row
      continue;
    }
    let w = cellWidth(word);
    if (x > 0 && x + w > cap) {
      rows++;
      cap = cont;
      x = 0;
    }
    while (w > cap) {
      // a word wider than the row: broken anywhere
      w -= cap;
      rows++;
      cap = cont;
    }
    x += w;
  }
  return rows;
}

/** Rows a frame's lines take beyond one each, in a frame `cells` wide. */
export function extraRows(text: string, cells: number, copyButton: boolean): number {
  let extra = 0;
  text.replace(/\n+$/, '').split('\n').forEach((line, i) => {
    extra += lineRows(line, cells, copyButton && i < 2 ? COPY_CELLS : 0) - 1;
  });
  return extra;
}

/**
 * The custom properties an element's style gives the stylesheet for the frames it holds:
 * `--<prefix>p` and `--<prefix>d`, the rows their lines add at WRAP_CELLS[0] and [1] ('' if none),
 * plus `extra` rows at each (what else grows on a phone, e.g. a live widget's pictures).
 */
export function wrapStyle(prefix: string, frames: ReadonlyArray<{ text: string; copyButton: boolean }>, extra: readonly [number, number] = [0, 0]): string {
  const [p, d] = WRAP_CELLS.map((c, i) => Math.round((frames.reduce((n, f) => n + extraRows(f.text, c, f.copyButton), 0) + extra[i]) * 10) / 10);
  return p || d ? `--${prefix}p:${p};--${prefix}d:${d}` : '';
}
