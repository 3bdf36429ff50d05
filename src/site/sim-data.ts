/**
 * Build-time data for <SimWidget>: the experiment's IR (parsed from its markdown file) and the
 * static pictures of its final moment (the no-JS and print fallback of the live widget).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment } from '../experiment/parse.ts';
import { runExperiment } from '../experiment/run.ts';
import { renderLadder } from '../render/svg-ladder.ts';
import { renderQueue } from '../render/svg-queue.ts';
import type { ProfileName } from '../model/types.ts';

const cache = new Map<string, { json: string; ladder: string; queue: string }>();

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

export function simData(experiment: string, profile: ProfileName, labels: { ladder: string; ladderDesc: string; queue: string; empty: string; reset: string; recvq: string }) {
  if (!EXPERIMENT_ID.test(experiment)) throw new Error(`<SimWidget>: invalid experiment "${experiment}"`);
  const key = `${experiment}/${profile}/${labels.queue}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const file = join('content/experiments', experiment, 'experiment.md');
  const exp = parseExperiment(readFileSync(file, 'utf8'), file);
  const res = runExperiment(exp, profile, { observe: true });
  const t0 = res.t0;
  const pkts = res.trace.flatMap((e) => (e.type === 'xmit' ? [{ t: e.t - t0, seg: e.seg }] : []));
  // the moment the accept queue was longest: the picture the chapter is about
  let best = res.moments[0];
  for (const m of res.moments) {
    const n = m.queues.reduce((a, q) => Math.max(a, q.slots.length), 0);
    const b = best?.queues.reduce((a, q) => Math.max(a, q.slots.length), 0) ?? -1;
    if (n > b || (n === b && n > 0)) best = m;
  }
  const q = best?.queues.find((x) => x.port === 12345) ?? best?.queues[0] ?? null;
  const out = {
    json: jsonForScript(exp),
    ladder: renderLadder(pkts, { title: labels.ladder, description: labels.ladderDesc }),
    queue: renderQueue(q, { title: labels.queue, empty: labels.empty, reset: labels.reset, recvq: labels.recvq }),
  };
  cache.set(key, out);
  return out;
}
