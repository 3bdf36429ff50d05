/**
 * Probes: small packetdrill scripts in probes/, each pinning down one kernel behaviour the
 * model implements (the header of each names the kernel function and version). Every probe
 * passed on a real kernel (`npm run packetdrill:real -- --probes` writes
 * reports/packetdrill-real-probes-linux-<release>.tsv, read here) and must pass on the model:
 * the same text is the expected side of both checks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runSuiteScript } from '../../src/packetdrill/suite.ts';
import { parseVerdicts } from '../../src/packetdrill/run.ts';
import { haveSelftests, loadSelftests } from '../../scripts/packetdrill-suite.ts';

const DIR = new URL('probes/', import.meta.url);
const REPORTS = new URL('../../reports/', import.meta.url);
const probes = readdirSync(DIR).filter((f) => f.endsWith('.pkt')).sort();

describe.skipIf(!haveSelftests())('probes: kernel behaviours checked on Linux and on the model', () => {
  const { defaultsSh } = loadSelftests();
  const realFile = readdirSync(REPORTS).find((f) => /^packetdrill-real-probes-linux-.*\.tsv$/.test(f));
  const real = realFile ? parseVerdicts(readFileSync(new URL(realFile, REPORTS), 'utf8').replace(/^#.*\n/gm, '')) : new Map();

  it('every probe names the kernel function it checks and passed on the real kernel', () => {
    expect(realFile, 'run npm run packetdrill:real -- --probes').toBeTruthy();
    for (const p of probes) {
      expect(readFileSync(new URL(p, DIR), 'utf8'), p).toMatch(/^\/\/ \w+\(.*\((net|fs)\/[\w/]+\.c, Linux \d/);
      expect(real.get(p), `${p} on ${realFile}`).toBe('pass');
    }
  });

  it.each(probes)('%s passes on the model', (p) => {
    const v = runSuiteScript({ name: p, text: readFileSync(new URL(p, DIR), 'utf8') }, { defaultsSh });
    expect(v.reason).toBe('');
    expect(v.outcome).toBe('pass');
  });
});

// the directory exists in every checkout, the probes with it
it('probes/ holds the probes', () => {
  expect(existsSync(DIR)).toBe(true);
  expect(probes.length).toBeGreaterThan(0);
});

describe.skipIf(!haveSelftests())('the same probes on linux-4.4, where the kernel differs', () => {
  const { defaultsSh } = loadSelftests();
  const run = (p: string) => runSuiteScript({ name: p, text: readFileSync(new URL(p, DIR), 'utf8') }, { defaultsSh, profile: 'linux-4.4' });
  it('tcp_ack() of 4.4 bounds old ACKs by max_window alone (no 3d501dd326fb): no challenge ACK where 6.18 sends one', () => {
    expect(run('tcp_ack-old-ack-bytes-acked.pkt')).toMatchObject({ outcome: 'fail', line: 19, reason: 'line 19: error handling packet: Timed out waiting for packet (script: . 1001:1001(0) ack 1)' });
  });
  it('tcp_check_req() of 4.4 checks the ACK before the RST: an exact RST|ACK with a bad ACK leaves the request alive', () => {
    const v = run('tcp_check_req-rst-exact-bad-ack.pkt');
    expect(v).toMatchObject({ outcome: 'fail', line: 13 });
    expect(v.reason).toBe('line 13: error handling packet: Timed out waiting for packet (script: R 1:1(0))');
  });
});
