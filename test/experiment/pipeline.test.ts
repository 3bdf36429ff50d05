/**
 * The pipeline end to end: the seed experiments reproduce every recorded block; a wrong kernel
 * rule (the accept queue's `>` turned into `>=`) breaks them with a readable diff; committed
 * generated blocks equal what the model produces now.
 */
import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { matchTranscript } from '../../src/experiment/match.ts';
import type { TcpSock } from '../../src/model/sock.ts';

/** A wrong rule to swap in for sk_acceptq_is_full() while a test runs (null: the model's own). */
const wrongRule = vi.hoisted(() => ({ skAcceptqIsFull: null as ((sk: TcpSock) => boolean) | null }));
vi.mock('../../src/model/sock.ts', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/model/sock.ts')>();
  return { ...orig, skAcceptqIsFull: (sk: TcpSock) => (wrongRule.skAcceptqIsFull ?? orig.skAcceptqIsFull)(sk) };
});

const load = (id: string) => {
  const f = `content/experiments/${id}/experiment.md`;
  return parseExperiment(readFileSync(f, 'utf8'), f);
};

function fidelity(id: string, profile: 'linux-4.4' | 'linux-6.x') {
  const exp = load(id);
  const res = runExperiment(exp, profile);
  const out: { name: string; ok: boolean; diff?: string }[] = [];
  for (const set of exp.recorded.filter((s) => s.profile === profile))
    for (const b of set.blocks) {
      const expected = readFileSync(join(dirname(exp.file), set.dir, b.file), 'utf8');
      out.push({ name: b.name, ...matchTranscript(expected, res.blocks.get(b.name) ?? '', b.options) });
    }
  return { res, out };
}

describe('seed experiments under linux-4.4 reproduce the 17 blocks of the 2016 note', () => {
  it('seed-collision: 9/9, including the Wireshark frames 6–10 numbers', () => {
    const { res, out } = fidelity('seed-collision', 'linux-4.4');
    expect(out.filter((o) => !o.ok).map((o) => o.diff)).toEqual([]);
    expect(out).toHaveLength(9);
    const ws = res.blocks.get('wireshark-frames')!;
    for (const s of ['Ack: 750470055', 'Seq: 3560068409', 'The RTO for this segment was: 0.996552000 seconds', 'The RTO for this segment was: 0.996579000 seconds', 'iRTT: 0.000008000 seconds', 'The RTT to ACK the segment was: 0.000019000 seconds'])
      expect(ws).toContain(s);
  });
  it('seed-recvq: 8/8', () => {
    const { out } = fidelity('seed-recvq', 'linux-4.4');
    expect(out.filter((o) => !o.ok).map((o) => o.diff)).toEqual([]);
    expect(out).toHaveLength(8);
  });
});

describe('a wrong kernel rule is caught', () => {
  it('sk_acceptq_is_full with `>=` (backlog 1 holds 1) fails seed-recvq with a readable diff', () => {
    wrongRule.skAcceptqIsFull = (sk) => sk.acceptQueue.length >= sk.maxAckBacklog;
    try {
      const { out } = fidelity('seed-recvq', 'linux-4.4');
      const bad = out.find((o) => o.name === 'watch-two')!;
      expect(bad.ok).toBe(false);
      expect(bad.diff).toMatch(/^-LISTEN {5}2 {6}1/m);
      expect(bad.diff).toMatch(/^\+LISTEN {5}1 {6}1/m);
    } finally {
      wrongRule.skAcceptqIsFull = null;
    }
  });
});

describe('linux-6.x against the shared Linux 6.18 recording', () => {
  it('seed-collision matches every excerpt after redaction', () => {
    const { out } = fidelity('seed-collision', 'linux-6.x');
    expect(out.filter((o) => !o.ok).map((o) => o.diff)).toEqual([]);
    expect(out.map((o) => o.name)).toContain('tcpdump-text');
  });
});

describe('drift', () => {
  it('committed generated blocks equal what the model produces now', () => {
    for (const id of ['seed-collision', 'seed-recvq']) {
      const exp = load(id);
      for (const p of exp.profiles) {
        const res = runExperiment(exp, p);
        for (const [name, text] of res.blocks)
          expect(readFileSync(`content/experiments/${id}/generated/${p}/${name}.txt`, 'utf8'), `${id}/${p}/${name}`).toBe(text);
      }
    }
  });
});
