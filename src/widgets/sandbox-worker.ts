/**
 * The sandbox terminal's Web Worker: owns the simulated host (SandboxEngine) and advances it in
 * slices of SLICE_MS, going back to its event loop between slices so the widget's messages (a
 * ^C) are handled at once. Loaded by terminal.ts as a Vite worker (`?worker`: a classic script of
 * its own under _astro/, fetched when a terminal starts); the offline export embeds the same
 * script and starts it from a Blob URL (src/site/offline.ts).
 */
import { SandboxDriver, SandboxEngine, type FromWorker, type ToWorker } from './sandbox-engine.ts';

const scope = self as unknown as {
  postMessage(m: FromWorker): void;
  addEventListener(type: 'message', f: (e: MessageEvent<ToWorker>) => void): void;
};

// Back to the event loop without setTimeout's 4 ms clamp: a message to ourselves. Messages from
// the widget queue behind the one in flight, so they wait one slice at most.
const channel = new MessageChannel();
const queued: Array<() => void> = [];
channel.port1.onmessage = () => queued.shift()?.();
const yieldThen = (fn: () => void) => {
  queued.push(fn);
  channel.port2.postMessage(null);
};

let driver: SandboxDriver | null = null;
scope.addEventListener('message', (e) => {
  const m = e.data;
  if (m.type === 'boot') {
    driver = new SandboxDriver(new SandboxEngine(m.profile), (update) => scope.postMessage({ type: 'update', update }), () => performance.now(), yieldThen);
  } else driver?.input(m.input);
});
