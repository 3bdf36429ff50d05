/** Node-side helpers shared by the pipeline scripts: find, read and parse experiment files. */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { insidePath, parseExperiment, type RecordedPathStatus } from '../../src/experiment/parse.ts';
import type { Experiment } from '../../src/experiment/types.ts';

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');
export const EXPERIMENTS_DIR = join(ROOT, 'content/experiments');

export function experimentFiles(): string[] {
  if (!existsSync(EXPERIMENTS_DIR)) return [];
  return readdirSync(EXPERIMENTS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(EXPERIMENTS_DIR, d.name, 'experiment.md')))
    .map((d) => join(EXPERIMENTS_DIR, d.name, 'experiment.md'))
    .sort();
}

/** Is `p` (an absolute, real path) `dir` itself or inside it? */
function within(dir: string, p: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * Where `rel` (relative to `base`, a folder) leads after symlinks: 'ok' for a regular file inside
 * `base`'s real path, 'outside' when it or any existing part of it resolves elsewhere, 'missing'
 * or 'not-a-file'. With `mustExist: false`, a missing path is 'ok' as long as the part that
 * exists stays inside (the recorder is about to write it).
 */
export function resolveInside(base: string, rel: string, mustExist = true): RecordedPathStatus {
  const path = insidePath(rel);
  if (path === null) return 'outside';
  let root: string;
  try {
    root = realpathSync(base);
  } catch {
    return 'missing';
  }
  // the deepest part of the path that exists decides where it leads
  let probe = join(root, path);
  for (;;) {
    let real: string | null = null;
    try {
      real = realpathSync(probe);
    } catch {
      real = null;
    }
    if (real !== null) {
      if (!within(root, real)) return 'outside';
      if (probe !== join(root, path)) return mustExist ? 'missing' : 'ok';
      return statSync(real).isFile() || !mustExist ? 'ok' : 'not-a-file';
    }
    const up = dirname(probe);
    if (up === probe || !within(root, up)) return mustExist ? 'missing' : 'ok';
    probe = up;
  }
}

/**
 * Read a contributor's file at `rel` under `base` only if it resolves (after symlinks) to a
 * regular file inside `base`; else throw, naming the path. For every reader of recorded or
 * generated files, so a symlink or a `..` cannot bring another file of the machine into a diff
 * or a page.
 */
export function readInside(base: string, rel: string): string {
  const status = resolveInside(base, rel);
  if (status !== 'ok') throw new Error(`${relative(ROOT, join(base, rel))}: ${status === 'outside' ? "resolves outside its experiment's folder" : status === 'missing' ? 'is missing' : 'is not a regular file'}`);
  return readFileSync(realpathSync(join(base, rel)), 'utf8');
}

/**
 * Parse an experiment file; paths in errors are relative to the repository root. Recorded
 * files must resolve, after symlinks, to regular files inside the experiment's folder.
 * `checkRecorded: false` only requires that whatever part of a recorded path exists stays
 * inside the folder (the recorder is about to write the files).
 */
export function loadExperiment(file: string, opts: { checkRecorded?: boolean } = {}): Experiment {
  const abs = resolve(file);
  const rel = relative(ROOT, abs);
  const dir = dirname(abs);
  const mustExist = opts.checkRecorded !== false;
  return parseExperiment(readFileSync(abs, 'utf8'), rel, { recordedPath: (p) => resolveInside(dir, p, mustExist) });
}
