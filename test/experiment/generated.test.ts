/**
 * Property: experiments generated from the support table (src/experiment/generate.ts: every
 * command line built from the programs, options, job specs and `&` the grammar accepts, with
 * typed lines and keys) are accepted by the parser and never crash the simulator. 1,000 of them
 * per run, on a seed printed when one fails (TCPLAB_TABLE_SEED replays a run); the run limits
 * are small so the whole property takes a few seconds.
 */
import { describe, expect, it } from 'vitest';
import { tableExperiment } from '../../src/experiment/generate.ts';
import { runCase } from '../../src/experiment/fuzz.ts';
import { RunLimitError } from '../../src/experiment/run.ts';

const SEED = Number(process.env.TCPLAB_TABLE_SEED ?? 20250101);
const COUNT = 1000;
const LIMITS = { maxEvents: 60_000, maxOutputBytes: 256 * 1024, maxSimNs: 60e9 };

describe('experiments built from the support table', () => {
  it(`${COUNT} of them parse and run without a crash (seed ${SEED})`, () => {
    const bad: string[] = [];
    let limited = 0;
    for (let i = 0; i < COUNT; i++) {
      const g = tableExperiment(SEED, i);
      const r = runCase(g.text, `generated-${i}.md`, { run: { limits: LIMITS }, limitError: RunLimitError });
      if (r.outcome === 'ok') continue;
      // a run that reaches the (small) limits is a located stop, not a failure of the table
      if (r.outcome === 'rejected' && r.errorName === 'RunLimitError') {
        limited++;
        continue;
      }
      bad.push(`#${i} ${r.outcome}: ${r.message}\n  ${g.steps.join('\n  ')}${r.stack ? `\n${r.stack.split('\n').slice(0, 4).join('\n')}` : ''}`);
      if (bad.length >= 5) break;
    }
    expect(bad, `seed ${SEED}`).toEqual([]);
    expect(limited).toBeLessThan(COUNT / 20);
  });
});
