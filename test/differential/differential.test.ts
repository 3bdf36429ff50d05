/**
 * Differential scripts: random sequences of writes, reads, shutdown, TCP_NODELAY and close() on
 * both ends of a connection over lo, run on Linux 6.18.44 (three runs, recorded by `npm run
 * differential:record`, scripts/differential-real.py; with default buffers and with tcp_rmem /
 * tcp_wmem of 8 to 64 KB) and on the model. After every call both
 * sockets' SIOCINQ, SIOCOUTQ and tcpi_state must match what Linux gave, and the call's result
 * (count or errno). A script the model gets wrong must be listed, with the reason, in
 * known-disagreements.json; a listed script that agrees must leave the list.
 */
import { describe, expect, it } from 'vitest';
import { compareScript } from '../../scripts/lib/differential.ts';
import { knownDifferential, loadRecordings } from '../../scripts/differential.ts';

const known = knownDifferential();
for (const { file, rec } of loadRecordings()) {
  describe(`${file} (Linux ${rec.kernel}, ${rec.runs.length} runs, ${rec.scripts.length} scripts)`, () => {
    it('the real runs agree with each other on nearly every step (the settle time outlasts the timers; a step they differ on is timing and not compared)', () => {
      let steps = 0;
      let unstable = 0;
      for (let i = 0; i < rec.scripts.length; i++)
        for (let j = 0; j < rec.scripts[i].ops.length; j++) {
          steps++;
          if (rec.runs.some((r) => JSON.stringify(r[i][j]) !== JSON.stringify(rec.runs[0][i][j]))) unstable++;
        }
      expect(unstable / steps).toBeLessThan(0.02);
    });
    it.each(rec.scripts.map((s, i) => [i, s.ops.map((o) => o.join(' ')).join(', ')] as const))('script %i (%s): every step as on Linux, or a known disagreement', (i) => {
      const v = compareScript(rec, i, 'linux-6.x');
      const why = known[`${file}#${i}`];
      if (why) expect(v.first, `listed in known-disagreements.json but agrees now: take it out`).not.toBeNull();
      else expect(v.first, 'the first step that differs from Linux').toBeNull();
    });
  });
}
