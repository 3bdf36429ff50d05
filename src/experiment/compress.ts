/**
 * Shorten the idle stretches of an experiment (for quick real-kernel recordings in CI, together
 * with a lowered tcp_fin_timeout): every gap between consecutive steps longer than `maxGapNs`
 * becomes `maxGapNs`. Time bounds of blocks move with the steps around them. Pure.
 */
import type { BlockBound, Experiment } from './types.ts';

export function compressExperiment(exp: Experiment, maxGapNs: number): Experiment {
  const old = exp.steps.map((s) => s.at);
  const neu: number[] = [];
  old.forEach((t, i) => {
    if (i === 0) neu.push(Math.min(t, maxGapNs));
    else neu.push(neu[i - 1] + Math.min(t - old[i - 1], maxGapNs));
  });
  /** Map an original time onto the compressed axis (linear within a gap, clamped). */
  const map = (t: number): number => {
    if (!old.length) return t;
    let i = 0;
    while (i < old.length && old[i] <= t) i++;
    if (i === 0) return Math.min(t, neu[0]);
    const base = neu[i - 1] + (t - old[i - 1]);
    return i < old.length ? Math.min(base, neu[i]) : base;
  };
  const bound = (b: BlockBound): BlockBound => (b.kind === 'time' ? { kind: 'time', at: map(b.at) } : b);
  return {
    ...exp,
    steps: exp.steps.map((s, i) => ({ ...s, at: neu[i] })),
    blocks: exp.blocks.map((b) => (b.kind === 'terminal' ? { ...b, from: bound(b.from), to: bound(b.to) } : b)),
    inputs: { ...exp.inputs, tailNs: Math.min(exp.inputs.tailNs ?? 3e9, maxGapNs) },
  };
}
