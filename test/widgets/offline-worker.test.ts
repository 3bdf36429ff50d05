// The offline export embeds the sandbox terminal's worker script in the bundles that start it
// (Chromium starts no worker from a file: URL), and its CSP lets the terminal start it from a Blob URL.
import { expect, test } from 'vitest';
import { embedSandboxWorker, offlineCsp, sandboxWorkerFiles } from '../../src/site/offline.ts';

test('the worker scripts Vite emitted are found under _astro/', () => {
  expect(sandboxWorkerFiles(['_astro/sandbox-worker-DTFT8Xp-.js', '_astro/widgets.abc.js', 'en/sandbox-worker.js', '_astro/x/sandbox-worker.js'])).toEqual(['_astro/sandbox-worker-DTFT8Xp-.js']);
});

test('a bundle that names the worker script gets it as a string; others are left alone', () => {
  const workers = new Map([['_astro/sandbox-worker-A.js', '(function(){self.onmessage=()=>{"</script>"}})();\n']]);
  const code = 'function Xr(e){return new Worker(`/_astro/sandbox-worker-A.js`,{name:e?.name})}';
  const out = embedSandboxWorker(code, workers);
  expect(out.endsWith(code)).toBe(true);
  const g: { TCP_LAB_SANDBOX_WORKER?: string } = {};
  new Function('globalThis', out.slice(0, out.length - code.length))(g);
  expect(g.TCP_LAB_SANDBOX_WORKER).toBe(workers.get('_astro/sandbox-worker-A.js'));
  expect(embedSandboxWorker('console.log(1)', workers)).toBe('console.log(1)');
});

test('the offline CSP allows workers from blob: URLs only', () => {
  const html = `<meta http-equiv="Content-Security-Policy" content="default-src 'self'">`;
  expect(offlineCsp(html)).toContain('worker-src blob:;');
});
