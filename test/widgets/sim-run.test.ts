/**
 * The timeline's run in the widgets' worker (sim-run.ts, answered through sandbox-worker.ts's
 * 'run' messages): what it sends the page survives structuredClone (postMessage's copy) and is the
 * run the page used to compute itself: the moments, the packets on lo with their wall-clock times
 * (the pcap download), the ladder's marks; a run the kernel refuses is answered with its message.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { packetMarks } from '../../src/render/narrate.ts';
import { PROFILES } from '../../src/model/profiles.ts';
import { simRun } from '../../src/widgets/sim-run.ts';
import { PROFILE_NAMES } from '../../src/widgets/sim-protocol.ts';
import { TCP_FIN_WAIT2 } from '../../src/model/types.ts';

const f = 'content/experiments/seed-collision/experiment.md';
const exp = parseExperiment(readFileSync(f, 'utf8'), f);

describe('the timeline run (worker side)', () => {
  for (const profile of PROFILE_NAMES) {
    it(`${profile}: the same moments, packets and marks as runExperiment, through structuredClone`, () => {
      const run = structuredClone(simRun({ exp, profile, finTimeout: Number(exp.sysctl['net.ipv4.tcp_fin_timeout'] ?? 60), ncBacklog: 1 }));
      const res = runExperiment(exp, profile, { observe: true, env: { ncBacklog: 1 } });
      expect(run.profile).toBe(profile);
      expect(run.iproute2).toBe(PROFILES[profile].tools.iproute2);
      expect(run.moments.map((m) => m.t)).toEqual(res.moments.map((m) => m.t));
      expect(run.moments.at(-1)!.table.rows).toEqual(res.moments.at(-1)!.table.rows);
      expect(run.moments.at(-1)!.table.owners).toEqual(res.moments.at(-1)!.table.owners);
      expect(run.moments.at(-1)!.queues).toEqual(res.moments.at(-1)!.queues);
      const xmits = res.trace.filter((e) => e.type === 'xmit');
      expect(run.frames).toHaveLength(xmits.length);
      expect(run.frames[0].t).toBe(xmits[0].t - res.t0);
      expect(run.frames[0].frame.realtimeNs).toBe((res.k.realtimeBaseUs + Math.floor(xmits[0].t / 1000)) * 1000);
      expect(run.marks).toEqual(packetMarks(res.trace));
      expect(run.marks).toContain('challenge');
    });
  }

  it('the knobs reach the model: the FIN-WAIT-2 client lasts tcp_fin_timeout (tcp_fin_time(): 1 s vs 60 s)', () => {
    const finWait2 = (finTimeout: number) => {
      const ms = simRun({ exp, profile: 'linux-4.4', finTimeout, ncBacklog: 1 }).moments;
      const i = ms.findIndex((m) => m.table.rows.some((r) => r.state === TCP_FIN_WAIT2));
      const j = ms.findIndex((m, k) => k > i && !m.table.rows.some((r) => r.state === TCP_FIN_WAIT2));
      return Math.round((ms[j].t - ms[i].t) / 1e9);
    };
    expect(finWait2(1)).toBe(1);
    expect(finWait2(60)).toBe(60);
  });

  it('every profile is in the widget menu', () => {
    expect(PROFILE_NAMES).toEqual(Object.keys(PROFILES));
  });
});
