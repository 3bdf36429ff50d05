/**
 * The timeline's run in the widgets' worker (sim-run.ts, answered through sandbox-worker.ts's
 * 'run' messages): what it sends the page survives structuredClone (postMessage's copy) and is the
 * run the page used to compute itself: the moments, the packets on lo with their wall-clock times
 * (the pcap download), the ladder's marks, every moment's caption narrated in the page's language
 * (whatever the knobs); a knob the kernel refuses is answered with the sysctl's own range.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { narrate, packetMarks } from '../../src/render/narrate.ts';
import { PROFILES } from '../../src/model/profiles.ts';
import { simRun } from '../../src/widgets/sim-run.ts';
import { PROFILE_NAMES } from '../../src/widgets/sim-protocol.ts';
import { TCP_FIN_WAIT2 } from '../../src/model/types.ts';

const f = 'content/experiments/seed-collision/experiment.md';
const exp = parseExperiment(readFileSync(f, 'utf8'), f);

describe('the timeline run (worker side)', () => {
  for (const profile of PROFILE_NAMES) {
    it(`${profile}: the same moments, packets and marks as runExperiment, through structuredClone`, () => {
      const run = structuredClone(simRun({ exp, profile, finTimeout: Number(exp.sysctl['net.ipv4.tcp_fin_timeout'] ?? 60), ncBacklog: 1, lang: 'en' }));
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
      expect(run.captions).toEqual(narrate(res.trace, res.moments, res.t0, 'en'));
      expect(run.captions.join(' ')).toContain('Frame 7: the CLOSE-WAIT child answers the SYN with a challenge ACK');
    });
  }

  it('the knobs reach the model: the FIN-WAIT-2 client lasts tcp_fin_timeout (tcp_fin_time(): 1 s vs 60 s)', () => {
    const finWait2 = (finTimeout: number) => {
      const ms = simRun({ exp, profile: 'linux-4.4', finTimeout, ncBacklog: 1, lang: 'en' }).moments;
      const i = ms.findIndex((m) => m.table.rows.some((r) => r.state === TCP_FIN_WAIT2));
      const j = ms.findIndex((m, k) => k > i && !m.table.rows.some((r) => r.state === TCP_FIN_WAIT2));
      return Math.round((ms[j].t - ms[i].t) / 1e9);
    };
    expect(finWait2(1)).toBe(1);
    expect(finWait2(60)).toBe(60);
    // not clamped to 120: what proc_dointvec_jiffies takes (|v| <= INT_MAX / HZ). Above
    // TCP_TIMEWAIT_LEN, tcp_rcv_state_process() arms the keepalive timer for tmo - 60 s and
    // tcp_keepalive_timer() then hands over to a FIN-WAIT-2 mini-socket for tmo - 60 s more
    // (tcp_time_wait()): 150 s lasts 180 s, on 4.4 as on 6.x. 0 and negative mean 3.5 RTO.
    expect(finWait2(150)).toBe(180);
    expect(finWait2(-5)).toBe(finWait2(0));
  });

  it('a tcp_fin_timeout the kernel refuses (beyond INT_MAX / HZ = 8589934 at HZ=250) fails the run with the range', () => {
    const run = (finTimeout: number) => () => simRun({ exp, profile: 'linux-6.x', finTimeout, ncBacklog: 1, lang: 'zh' });
    expect(run(8589935)).toThrow('net.ipv4.tcp_fin_timeout: 8589935 is out of range, expected seconds within -8589934..8589934 (INT_MAX / HZ, HZ=250)');
    expect(run(1.5)).toThrow('is not an integer');
    expect(run(8589934)().captions[0]).toMatch(/[\u4e00-\u9fff]/);
  });

  it('every profile is in the widget menu', () => {
    expect(PROFILE_NAMES).toEqual(Object.keys(PROFILES));
  });
});
