/**
 * Build-time data for <SimWidget> and <StepFigure>: the experiment's IR (parsed from its
 * markdown file), the moment the widget opens on with its caption narrated from the trace
 * (src/render/narrate.ts; the live widget's captions are narrated by the worker, from its own run,
 * so the page ships no phrases), the static pictures of that moment
 * (the no-JS and print fallback of the live widget), and the frames of a step's small figure.
 *
 * Pictures are laid out for a width, never scaled down: each comes in a wide and a narrow layout
 * and the page's stylesheet shows the one that fits (text at 13 px, at least 12 px at 390 px).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment } from '../experiment/parse.ts';
import { runExperiment, type Moment, type QueueView, type RunResult } from '../experiment/run.ts';
import type { Experiment } from '../experiment/types.ts';
import { renderLadder, LADDER_CSS, LADDER_WINDOW, type LadderPacket } from '../render/svg-ladder.ts';
import { renderQueue, QUEUE_CSS } from '../render/svg-queue.ts';
import { renderSs } from '../render/ss.ts';
import { narrate, narrateFacts, captionOf, packetMarks, type Lang, type NarrateMoment } from '../render/narrate.ts';
import { PROFILES } from '../model/profiles.ts';
import { TCP_CLOSE, type ProfileName } from '../model/types.ts';
import type { SimPageData } from '../widgets/sim.ts';
import { strings } from '../widgets/strings.ts';

/** Widths the pictures are drawn for: a phone's column (390 px screen) and a desktop chapter's. */
export const NARROW_W = 300;
export const WIDE_W = 560;

/** The pictures' rules, once per figure (their SVGs carry no <style> of their own). */
export const FIGURE_CSS = LADDER_CSS + QUEUE_CSS;

export interface SimLabels {
  ladder: string;
  ladderDesc: string;
  queue: string;
  empty: string;
  reset: string;
  recvq: string;
  markChallenge: string;
  markRetrans: string;
}

/**
 * A value as JSON that can sit in a <script type="application/json"> element and come back
 * unchanged from its textContent: every `<` is written \u003c, so no `</script>` or `<!--` can
 * end or re-enter the element (JSON.stringify already escapes NUL and the other controls).
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** An experiment's folder name, as <Transcript> accepts it: no path separators, no leading dot. */
const EXPERIMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const experiments = new Map<string, Experiment>();
const runs = new Map<string, RunResult>();

function loadExperiment(experiment: string, what = '<SimWidget>'): Experiment {
  if (!EXPERIMENT_ID.test(experiment)) throw new Error(`${what}: invalid experiment "${experiment}"`);
  let exp = experiments.get(experiment);
  if (!exp) {
    const file = join('content/experiments', experiment, 'experiment.md');
    exp = parseExperiment(readFileSync(file, 'utf8'), file);
    experiments.set(experiment, exp);
  }
  return exp;
}

/** The observed run of an experiment under a profile (each is run once per build). */
function observed(experiment: string, profile: ProfileName, what?: string): RunResult {
  const key = `${experiment}/${profile}`;
  let res = runs.get(key);
  if (!res) {
    res = runExperiment(loadExperiment(experiment, what), profile, { observe: true });
    runs.set(key, res);
  }
  return res;
}

export const langOf = (lang: string | undefined): Lang => ((lang ?? '').toLowerCase().startsWith('zh') ? 'zh' : 'en');

const packetsOf = (res: RunResult): LadderPacket[] => res.trace.flatMap((e) => (e.type === 'xmit' ? [{ t: e.t - res.t0, seg: e.seg }] : []));
const listenerQueue = (m: Moment | undefined): QueueView | null => m?.queues.find((x) => x.port === 12345) ?? m?.queues[0] ?? null;

/**
 * The moment a widget opens on: `challenge` (the first challenge ACK, else the fullest queue),
 * `queue` (the last moment the accept queue was at its longest), or a time in seconds.
 */
export function startMoment(res: RunResult, start: 'challenge' | 'queue' | number = 'challenge'): number {
  const ms = res.moments;
  if (typeof start === 'number') {
    let i = 0;
    while (i + 1 < ms.length && ms[i + 1].t <= start * 1e9) i++;
    return i;
  }
  if (start === 'challenge') {
    const frame = packetMarks(res.trace).indexOf('challenge');
    if (frame >= 0) {
      const pkts = packetsOf(res);
      const i = ms.findIndex((m) => m.t >= pkts[frame].t);
      if (i >= 0) return i;
    }
  }
  let best = 0;
  let most = -1;
  ms.forEach((m, i) => {
    const n = m.queues.reduce((a, q) => Math.max(a, q.slots.length), 0);
    if (n >= most && n > 0) [best, most] = [i, n];
  });
  return best;
}

