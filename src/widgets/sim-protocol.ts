/**
 * What the timeline (<tcp-lab-sim>, sim.ts, on the page) asks the widgets' worker to run
 * (sim-run.ts, in sandbox-worker.ts's script) and what it gets back: only what the widget draws,
 * in structured-clonable data. No model import beyond types, so the page's bundle keeps the
 * renderers and the element, not the simulator.
 */
import type { QueueView } from '../experiment/run.ts';
import type { Experiment } from '../experiment/types.ts';
import type { Lang, PacketMark } from '../render/narrate.ts';
import type { SsVersion } from '../render/ss.ts';
import type { CapturedFrame, Ns, ProfileName, SocketTable } from '../model/types.ts';

/** Every profile, for the widget's profile menu (a Record, so a new ProfileName must be listed here). */
const PROFILE_SET: Record<ProfileName, true> = { 'linux-4.4': true, 'linux-6.x': true };
export const PROFILE_NAMES = Object.keys(PROFILE_SET) as ProfileName[];

/** The experiment to run with the reader's profile and knobs. */
export interface SimRunRequest {
  exp: Experiment;
  profile: ProfileName;
  /** net.ipv4.tcp_fin_timeout, seconds: any value the profile's kernel accepts (checked by the worker). */
  finTimeout: number;
  /** The listen() backlog nc asks for. */
  ncBacklog: number;
  /** The language of the captions. */
  lang: Lang;
}

/** One instant at which the socket table, a queue or the packets changed. */
export interface SimMoment {
  /** ns since the experiment's start */
  t: Ns;
  table: SocketTable;
  queues: QueueView[];
}

/** The timeline of one run. */
export interface SimRun {
  profile: ProfileName;
  /** The profile's ss layout. */
  iproute2: SsVersion;
  moments: SimMoment[];
  /** Every segment put on lo, with its time (ns since the start) and wall-clock time (for the pcap). */
  frames: { t: Ns; frame: CapturedFrame }[];
  /** The ladder's marks, one per frame (challenge ACK, retransmission). */
  marks: PacketMark[];
  /** One caption per moment, narrated from this run's trace (src/render/narrate.ts), whatever the knobs. */
  captions: string[];
}

/** Element → worker: run this (answers carry the same id). */
export interface SimRunMessage {
  type: 'run';
  id: number;
  req: SimRunRequest;
}

/** Worker → element: the run, or why it failed (a located RunError's message). */
export type SimRunAnswer = { type: 'run'; id: number; run: SimRun } | { type: 'run'; id: number; error: string };
