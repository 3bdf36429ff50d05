/**
 * The sandbox's Web Worker: owns the simulated host (SandboxEngine) and runs it in slices of
 * SLICE_MS, going back to its event loop between slices so the element's messages (a ^C) are
 * handled at once, and sleeping until the host's next event is due when it has caught up with the
 * clock. terminal.ts starts it from the script Vite emits for it (`?worker&url`: a classic script
 * of its own under _astro/, fetched when a terminal starts); the offline export embeds the same
 * script and starts it from a Blob URL (src/site/offline.ts).
 *
 * The timeline (<tcp-lab-sim>) runs its experiment here too ('run' messages, sim-run.ts), in a
 * worker of its own started from the same script, so the page's bundle has no model.
 *
 * The same script also runs on the page's thread where no worker can be started (loaded by a
 * <script> element): there it runs nothing by itself but defines TCP_LAB_SANDBOX_CONNECT, which
 * the element calls with its message handler and which returns the function to post to the host.
 */
import { SandboxDriver, SandboxEngine } from './sandbox-engine.ts';
import type { FromWorker, ToWorker } from './sandbox-protocol.ts';
import { simRun } from './sim-run.ts';

type Post = (m: FromWorker) => void;

/** A host for one element: `post` gets its updates; the returned function takes its messages. */
function connect(post: Post, yieldNow: (fn: () => void) => void): (m: ToWorker) => void {
  let driver: SandboxDriver | null = null;
  return (m) => {
    if (m.type === 'run') {
      // the timeline's run (<tcp-lab-sim>): answered whole, with the same id
      let answer: FromWorker;
      try {
        answer = { type: 'run', id: m.id, run: simRun(m.req) };
      } catch (e) {
        answer = { type: 'run', id: m.id, error: e instanceof Error ? e.message : String(e) };
      }
      post(answer);
    } else if (m.type === 'boot') {
      const clock = () => performance.now();
      driver = new SandboxDriver(new SandboxEngine({ profile: m.profile, lang: m.lang, goals: m.goals }, clock), (update) => post({ type: 'update', update }), clock, yieldNow);
    } else if (m.type === 'stop') {
      driver?.stop();
      driver = null;
    } else driver?.input(m.input);
  };
}

const g = globalThis as unknown as {
  document?: unknown;
  TCP_LAB_SANDBOX_CONNECT?: (post: Post) => (m: ToWorker) => void;
  postMessage(m: FromWorker): void;
  addEventListener(type: 'message', f: (e: MessageEvent<ToWorker>) => void): void;
};

if (g.document === undefined) {
  // Back to the event loop without setTimeout's 4 ms clamp: a message to ourselves. Messages from
  // the element queue behind the one in flight, so they wait one slice at most.
  const channel = new MessageChannel();
  const queued: Array<() => void> = [];
  channel.port1.onmessage = () => queued.shift()?.();
  const yieldNow = (fn: () => void) => {
    queued.push(fn);
    channel.port2.postMessage(null);
  };
  g.addEventListener('message', ((handle) => (e: MessageEvent<ToWorker>) => handle(e.data))(connect((m) => g.postMessage(m), yieldNow)));
} else {
  // On the page's thread: a setTimeout task per slice, so the page paints and takes keys between them.
  g.TCP_LAB_SANDBOX_CONNECT = (post) => connect(post, (fn) => setTimeout(fn, 0));
}