/** The widget's pictures at a moment, as the live widget first draws them (the same window of rows). */
function pictures(res: RunResult, idx: number, labels: SimLabels, id: string, width: number) {
  const pkts = packetsOf(res);
  const m = res.moments[idx];
  const marks = packetMarks(res.trace);
  const upTo = m ? pkts.filter((p) => p.t <= m.t).length : 0;
  const from = Math.max(0, upTo - LADDER_WINDOW);
  const shown = pkts.slice(from, upTo);
  return {
    ladder: renderLadder(shown, {
      title: labels.ladder,
      description: labels.ladderDesc,
      width,
      highlight: shown.length - 1,
      marks: marks.slice(from),
      markLabels: { challenge: labels.markChallenge, retrans: labels.markRetrans },
      firstFrame: from + 1,
      rows: Math.min(LADDER_WINDOW, pkts.length - from),
      id: `${id}-${width}`,
    }),
    queue: renderQueue(listenerQueue(m), { title: labels.queue, empty: labels.empty, reset: labels.reset, recvq: labels.recvq }, { width }),
  };
}

const widgetCache = new Map<string, ReturnType<typeof build>>();

function build(experiment: string, profile: ProfileName, labels: SimLabels, lang: Lang, start: 'challenge' | 'queue' | number) {
  const exp = loadExperiment(experiment);
  const res = observed(experiment, profile);
  // the opening moment's caption, for the build-time pictures (the widget's captions come with its run, from the worker)
  const captions = narrate(res.trace, res.moments, res.t0, lang);
  const idx = startMoment(res, start);
  const data: SimPageData = { exp, start: res.moments[idx]?.t ?? 0 };
  const wide = pictures(res, idx, labels, `${experiment}-static`, WIDE_W);
  const narrow = pictures(res, idx, labels, `${experiment}-static`, NARROW_W);
  return {
    json: jsonForScript(data),
    ladder: wide.ladder,
    queue: wide.queue,
    ladderNarrow: narrow.ladder,
    queueNarrow: narrow.queue,
    caption: captions[idx] ?? '',
    t: ((res.moments[idx]?.t ?? 0) / 1e9).toFixed(6),
    height: estimateRem(res, captions, labels),
  };
}

/**
 * The live widget's height in rem on a desktop (1280 px) and on a phone (390 px), for the room the
 * page keeps for it while the browser skips it (content-visibility; the stylesheet goes from one
 * to the other with the reader's width): what does not depend on the run (controls, the knob's
 * note, the timeline, the pcap row, gaps: measured), the caption box (as tall as the run's longest
 * caption at that width, at least three lines), the ss pane (the run's longest listing and its
 * header), the tallest accept-queue picture and the ladder's window as the widget draws them at
 * the panes' width. Within a few px of the widget as laid out (test/e2e/explainer.test.ts).
 */
export function estimateRem(res: RunResult, captions: readonly string[], labels: SimLabels): { desktop: number; phone: number } {
  const ss = res.moments.reduce((a, m) => Math.max(a, m.table.rows.length), 0);
  const pkts = packetsOf(res);
  const queues = new Map<string, QueueView | null>();
  for (const m of res.moments) {
    const q = listenerQueue(m);
    queues.set(JSON.stringify(q), q);
  }
  // the captions' width in px at 16 px: a CJK character 16, any other ~8.8 (measured, proportional)
  const longest = captions.reduce((a, c) => Math.max(a, [...c].reduce((n, ch) => n + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 16 : 8.8), 0)), 0);
  const svgHeight = (svg: string) => Number(/ height="([\d.]+)"/.exec(svg)?.[1] ?? 0);
  const at = (w: (typeof LIVE)[keyof typeof LIVE]) => {
    const ladder = svgHeight(renderLadder(pkts, { title: labels.ladder, description: labels.ladderDesc, width: w.panes, marks: packetMarks(res.trace), markLabels: { challenge: labels.markChallenge, retrans: labels.markRetrans }, id: 'estimate', style: false, clip: true, window: LADDER_WINDOW }));
    const queue = Math.max(...[...queues.values()].map((q) => svgHeight(renderQueue(q, { title: labels.queue, empty: labels.empty, reset: labels.reset, recvq: labels.recvq }, { width: w.panes, style: false }))));
    // lines of 24 px, the box's padding and border taken off its width
    const captionLines = Math.max(3, Math.ceil(longest / (w.panes - 19)));
    const px = w.fixed + captionLines * 24 + 8 + 12 + (SS_FIGCAPTION_PX + 16 + (ss + 1) * SS_LINE_PX) + queue + (LADDER_FIGCAPTION_PX + ladder);
    // in half rem (whole pixels): a fractional estimate moves what follows by a fraction of a pixel
    return Math.round((px / 16) * 2) / 2;
  };
  return { desktop: at(LIVE.desktop), phone: at(LIVE.phone) };
}

