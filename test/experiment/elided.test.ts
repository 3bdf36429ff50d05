/**
 * elidedRuns(): which simulated lines a recording's `...` stands for — what a chapter folds
 * when it shows a long watch-loop transcript the way the lab note did.
 */
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { elidedRuns } from '../../src/experiment/match.ts';

describe('elidedRuns', () => {
  test('each ... covers the run of lines between its neighbours', () => {
    const expected = 'a\n...\nd\n...\n';
    const actual = 'a\nb\nc\nd\ne\nf\n';
    expect(elidedRuns(expected, actual)).toEqual([
      [1, 3],
      [4, 6],
    ]);
  });
  test('no alignment, no runs; an empty run is omitted', () => {
    expect(elidedRuns('a\n...\nz\n', 'a\nb\n')).toBeNull();
    expect(elidedRuns('a\n...\nb\n', 'a\nb\n')).toEqual([]);
  });
  test('the seed collision watch: the recording keeps 30-odd of the 737 simulated lines', () => {
    const rec = readFileSync('content/experiments/seed-collision/recorded/ubuntu-16.04/watch-states.txt', 'utf8');
    const gen = readFileSync('content/experiments/seed-collision/generated/linux-4.4/watch-states.txt', 'utf8');
    const runs = elidedRuns(rec, gen, { trimTrailing: true })!;
    const hidden = runs.reduce((n, [a, b]) => n + b - a, 0);
    const total = gen.split('\n').length - 1;
    const kept = rec.split('\n').filter((l) => l !== '' && l.trim() !== '...').length;
    expect(hidden + kept).toBe(total);
    expect(kept).toBeLessThan(60);
  });
});
