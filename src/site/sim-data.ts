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

export function simData(experiment: string, profile: ProfileName, labels: { ladder: string; ladderDesc: string; queue: string; empty: string; reset: string; recvq: string }) {
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
    // `<` escaped so the JSON can sit in a <script type="application/json"> element
    json: JSON.stringify(exp).replace(/</g, '\\u003c'),
    ladder: renderLadder(pkts, { title: labels.ladder, description: labels.ladderDesc }),
    queue: renderQueue(q, { title: labels.queue, empty: labels.empty, reset: labels.reset, recvq: labels.recvq }),
  };
  cache.set(key, out);
  return out;
}
