/**
 * The timeline's run, in the widgets' worker (sandbox-worker.ts): the experiment with the reader's
 * profile and knobs, observed instant by instant, reduced to what <tcp-lab-sim> draws (sim-protocol.ts).
 * Its blocks are not rendered (simulate(), not runExperiment()): the widget shows no transcript.
 * The captions are narrated here, from this run's trace, so a knob the chapter does not use is
 * narrated too; a knob the kernel would refuse (sysctlWrite()) fails the run with the kernel's range.
 */
import { simulate } from '../experiment/run.ts';
import type { Experiment } from '../experiment/types.ts';
import { narrate, packetMarks } from '../render/narrate.ts';
import { PROFILES } from '../model/profiles.ts';
import { sysctlWrite } from '../model/sysctl_net_ipv4.ts';
import type { SimRun, SimRunRequest } from './sim-protocol.ts';

export function simRun(req: SimRunRequest): SimRun {
  const fin = sysctlWrite(req.profile, PROFILES[req.profile].HZ, 'net.ipv4.tcp_fin_timeout', req.finTimeout);
  if ('message' in fin) throw new Error(`net.ipv4.tcp_fin_timeout: ${fin.message}`);
  const exp: Experiment = { ...req.exp, sysctl: { ...req.exp.sysctl, 'net.ipv4.tcp_fin_timeout': req.finTimeout } };
  const res = simulate(exp, req.profile, { observe: true, env: { ncBacklog: req.ncBacklog } });
  const base = res.k.realtimeBaseUs;
  return {
    profile: res.profile,
    iproute2: res.k.profile.tools.iproute2,
    moments: res.moments.map((m) => ({ t: m.t, table: m.table, queues: m.queues })),
    frames: res.trace.flatMap((e) => (e.type === 'xmit' ? [{ t: e.t - res.t0, frame: { realtimeNs: (base + Math.floor(e.t / 1000)) * 1000, seg: e.seg } }] : [])),
    marks: packetMarks(res.trace),
    captions: narrate(res.trace, res.moments, res.t0, req.lang),
  };
}
