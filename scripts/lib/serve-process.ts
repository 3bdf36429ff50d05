// The built site served by scripts/serve.ts in a process of its own, as a real host serves it
// apart from the browser that measures it. npm run report measures Lighthouse this way: a server
// inside the report's own process answers late whenever that process is busy (it also drives
// Lighthouse), and a late first response delays the page's first frame by whole seconds in
// Chromium (the display compositor throttles a renderer that has not drawn yet to one frame
// per second), which is the server's fault, not the page's.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  url: string;
  pid: number;
  stop(): void;
}

/** Start `node scripts/serve.ts root 0 [--gzip]` with TCP_LAB_BASE=base; resolves with its URL. */
export function startServerProcess(opts: { root: string; base: string; compress?: boolean; timeoutMs?: number }): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('../serve.ts', import.meta.url));
  const child = spawn(process.execPath, [script, opts.root, '0', ...(opts.compress ? ['--gzip'] : [])], {
    env: { ...process.env, TCP_LAB_BASE: opts.base },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`scripts/serve.ts printed no URL within ${opts.timeoutMs ?? 15000} ms: ${err.trim() || out.trim() || '(no output)'}`));
    }, opts.timeoutMs ?? 15000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /serving .* at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], pid: child.pid!, stop });
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`scripts/serve.ts exited (${signal ?? code}) before serving: ${err.trim() || out.trim() || '(no output)'}`));
    });
  });
}
