// Build-time helpers for <Transcript>: locate the generated block and its status, extract the
// commands a reader would type (for the copy button), and colour prompts for the ANSI renderer.
// Pure Node (fs/path); no Astro imports, so the unit tests can use it directly.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { experimentsDir } from './config.ts';

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
/** Colour prompts (green) and commands (bold) with ANSI SGR codes for Expressive Code's `ansi` language. */
export function toAnsi(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      // Never let a transcript inject its own escape sequences into the page.
      const clean = line.replaceAll(ESC, '␛');
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
      all = JSON.parse(readFileSync(statusFile, 'utf8'));
    } catch (e) {
      throw new Error(`<Transcript>: cannot parse ${relative(root, statusFile)}: ${(e as Error).message}`);
    }
    status = all[req.block] ?? null;
  }
  let recordedText: string | null = null;
  let recordedFile: string | null = null;
  if (status?.recorded) {
    const p = join(expDir, status.recorded);
    recordedFile = relative(root, p);
    if (existsSync(p)) recordedText = chomp(readFileSync(p, 'utf8'));
  }
  return { kind: 'ok', text: chomp(readFileSync(file, 'utf8')), file: rel, status, recordedText, recordedFile };
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
