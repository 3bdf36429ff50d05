/**
 * Simulator-vs-kernel conformance over every committed real-kernel recording (and, in CI, the
 * recordings CI just made on its own kernel in .ci-recordings/<experiment>/).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { parseSsRows } from '../../src/experiment/conformance.ts';
import { compressExperiment } from '../../src/experiment/compress.ts';
import { checkRecording, knownDisagreements, recordingKey, sortDisagreements } from '../../scripts/lib/conformance.ts';

const experiments = readdirSync('content/experiments').filter((d) => existsSync(`content/experiments/${d}/experiment.md`));
const load = (id: string) => {
  const f = `content/experiments/${id}/experiment.md`;
  return parseExperiment(readFileSync(f, 'utf8'), f);
};
const recordings: { id: string; dir: string }[] = [];
for (const id of experiments) {
  const rd = `content/experiments/${id}/recorded`;
  if (existsSync(rd)) for (const d of readdirSync(rd)) if (existsSync(join(rd, d, 'recording.json'))) recordings.push({ id, dir: join(rd, d) });
  if (existsSync(`.ci-recordings/${id}/recording.json`)) recordings.push({ id, dir: `.ci-recordings/${id}` });
}

describe('conformance with real kernels', () => {
  it('there are recordings to compare with', () => {
    expect(recordings.length).toBeGreaterThanOrEqual(2);
  });
  // disagreements that are chance named by the experiment, or behaviour the model lacks yet:
  // the list only shrinks (a listed check that now agrees fails too)
  const known = knownDisagreements(process.cwd());
  for (const { id, dir } of recordings) {
    it(`${id} vs ${dir}`, () => {
      const { checks, profile } = checkRecording(load(id), dir);
      const bad = checks.filter((c) => !c.ok);
      console.log(`${id} (${dir}, model ${profile}): ${checks.length - bad.length}/${checks.length} checks agree`);
      const sorted = sortDisagreements(checks, dir.startsWith('content/') ? known[recordingKey(process.cwd(), join(process.cwd(), dir))] : {});
      expect(sorted.unknown.map((c) => `${c.name}: expected ${c.expected}, model gave ${c.actual} [${c.ref}]`)).toEqual([]);
      expect(sorted.fixed.map((n) => `${n}: agrees now, take it out of content/experiments/known-disagreements.json`)).toEqual([]);
      expect(checks.filter((c) => c.kind === 'packet').length).toBeGreaterThan(0);
    }, 60_000);
  }
  if (process.env.CI) {
    it('CI recorded the seed experiments on its own kernel', () => {
      for (const id of ['seed-collision', 'seed-recvq']) expect(existsSync(`.ci-recordings/${id}/recording.json`), id).toBe(true);
    });
  }
});

describe('the conformance check itself', () => {
  const rec = JSON.parse(readFileSync('content/experiments/seed-collision/recorded/linux-6.18/recording.json', 'utf8'));
  it('notices when the kernel did something else: a tampered recording disagrees at that packet', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcp-lab-rec-'));
    try {
      // the RST (packet 8) turned into a plain ACK, and the ss snapshots from the 50th on with
      // Recv-Q 3 (some of them, taken while a packet passed, are not compared)
      const packets = rec.packets.map((p: { flags: string }, i: number) => (i === 7 ? { ...p, flags: '·······A····' } : p));
      const samples = rec.samples.map((s: { text: string }, i: number) => (i >= 50 ? { ...s, text: s.text.replace(/^LISTEN (\d)/m, 'LISTEN 3') } : s));
      writeFileSync(join(dir, 'recording.json'), JSON.stringify({ ...rec, packets, samples }));
      const { checks } = checkRecording(load('seed-collision'), dir);
      const bad = checks.filter((c) => !c.ok).map((c) => c.name);
      expect(bad).toContain('packet 8');
      expect(bad.some((n) => n.startsWith('ss snapshot'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('checks each gap against the previous packet of the same connection: a late retransmission disagrees, a client that started later does not', () => {
    const backoff = JSON.parse(readFileSync('content/experiments/syn-backoff/recorded/linux-6.18/recording.json', 'utf8'));
    const c3 = backoff.packets[6].sport; // the third client's first SYN
    const check = (packets: unknown[]) => {
      const dir = mkdtempSync(join(tmpdir(), 'tcp-lab-rec-'));
      try {
        writeFileSync(join(dir, 'recording.json'), JSON.stringify({ ...backoff, packets }));
        return checkRecording(load('syn-backoff'), dir).checks.filter((c) => !c.ok).map((c) => c.name);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    // the third client's program started 20 ms later: every packet of its connection moves
    const later = backoff.packets.map((p: { sport: number; t: number }) => (p.sport === c3 ? { ...p, t: p.t + 0.02 } : p));
    expect(check(later)).toEqual([]);
    // its second SYN left 300 ms late: that gap, and the next one, are wrong
    const late = backoff.packets.map((p: { t: number }, i: number) => (i === 7 ? { ...p, t: p.t + 0.3 } : p));
    expect(check(late)).toEqual(['gap before packet 8 (since packet 7)', 'gap before packet 9 (since packet 8)']);
  });
  it('parses both ss layouts into rows', () => {
    expect(parseSsRows('LISTEN     2      1            *:12345                    *:*                   users:(("nc",pid=1,fd=3))\nFIN-WAIT-2 0      0          127.0.0.1:57634    127.0.0.1:12345 timer:(timewait,59sec,0)     ')).toEqual([
      { state: 'LISTEN', rq: 2, wq: 1, local: '*', lport: '12345', peer: '*', pport: '*', timer: '' },
      { state: 'FIN-WAIT-2', rq: 0, wq: 0, local: '127.0.0.1', lport: '57634', peer: '127.0.0.1', pport: '12345', timer: 'timewait' },
    ]);
  });
  it('compressing an experiment caps every idle gap and keeps the order', () => {
    const e = compressExperiment(load('seed-collision'), 8e9);
    const gaps = e.steps.slice(1).map((s, i) => s.at - e.steps[i].at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(8e9);
    expect(gaps.every((g) => g >= 0)).toBe(true);
  });
});

describe('npm run record', () => {
  it('stops at once, naming what is missing, when the tools are not there', () => {
    let out = '';
    let code = 0;
    try {
      execFileSync(process.execPath, ['scripts/record.ts', 'content/experiments/closed-port/experiment.md'], { env: { PATH: '/nonexistent' }, stdio: 'pipe' });
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      code = err.status;
      out = err.stderr.toString();
    }
    expect(code).toBe(2);
    expect(out).toMatch(/cannot record on this machine; missing:/);
    expect(out).toMatch(/`tcpdump` program/);
  });
});

