/**
 * The recorder runs contributed experiments as root on the recording machine, so it must refuse
 * hostile ones before starting anything, run what it accepts as an unprivileged user, write
 * nothing outside --out, and signal no process it did not start.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentText } from '../helpers/experiment.ts';
import { parseExperiment } from '../../src/experiment/parse.ts';
import type { Experiment } from '../../src/experiment/types.ts';
import { preflight, recordExperiment, validateForRecording } from '../../src/recorder/record.ts';

const experiment = (steps: string, extra = ''): string => experimentText(steps, { extra, id: 'hostile', blocks: '' });

describe('refused before anything starts', () => {
  // the parser and the recorder hold the same grammar; the recorder checks again on its own,
  // so an Experiment built by other code than the parser cannot slip past it either
  const forged = (line: string): Experiment => {
    const exp = parseExperiment(experiment('0.1 a $ true'), 'x/experiment.md');
    exp.steps[0].action = { kind: 'command', line };
    return exp;
  };
  it.each([
    ['ss $(id > /tmp/x)', 'x/experiment.md:13:12: expansions'],
    ['ss | grep -v x && id > /tmp/y', 'x/experiment.md:13:24: `&&` lists'],
    ['tcpdump -i lo -w ../../../../../tmp/escaped.pcap', 'x/experiment.md:13:26: bad capture file'],
    ['tcpdump -i lo -w capture.pcap', "x/experiment.md:13:7: capture file capture.pcap would overwrite the recorder's own output"],
    ['bash -c id', 'x/experiment.md:13:9: unknown command `bash`'],
  ])('%s', (line, message) => {
    expect(() => validateForRecording(forged(line))).toThrow(message);
  });
  it('the parser refuses the same lines, at the same place', () => {
    expect(() => parseExperiment(experiment('0.1 a $ ss | grep -v x && id > /tmp/y'), 'x/experiment.md')).toThrow('x/experiment.md:13:24: `&&` lists are not modelled');
  });
  it('a sysctl the recorder may not set', () => {
    const exp = parseExperiment(experiment('0.1 a $ true'), 'x/experiment.md');
    expect(() => validateForRecording(exp, { 'kernel.core_pattern': '|/tmp/x' })).toThrow('sysctl kernel.core_pattern is not one the recorder may set');
    expect(() => validateForRecording(exp, { 'net.ipv4.tcp_fin_timeout': '5; id' })).toThrow('expected integers');
  });
});

// a real recording: root, network namespaces, nc/ss/tcpdump/tshark/setpriv (CI has them)
const canRecord = preflight().length === 0;

describe.skipIf(!canRecord)('a recording on this machine', () => {
  it('runs programs as nobody, expands nothing, writes captures into --out only, and kills only its own processes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tcplab-safety-'));
    const canary = join(tmpdir(), `tcplab-pwned-${process.pid}`);
    try {
      const steps = [
        '0.2 a $ nc -l 12345',
        '0.3 b $ tcpdump -i lo -w mine.pcap',
        // quoted: bash must pass it to grep as text, never run it
        `0.8 b ^C`,
        `1.0 b $ ss -nat | grep '$(touch ${canary})'`,
        '1.3 b $ kill -9 1',
      ].join('\n');
      const exp = parseExperiment(experiment(steps, 'inputs: { tailNs: 500000000 }\n'), 'hostile/experiment.md');
      const rec = await recordExperiment(exp, { outDir: out, sysctl: {} });
      expect(existsSync(canary)).toBe(false);
      // the listener still ran at the end: its real uid was nobody's
      const nc = rec.processes.find((p) => p.cmd === 'nc -l 12345')!;
      expect(nc.killedAtEnd).toBe(true);
      expect(nc.uid).toBe(65534);
      // tcpdump wrote its file in the scratch folder; the recorder copied it into --out
      expect(statSync(join(out, 'mine.pcap')).size).toBeGreaterThan(0);
      expect(readdirSync(out).sort()).toEqual(expect.arrayContaining(['capture.pcap', 'mine.pcap', 'recording.json']));
      // pid 1 is not the experiment's: bash's message, and nothing signalled
      expect(readFileSync(join(out, 'terminal-b.txt'), 'utf8')).toContain('bash: kill: (1) - No such process');
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(canary, { force: true });
    }
  }, 30_000);
});
