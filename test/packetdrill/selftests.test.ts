/**
 * The Linux kernel's own packetdrill selftests (../shared/peer-suites), run on the model: every
 * script gives pass, fail or skip (nothing throws), and a script that passes on Linux 6.18 and
 * passed on the model before keeps passing. `packetdrill-passing.txt` beside this file only
 * grows: add a script to it when the model starts passing it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KSFT_IPV4_DEFINES, parseScript } from '../../src/packetdrill/parse.ts';
import { parseVerdicts, runScript, type Verdict } from '../../src/packetdrill/run.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const SUITES = resolve(HERE, '../../../shared/peer-suites');
const SUITE = join(SUITES, 'linux-selftests-packetdrill');
const VERDICTS = join(SUITES, 'linux-selftests-packetdrill.verdicts-linux-6.18.44-ipv4.tsv');

describe.skipIf(!existsSync(SUITE))('the kernel\'s packetdrill selftests on the model (linux-6.x)', () => {
  const defaultsSh = readFileSync(join(SUITE, 'defaults.sh'), 'utf8');
  const scripts = readdirSync(SUITE).filter((f) => f.endsWith('.pkt')).sort();
  const verdicts = new Map<string, Verdict['outcome'] | 'thrown'>();
  for (const name of scripts) {
    try {
      const script = parseScript(readFileSync(join(SUITE, name), 'utf8'), name, { defines: KSFT_IPV4_DEFINES });
      verdicts.set(name, runScript(script, { profile: 'linux-6.x', defaultsSh }).outcome);
    } catch {
      verdicts.set(name, 'thrown');
    }
  }
  const real = parseVerdicts(readFileSync(VERDICTS, 'utf8'));

  it('every script gives pass, fail or skip; nothing throws', () => {
    expect(scripts.length).toBe(160);
    expect(real.size).toBe(160);
    expect([...verdicts].filter(([, v]) => v === 'thrown').map(([n]) => n)).toEqual([]);
    const n = (o: string) => [...verdicts.values()].filter((v) => v === o).length;
    const agree = [...verdicts].filter(([s, v]) => real.get(s) === v).length;
    console.log(`packetdrill: ${agree}/${real.size} scripts agree with Linux 6.18 (${n('pass')} pass, ${n('fail')} fail, ${n('skip')} skip)`);
  });

  it('no script of the passing list stops passing (the list only grows)', () => {
    const passing = readFileSync(join(HERE, 'packetdrill-passing.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(passing.length).toBeGreaterThan(0);
    for (const s of passing) {
      expect(real.get(s), `${s} passes on Linux 6.18`).toBe('pass');
      expect(verdicts.get(s), s).toBe('pass');
    }
  });
});