/** The live widget's estimated heights for a chapter's section estimate (src/site/chapter-sections.ts): its English labels and captions. */
export function simWidgetRem(experiment: string, profile: ProfileName): { desktop: number; phone: number } {
  const res = observed(experiment, profile);
  const s = strings('en');
  const labels: SimLabels = { ladder: s.ladder, ladderDesc: s.ladderDesc, queue: s.queue, empty: s.queueEmpty, reset: s.queueReset, recvq: s.recvq, markChallenge: s.markChallenge, markRetrans: s.markRetrans };
  return estimateRem(res, narrate(res.trace, res.moments, res.t0, 'en'), labels);
}

/** The live widget's panes' width, and the height of what does not depend on the run, in px (measured). */
const LIVE = {
  desktop: { panes: 591, fixed: 256 },
  phone: { panes: 332, fixed: 402 },
};
const SS_LINE_PX = 0.78 * 1.35 * 16;
const SS_FIGCAPTION_PX = 24;
/** The ladder's figcaption and the line box under its SVG. */
const LADDER_FIGCAPTION_PX = 34;

export function simData(experiment: string, profile: ProfileName, labels: SimLabels, lang?: string, start: 'challenge' | 'queue' | number = 'challenge') {
  const l = langOf(lang);
  const key = `${experiment}/${profile}/${l}/${start}`;
  let hit = widgetCache.get(key);
  if (!hit) {
    hit = build(experiment, profile, labels, l, start);
    widgetCache.set(key, hit);
  }
  return hit;
}

// ---- step figures ------------------------------------------------------------------------------

export interface StepFigureSpec {
  experiment: string;
  profile: ProfileName;
  /** The figure's window: from this step (a `#label` of the experiment, or seconds) ... */
  from: string | number;
  /** ... to this one (exclusive), or the end. */
  to?: string | number;
  /** Only the moments that put these frames on the wire (and those between them). */
  frames?: readonly [number, number];
  /** Which moments of the window become the figure's frames: every one, those that change what is shown, or the last. */
  pick?: 'all' | 'changes' | 'packets' | 'last';
  /** What to draw. */
  show: readonly ('ladder' | 'queue' | 'table')[];
  /** Which frame is shown first (1-based; default: the last). */
  select?: number;
  /** Draw the ladder from this frame number on (default: the first frame of the window). */
  ladderFrom?: number;
}

export interface StepFrame {
  /** The frame's label (its number in the figure) and its accessible name (frames sent, time). */
  label: string;
  name: string;
  t: string;
  caption: string;
  ladder?: string;
  queue?: string;
  table?: SsTable;
}

export interface SsTable {
  head: string[];
  rows: { cells: string[]; listener: boolean; ghost: boolean }[];
}

function stepTime(exp: Experiment, ref: string | number | undefined, end: number): number {
  if (ref === undefined || ref === 'end') return end;
  if (typeof ref === 'number' || /^\d+(\.\d+)?$/.test(ref)) return Number(ref) * 1e9;
  const s = exp.steps.find((x) => x.label === ref);
  if (!s) throw new Error(`<StepFigure experiment="${exp.id}">: no step labelled #${ref} (labels: ${exp.steps.flatMap((x) => (x.label ? [x.label] : [])).join(', ')})`);
  return s.at;
}

/**
 * ss -nat at a moment, as a table of its first five columns (the profile's iproute2 format and
 * state names), rows for port `port` only — what the chapter's `grep 12345` keeps — and a ghost
 * row for each child of the listener's accept queue that ss cannot list (reset, unhashed).
 */
