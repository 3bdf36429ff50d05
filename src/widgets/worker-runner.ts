/**
 * Starting the widgets' worker script (sandbox-worker.ts): in a Web Worker from the script Vite
 * emits for it (`?worker&url`), offline from the copy the export embeds (a Blob URL: file:// cannot
 * start a worker from a file), or, where no worker can be started, on the page's thread (the script
 * loaded by a <script> element defines TCP_LAB_SANDBOX_CONNECT; offline, the embedded copy again,
 * from a Blob URL, which the offline CSP's script-src allows). Used by the sandbox terminal
 * (terminal.ts, a host per element) and the timeline (sim.ts, its runs).
 */
import workerUrl from './sandbox-worker.ts?worker&url';
import type { FromWorker, ToWorker } from './sandbox-protocol.ts';

type G = typeof globalThis & { TCP_LAB_SANDBOX_WORKER?: unknown; TCP_LAB_SANDBOX_CONNECT?: (post: (m: FromWorker) => void) => (m: ToWorker) => void };

export interface Runner {
  send(m: ToWorker): void;
  stop(): void;
  readonly inWorker: boolean;
}

/** The worker: offline, from the script the export embeds (file:// cannot start a worker from a file). */
export function workerRunner(onMsg: (m: FromWorker) => void, onError: (message: string) => void, name = 'tcp-lab-sandbox'): Runner | null {
  if (typeof Worker === 'undefined') return null;
  let w: Worker;
  try {
    const embedded = (globalThis as G).TCP_LAB_SANDBOX_WORKER;
    if (typeof embedded === 'string') {
      const url = URL.createObjectURL(new Blob(['URL.revokeObjectURL(self.location.href);\n', embedded], { type: 'text/javascript' }));
      w = new Worker(url, { name });
    } else if (location.protocol === 'file:') return null;
    else w = new Worker(workerUrl, { name });
  } catch {
    return null;
  }
  w.onmessage = (e: MessageEvent<FromWorker>) => onMsg(e.data);
  w.onerror = (e) => {
    e.preventDefault();
    onError(e.message || 'worker error');
  };
  return { send: (m) => w.postMessage(m), stop: () => w.terminate(), inWorker: true };
}

let loading: Promise<unknown> | null = null;

/** The worker's script on this thread (a <script> element: it defines TCP_LAB_SANDBOX_CONNECT). */
export function pageRunner(onMsg: (m: FromWorker) => void, onError: (message: string) => void): Runner {
  const g = globalThis as G;
  let handle: ((m: ToWorker) => void) | null = null;
  let stopped = false;
  const waiting: ToWorker[] = [];
  loading ??= new Promise((ok, fail) => {
    const s = document.createElement('script');
    // offline, the export's embedded copy (file:// has no worker file to load), as a Blob URL
    const embedded = g.TCP_LAB_SANDBOX_WORKER;
    s.src = typeof embedded === 'string' ? URL.createObjectURL(new Blob([embedded], { type: 'text/javascript' })) : workerUrl;
    s.onload = ok;
    s.onerror = () => {
      loading = null;
      fail(new Error(workerUrl));
    };
    document.head.append(s);
  });
  loading.then(
    () => {
      if (stopped || !g.TCP_LAB_SANDBOX_CONNECT) return stopped || onError('no sandbox script');
      handle = g.TCP_LAB_SANDBOX_CONNECT((m) => stopped || onMsg(m));
      for (const m of waiting) handle(m);
    },
    (e: Error) => stopped || onError(e.message),
  );
  return {
    send: (m) => (handle ? handle(m) : waiting.push(m)),
    stop: () => {
      handle?.({ type: 'stop' });
      stopped = true;
    },
    inWorker: false,
  };
}
