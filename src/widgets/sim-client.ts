/**
 * The timeline's runs, on the page's side: one worker per page (the widgets' worker script,
 * worker-runner.ts) runs every <tcp-lab-sim>'s experiment (sim-run.ts) and answers with what the
 * widget draws. A worker that fails (its script did not load, it could not start) is replaced by
 * the same script on the page's thread, and the runs it had not answered are sent there.
 */
import type { FromWorker } from './sandbox-protocol.ts';
import type { SimRun, SimRunMessage, SimRunRequest } from './sim-protocol.ts';
import { pageRunner, workerRunner, type Runner } from './worker-runner.ts';

interface Pending {
  msg: SimRunMessage;
  ok(run: SimRun): void;
  fail(e: Error): void;
}

let runner: Runner | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function onMsg(m: FromWorker): void {
  if (m.type !== 'run') return;
  const p = pending.get(m.id);
  if (!p) return;
  pending.delete(m.id);
  if ('run' in m) p.ok(m.run);
  else p.fail(new Error(m.error));
}

function failAll(message: string): void {
  for (const p of pending.values()) p.fail(new Error(message));
  pending.clear();
}

function onThisThread(): Runner {
  const r = pageRunner(onMsg, failAll);
  for (const p of pending.values()) r.send(p.msg);
  return r;
}

function start(): Runner {
  const w = workerRunner(onMsg, () => {
    runner?.stop();
    runner = onThisThread();
  }, 'tcp-lab-sim');
  return w ?? onThisThread();
}

/** Run the timeline's experiment (in the worker when one can be started). */
export function runTimeline(req: SimRunRequest): Promise<SimRun> {
  runner ??= start();
  const msg: SimRunMessage = { type: 'run', id: nextId++, req };
  return new Promise((ok, fail) => {
    pending.set(msg.id, { msg, ok, fail });
    runner!.send(msg);
  });
}

/** Whether the runs go to a worker ('worker') or run on the page's thread ('main-thread'). */
export function runMode(): 'worker' | 'main-thread' {
  return runner?.inWorker === false ? 'main-thread' : 'worker';
}
