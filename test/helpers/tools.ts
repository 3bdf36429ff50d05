/**
 * Finding and running the real tools (tshark, tcpdump) in tests.
 *
 * A missing tool skips the test with a clear reason, except under CI (process.env.CI set),
 * where a missing tool is a failure: CI must exercise the real-tool conformance tests.
 */
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { it } from 'vitest';

/** Absolute path of an executable on PATH (plus /usr/sbin, /sbin), or null. */
export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

/**
 * `it` for a test that needs the given tools: skipped (with the reason in the title) when one
 * is missing, unless CI is set, in which case the test runs and fails with a clear message.
 */
export function itWithTools(tools: string[], title: string, fn: (paths: Record<string, string>) => void | Promise<void>, timeout?: number): void {
  const missing = tools.filter((t) => findTool(t) === null);
  if (missing.length && !process.env.CI) {
    it.skip(`${title} [skipped: ${missing.join(', ')} not installed]`, () => {});
    return;
  }
  it(title, async () => {
    if (missing.length) throw new Error(`required tool(s) not installed: ${missing.join(', ')} (CI is set, so this is a failure)`);
    const paths: Record<string, string> = {};
    for (const t of tools) paths[t] = findTool(t) as string;
    await fn(paths);
  }, timeout);
}

/** Run a tool and return its stdout (stderr is discarded unless it fails). */
export function runTool(path: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync(path, args, {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Write bytes to a fresh temp file, run fn(path), then remove the directory. */
export function withTempFile<T>(name: string, bytes: Uint8Array, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tcp-lab-'));
  try {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return fn(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `tshark -r FILE` with the project's fixed settings. */
export function tsharkRead(tshark: string, file: string, extra: string[] = []): string {
  return runTool(tshark, ['-r', file, '-o', 'tcp.relative_sequence_numbers:TRUE', ...extra], { TZ: 'UTC' });
}

/** `tcpdump -nn -r FILE` in UTC. */
export function tcpdumpRead(tcpdump: string, file: string, extra: string[] = []): string {
  return runTool(tcpdump, ['-nn', '-r', file, ...extra], { TZ: 'UTC' });
}
