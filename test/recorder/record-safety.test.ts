/**
 * The recorder runs contributed experiments as root on the recording machine, so it must refuse
 * hostile ones before starting anything, run what it accepts in a real bash as an unprivileged
 * user, write nothing outside --out, let no typed text the grammar refuses reach bash, and signal
 * no process it did not start.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentText } from '../helpers/experiment.ts';
import { parseExperiment } from '../../src/experiment/parse.ts';
import type { Experiment } from '../../src/experiment/types.ts';
import { allowCongestionControl, allowedWith, preflight, recordExperiment, validateForRecording } from '../../src/recorder/record.ts';

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
  it('typed text with a control character in it (it would be a key)', () => {
    const exp = parseExperiment(experiment('0.1 a > hello'), 'x/experiment.md');
    exp.steps[0].action = { kind: 'type', line: 'hel\x03lo' };
    expect(() => validateForRecording(exp)).toThrow('x/experiment.md:13:12: control character U+0003 in typed text');
  });
  it('the parser refuses the same lines, at the same place', () => {
    expect(() => parseExperiment(experiment('0.1 a $ ss | grep -v x && id > /tmp/y'), 'x/experiment.md')).toThrow('x/experiment.md:13:24: `&&` lists are not modelled');
  });
  it('a host name that would be code in a prompt', () => {
    const exp = parseExperiment(experiment('0.1 a $ true'), 'x/experiment.md');
    exp.host = { hostname: '$(id)', user: 'root' };
    expect(() => validateForRecording(exp)).toThrow('host.hostname "$(id)" cannot be recorded');
  });
  it('a sysctl the recorder may not set', () => {
    const exp = parseExperiment(experiment('0.1 a $ true'), 'x/experiment.md');
    expect(() => validateForRecording(exp, { 'kernel.core_pattern': '|/tmp/x' })).toThrow('sysctl kernel.core_pattern is not one the recorder may set');
    expect(() => validateForRecording(exp, { 'net.ipv4.tcp_fin_timeout': '5; id' })).toThrow('expected integers');
  });
});

// tcp_cong.c: a netns may set net.ipv4.tcp_congestion_control only to one the global
// tcp_allowed_congestion_control lists (tcp_set_default_congestion_control() -> EPERM); this host
// allows "reno bbr" and defaults to bbr, the model runs cubic
describe('the congestion control of a recording (cubic, as the model)', () => {
  const sysctl = (value: string) => {
    const writes: string[] = [];
    let v = value;
    return { writes, io: { read: () => `${v}\n`, write: (x: string) => { writes.push(x); v = x; } }, now: () => v };
  };
  it('adds cubic to the allowed list for the run and writes back the exact previous value once', () => {
    const s = sysctl('reno bbr');
    const restore = allowCongestionControl('cubic', s.io);
    expect(s.now()).toBe('reno bbr cubic');
    restore();
    restore();
    expect(s.writes).toEqual(['reno bbr cubic', 'reno bbr']);
  });
  it('changes nothing when cubic is allowed already', () => {
    const s = sysctl('reno cubic');
    allowCongestionControl('cubic', s.io)();
    expect(s.writes).toEqual([]);
    expect(allowedWith('cubic reno', 'cubic')).toBe('cubic reno');
  });
});

// a real recording: root, network namespaces, nc/ss/tcpdump/tshark/setpriv (CI has them)
const canRecord = preflight().length === 0;

describe.skipIf(!canRecord)('a recording on this machine', () => {
  const record = async (steps: string, body: (out: string, exp: Experiment) => Promise<void>, tailNs = 300_000_000) => {
    const out = mkdtempSync(join(tmpdir(), 'tcplab-safety-'));
    try {
      await body(out, parseExperiment(experiment(steps, `inputs: { tailNs: ${tailNs} }\n`), 'hostile/experiment.md'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  };

  it('runs a real bash as nobody, expands nothing, writes captures into --out only, and signals nothing outside the experiment', async () => {
    const canary = join(tmpdir(), `tcplab-pwned-${process.pid}`);
    // a process of the same unprivileged user outside the experiment: bash must not reach it
    const bystander = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sleep', '60'], { stdio: 'ignore' });
    try {
      const steps = [
        '0.2 a $ nc -l 12345',
        '0.3 b $ tcpdump -i lo -w mine.pcap',
        // quoted: bash must pass it to grep as text, never run it
        `0.8 b ^C`,
        `1.0 b $ ss -nat | grep '$(touch ${canary})'`,
        `1.2 b $ kill -9 ${bystander.pid}`,
        '1.3 a ^Z',
        // typed into the foreground nc: text for its peer, never a command
        `1.4 b $ nc localhost 12346 &`,
      ].join('\n');
      await record(steps, async (out, exp) => {
        const allowed = readFileSync('/proc/sys/net/ipv4/tcp_allowed_congestion_control', 'utf8');
        const rec = await recordExperiment(exp, { outDir: out, sysctl: {} });
        // the model's congestion control, whatever the host's default; the host's list as it was
        expect(rec.congestionControl).toBe('cubic');
        expect(rec.sysctls['net.ipv4.tcp_congestion_control']).toBe('cubic');
        expect(readFileSync('/proc/sys/net/ipv4/tcp_allowed_congestion_control', 'utf8')).toBe(allowed);
        expect(existsSync(canary)).toBe(false);
        expect(bystander.exitCode === null && bystander.signalCode === null).toBe(true);
        // the listener still existed at the end (stopped): its real uid was nobody's
        const nc = rec.processes.find((p) => p.cmd === 'nc -l 12345')!;
        expect(nc.killedAtEnd).toBe(true);
        expect(nc.uid).toBe(65534);
        // tcpdump wrote its file in the scratch folder; the recorder copied it into --out
        expect(statSync(join(out, 'mine.pcap')).size).toBeGreaterThan(0);
        expect(readdirSync(out).sort()).toEqual(expect.arrayContaining(['capture.pcap', 'mine.pcap', 'recording.json']));
        const a = readFileSync(join(out, 'terminal-a.txt'), 'utf8');
        const b = readFileSync(join(out, 'terminal-b.txt'), 'utf8');
        // bash's own prompt and job control: the ^Z is the tty's, the notice bash's
        expect(a).toBe('[#1#root@box ~]$nc -l 12345\n^Z\n[1]+  Stopped                 nc -l 12345\n[#2#root@box ~]$');
        // the bystander is outside the experiment's pid namespace
        expect(b).toContain(`bash: kill: (${bystander.pid}) - No such process`);
        // `&` is bash's: a job number and the pid in the namespace; refused connection noticed
        expect(b).toMatch(/\[1\] \d+\n/);
        const bg = rec.processes.find((p) => p.cmd === 'nc localhost 12346');
        expect(bg, JSON.stringify(rec.processes)).toBeDefined();
        expect(bg!.exit).toEqual({ code: 1, signal: null });
      });
    } finally {
      bystander.kill('SIGKILL');
      rmSync(canary, { force: true });
    }
  }, 30_000);

  it('types text into the foreground program, never into bash', async () => {
    const canary = join(tmpdir(), `tcplab-typed-${process.pid}`);
    await record(['0.2 a $ nc -l 12345', '0.4 b $ nc localhost 12345', `0.6 b > hello $(touch ${canary})`].join('\n'), async (out, exp) => {
      await recordExperiment(exp, { outDir: out, sysctl: {} });
      expect(readFileSync(join(out, 'terminal-a.txt'), 'utf8')).toBe(`[#1#root@box ~]$nc -l 12345\nhello $(touch ${canary})\n`);
      expect(existsSync(canary)).toBe(false);
    });
    // bash reads the terminal: the text would be a command line the grammar refuses
    await record(['0.2 a $ true', `0.4 a > hello $(touch ${canary})`].join('\n'), async (out, exp) => {
      await expect(recordExperiment(exp, { outDir: out, sysctl: {} })).rejects.toThrow(/^hostile\/experiment\.md:15:15: bash is reading terminal a .*expansions/);
      expect(existsSync(canary)).toBe(false);
    });
    // the foreground program ends without reading it: bash must not get it either
    await record(['0.2 a $ sleep 0.4', '0.3 a > hello'].join('\n'), async (out, exp) => {
      await expect(recordExperiment(exp, { outDir: out, sysctl: {} })).rejects.toThrow(/^hostile\/experiment\.md:15:9: the typed text was not read by the foreground program of terminal a, which stopped or ended first; bash would have read it as a command line, and the grammar refuses it \(unknown command/);
    }, 1_000_000_000);
    rmSync(canary, { force: true });
  }, 30_000);
});
