/**
 * npm run report serves the built site from a process of its own (scripts/lib/serve-process.ts
 * running scripts/serve.ts): it answers on the URL it prints, under the base path, gzip-encoded
 * for a client that accepts it when asked to compress, and stop() ends the process.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { get } from 'node:http';
import { afterAll, describe, expect, test } from 'vitest';
import { startServerProcess } from '../../scripts/lib/serve-process.ts';

const root = mkdtempSync(join(tmpdir(), 'tcp-lab-serve-'));
mkdirSync(join(root, 'en'));
const page = `<!doctype html><title>t</title><p>${'collision '.repeat(200)}</p>`;
writeFileSync(join(root, 'en', 'index.html'), page);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** GET url with the given request headers: status, headers and the raw body. */
function fetchRaw(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** Whether a process with this pid still exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the report\'s server process', () => {
  test('serves the site under its base path, gzip-encoded when asked, in another process, until stopped', async () => {
    const s = await startServerProcess({ root, base: '/tcp-lab/', compress: true });
    try {
      expect(s.pid).not.toBe(process.pid);
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/tcp-lab\/$/);
      const gz = await fetchRaw(`${s.url}en/`, { 'accept-encoding': 'gzip' });
      expect(gz.status).toBe(200);
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).toString('utf8')).toBe(page);
      const plain = await fetchRaw(`${s.url}en/`);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.toString('utf8')).toBe(page);
      expect((await fetchRaw(s.url.replace('/tcp-lab/', '/elsewhere/'))).status).toBe(404);
    } finally {
      s.stop();
    }
    for (let i = 0; i < 50 && alive(s.pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(s.pid)).toBe(false);
  });

  test('a server that cannot start is an error naming why, not a hang', async () => {
    await expect(startServerProcess({ root: join(root, 'missing'), base: '/', compress: false, timeoutMs: 5000 })).rejects.toThrow(/exited \(1\) before serving: tcp-lab: .*missing is not a directory of the built site/);
  });

  test('--help prints the usage and serves nothing; an unknown option is an error with the usage', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = join(import.meta.dirname, '../../scripts/serve.ts');
    const help = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8', timeout: 10_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: node scripts\/serve\.ts \[DIR=dist\] \[PORT=4321\] \[--gzip\]/);
    expect(help.stdout).not.toMatch(/serving/);
    const bad = spawnSync(process.execPath, [script, '--port', '80'], { encoding: 'utf8', timeout: 10_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown option --port\nusage:/);
  });
});