export function ssTable(res: RunResult, m: Moment, port: number, ghost: (peer: number) => string): SsTable {
  const text = renderSs(m.table, { numeric: true, processes: false, timers: false, states: 'all' }, { iproute2: PROFILES[res.profile].tools.iproute2, columns: null });
  const [header, ...lines] = text.split('\n').filter((l) => l.trim());
  const head = header.split(/\s{2,}|\s(?=Send-Q|Local|Peer)/).map((h) => h.trim()).filter(Boolean).slice(0, 5);
  const rows = lines
    .filter((l) => l.includes(`:${port}`))
    .map((l) => {
      const cells = l.trim().split(/\s+/).slice(0, 5);
      return { cells, listener: cells[0] === 'LISTEN', ghost: false };
    });
  for (const q of m.queues.filter((x) => x.port === port))
    for (const s of q.slots) if (!s.hashed || s.state === TCP_CLOSE) rows.push({ cells: ['—', '', '', `:${port}`, `:${s.peerPort}`, ghost(s.peerPort)], listener: false, ghost: true });
  return { head, rows };
}

const figCache = new Map<string, StepFrame[]>();
const MAX_FACTS = 4;

export type FigureLabels = SimLabels & { ghost: (peer: number) => string; frame: (n: number) => string };

/** The frames of a step's figure: each a moment of the window, its caption and its pictures. */
export function stepFigure(spec: StepFigureSpec, labels: FigureLabels, lang?: string): StepFrame[] {
  const l = langOf(lang);
  const key = JSON.stringify([spec, l]);
  const hit = figCache.get(key);
  if (hit) return hit;
  const res = observed(spec.experiment, spec.profile, '<StepFigure>');
  const ms = res.moments;
  const pkts = packetsOf(res);
  const sentBy = (m: Moment) => pkts.filter((p) => p.t <= m.t).length;
  // the window as trace positions (moments are cut by trace length)
  const traceAt = (t: number) => {
    const i = res.trace.findIndex((e) => e.t - res.t0 >= t);
    return i < 0 ? res.trace.length : i;
  };
  let lo = traceAt(stepTime(res.exp, spec.from, 0));
  let hi = traceAt(stepTime(res.exp, spec.to, Infinity));
  let inWindow = ms.map((m, i) => ({ m, i })).filter(({ m }) => m.traceLen > lo && m.traceLen <= hi);
  if (spec.frames) {
    const [a, b] = spec.frames;
    const first = inWindow.findIndex(({ m }) => sentBy(m) >= a);
    const last = inWindow.findIndex(({ m }) => sentBy(m) >= b);
    if (first < 0 || last < 0) throw new Error(`<StepFigure experiment="${spec.experiment}">: frames ${a}-${b} are not all sent between ${spec.from} and ${spec.to ?? 'the end'}`);
    inWindow = inWindow.slice(first, last + 1);
    lo = ms[inWindow[0].i - 1]?.traceLen ?? 0;
    hi = inWindow.at(-1)!.m.traceLen;
  }
  const sig = (m: Moment) =>
    JSON.stringify([
      spec.show.includes('table') ? m.table.rows.map((r) => [r.state, r.rqueue, r.sport, r.dport]) : 0,
      spec.show.includes('queue') ? m.queues.map((q) => q.slots.map((x) => [x.state, x.hashed])) : 0,
      spec.show.includes('ladder') ? sentBy(m) : 0,
    ]);
  const pick = spec.pick ?? 'all';
  let chosen = inWindow;
  if (pick === 'packets') chosen = inWindow.filter(({ m, i }) => sentBy(m) > (i ? sentBy(ms[i - 1]) : 0));
  else if (pick === 'changes') chosen = inWindow.filter(({ m, i }, k) => k === inWindow.length - 1 || !i || sig(m) !== sig(ms[i - 1]));
  else if (pick === 'last') chosen = inWindow.slice(-1);
  // a window in which nothing makes a moment shows the state it starts in
  if (!chosen.length) {
    const before = ms.findLastIndex((m) => m.traceLen <= lo);
    if (before >= 0) chosen = [{ m: ms[before], i: before }];
  }
  // each frame's caption tells what happened since the previous frame: the first, since the
  // window opened; the last, up to the window's end
  const bounds: NarrateMoment[] = [{ traceLen: lo }];
  chosen.forEach(({ m }, k) => bounds.push({ traceLen: k === chosen.length - 1 ? Math.max(m.traceLen, hi) : m.traceLen, queues: m.queues }));
  const facts = narrateFacts(res.trace, bounds, res.t0).slice(1);
  const marks = packetMarks(res.trace);
  const firstFrame = spec.ladderFrom ? spec.ladderFrom - 1 : res.trace.slice(0, lo).filter((e) => e.type === 'xmit').length;
  const rows = chosen.length ? sentBy(chosen.at(-1)!.m) - firstFrame : 0;
  const out = chosen.map(({ m, i }, k): StepFrame => {
    const sent = sentBy(m);
    const before = k ? sentBy(chosen[k - 1].m) : firstFrame;
    const fresh = Array.from({ length: Math.max(0, sent - before) }, (_, n) => before + n + 1);
    const frame: StepFrame = {
      label: String(k + 1),
      name: `${fresh.map(labels.frame).join(', ')}${fresh.length ? ', ' : ''}t = ${(m.t / 1e9).toFixed(6)} s`,
      t: (m.t / 1e9).toFixed(6),
      // what happened since the previous frame, up to its last four facts (a long window, such as
      // a whole connection before the state a figure shows, would otherwise tell it all)
      caption: captionOf((facts[k] ?? []).slice(-MAX_FACTS), l),
    };
    if (spec.show.includes('ladder') && rows > 0)
      frame.ladder = renderLadder(pkts.slice(firstFrame, Math.max(firstFrame, sent)), {
        title: labels.ladder,
        description: labels.ladderDesc,
        width: NARROW_W,
        highlight: sent - firstFrame - 1,
        marks: marks.slice(firstFrame),
        markLabels: { challenge: labels.markChallenge, retrans: labels.markRetrans },
        firstFrame: firstFrame + 1,
        rows,
        id: `fig-${spec.experiment}-${i}`,
        style: false,
      });
    if (spec.show.includes('queue')) frame.queue = renderQueue(listenerQueue(m), { title: labels.queue, empty: labels.empty, reset: labels.reset, recvq: labels.recvq }, { width: NARROW_W, style: false });
    if (spec.show.includes('table')) frame.table = ssTable(res, m, listenerQueue(m)?.port ?? 12345, labels.ghost);
    return frame;
  });
  figCache.set(key, out);
  return out;
}

