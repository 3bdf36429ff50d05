/** Node-side helpers shared by the pipeline scripts: find, read and parse experiment files. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseExperiment } from '../../src/experiment/parse.ts';
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

/**
 * Parse an experiment file; paths in errors are relative to the repository root.
 * `checkRecorded: false` skips the check that listed recorded files exist (the recorder is
 * about to write them).
 */
export function loadExperiment(file: string, opts: { checkRecorded?: boolean } = {}): Experiment {
  const abs = resolve(file);
  const rel = relative(ROOT, abs);
  const dir = dirname(abs);
  const exists = opts.checkRecorded === false ? () => true : (p: string) => existsSync(join(dir, p));
  return parseExperiment(readFileSync(abs, 'utf8'), rel, { exists });
}