/** The labels a height estimate lays figures out with (their lengths barely change a height). */
const EN_FIGURE_LABELS: FigureLabels = {
  ladder: 'Packets so far',
  ladderDesc: '',
  queue: 'Accept queue of the listener',
  empty: 'free',
  reset: 'reset: not listed by ss',
  recvq: 'Recv-Q',
  markChallenge: 'challenge ACK',
  markRetrans: 'retransmission',
  ghost: (peer) => `reset child of :${peer}: still queued, not listed by ss`,
  frame: (n) => `Frame ${n}`,
};

/**
 * A step figure's height in rem on a desktop, from the frame it shows first: its box, the row
 * of moment buttons, the caption (3 lines at least), the pictures one under the other and the
 * ss table. For the room a chapter section keeps while the browser skips it
 * (src/site/chapter-sections.ts); within a few rem of what Chromium renders at 1280 px.
 */
export function stepFigureRem(spec: StepFigureSpec): number {
  const frames = stepFigure(spec, EN_FIGURE_LABELS, 'en');
  const f = frames[Math.min(frames.length, Math.max(1, spec.select ?? frames.length)) - 1];
  if (!f) return 6;
  const svgRem = (svg?: string) => (svg ? Number(/height="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 0) / 16 + 0.75 : 0);
  const caption = Math.max(3, Math.ceil(f.caption.length / 85)) * 1.3125 + 0.5;
  const table = f.table ? 2.6 + f.table.rows.length * 1.75 : 0;
  // box and padding 1.1, the margins beside the blocks around it 1.5
  return Math.round((2.6 + (frames.length > 1 ? 2.75 : 0) + caption + svgRem(f.ladder) + svgRem(f.queue) + table) * 2) / 2;
}

/**
 * stepFigureRem() of a <StepFigure> as a chapter writes it: `get` reads an attribute's value
 * (a string, or the source of an expression such as select={1}). null when it cannot be laid
 * out (the build then fails on the component itself, with its message).
 */
export function stepFigureRemOf(get: (name: string) => string | undefined): number | null {
  const experiment = get('experiment');
  const frames = get('frames')?.split('-').map(Number);
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  if (!experiment) return null;
  try {
    return stepFigureRem({
      experiment,
      profile: (get('profile') ?? 'linux-4.4') as ProfileName,
      from: get('from') ?? 0,
      to: get('to'),
      frames: frames?.length === 2 ? [frames[0], frames[1]] : undefined,
      pick: get('pick') as StepFigureSpec['pick'],
      show: (get('show') ?? '').split(',').map((x) => x.trim()) as StepFigureSpec['show'],
      select: num(get('select')),
      ladderFrom: num(get('ladderFrom')),
    });
  } catch {
    return null;
  }
}
