/**
 * Hostile and careless experiment files (issue 13): every class the fuzzing found is refused
 * with the `file:line:col: message` a contributor sees, as the kernel would refuse the value;
 * recorded paths stay inside the experiment's folder after symlinks, in the parser, the loader
 * and the site's reader.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExperimentError, parseExperiment, type RecordedPathStatus } from '../../src/experiment/parse.ts';
import { LINUX_4_4, LINUX_6_X, SysctlError, withOverrides } from '../../src/model/profiles.ts';
import { sysctlWrite } from '../../src/model/sysctl_net_ipv4.ts';
import { loadExperiment } from '../../scripts/lib/experiments.ts';
import { loadTranscript } from '../../src/site/transcripts.ts';

const BASE = `---
id: demo
title: { en: Demo, zh-CN: 演示 }
profile: linux-4.4
seed: 1
host: { hostname: box, user: root }
sysctl:
  net.ipv4.tcp_fin_timeout: 5
inputs:
  bootNs: 20000000000
terminals:
  a: { history: 10 }
recorded:
  - dir: rec
    profile: linux-4.4
    provenance: { kernel: "4.4" }
    blocks:
      one: one.txt
---

\`\`\`steps
1.000   a        $ nc -l 12345   {pid=100}   #listen
+1      a        ^Z              #stop
2.5     a        $ nc -p 40000 localhost 12345   {port=40000}
\`\`\`

\`\`\`blocks
one   terminal a from before listen to after stop
\`\`\`
`;

const recordedPath = (p: string): RecordedPathStatus => (p === 'rec/one.txt' ? 'ok' : 'missing');
const parse = (text: string) => parseExperiment(text, 'x/experiment.md', { recordedPath });

/** The message of parsing BASE with `from` replaced by `to` (which must apply and must fail). */
function error(from: string | RegExp, to: string, base = BASE): string {
  const text = base.replace(from, to);
  expect(text, `mutation ${String(from)} did not apply`).not.toBe(base);
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentError);
    return (e as Error).message;
  }
  throw new Error(`no error for ${String(from)} -> ${to}`);
}
const ok = (from: string | RegExp, to: string) => parse(BASE.replace(from, to));
const sysctl = (line: string, profiles = '') => error('  net.ipv4.tcp_fin_timeout: 5', line + profiles);

describe('sysctls as the kernel proc handlers validate them', () => {
  it('the base file parses', () => expect(parse(BASE).sysctl).toEqual({ 'net.ipv4.tcp_fin_timeout': 5 }));

  it('tcp_fin_timeout: proc_dointvec_jiffies takes any int number of seconds that fits in jiffies (|v| <= INT_MAX / HZ)', () => {
    expect(sysctl('  net.ipv4.tcp_fin_timeout: 8589935')).toBe(
      'x/experiment.md:8:29: net.ipv4.tcp_fin_timeout: 8589935 is out of range, expected seconds within -8589934..8589934 (INT_MAX / HZ, HZ=250) (proc_dointvec_jiffies in net/ipv4/sysctl_net_ipv4.c on linux-4.4)',
    );
    // the kernel stores -5 * HZ; tcp_fin_time() then uses 3.5 RTO (the model does the same)
    expect(ok('tcp_fin_timeout: 5', 'tcp_fin_timeout: -5').sysctl['net.ipv4.tcp_fin_timeout']).toBe(-5);
    expect(ok('tcp_fin_timeout: 5', 'tcp_fin_timeout: 8589934').sysctl['net.ipv4.tcp_fin_timeout']).toBe(8589934);
  });

  it('somaxconn: an int on 4.4 (proc_dointvec), 0..INT_MAX on 6.x (proc_dointvec_minmax, extra1 = SYSCTL_ZERO)', () => {
    expect(sysctl('  net.core.somaxconn: 2147483648')).toBe(
      'x/experiment.md:8:23: net.core.somaxconn: 2147483648 is out of range, expected an int, -2147483648..2147483647 (proc_dointvec in net/core/sysctl_net_core.c on linux-4.4)',
    );
    expect(ok('  net.ipv4.tcp_fin_timeout: 5', '  net.core.somaxconn: -1').sysctl['net.core.somaxconn']).toBe(-1);
    expect(sysctl('  net.core.somaxconn: -1', '\nprofiles: [linux-4.4, linux-6.x]')).toBe(
      'x/experiment.md:8:23: net.core.somaxconn: -1 is out of range, expected 0..2147483647, extra1 = SYSCTL_ZERO (proc_dointvec_minmax in net/core/sysctl_net_core.c on linux-6.x)',
    );
  });

  it('tcp_retries2: an int on 4.4 (proc_dointvec), 0..255 on 6.x (proc_dou8vec_minmax: 6.18.44 refuses 256 and -1 with EINVAL)', () => {
    const six = '\nprofiles: [linux-4.4, linux-6.x]';
    expect(ok('  net.ipv4.tcp_fin_timeout: 5', '  net.ipv4.tcp_retries2: 6' + six).sysctl['net.ipv4.tcp_retries2']).toBe(6);
    expect(sysctl('  net.ipv4.tcp_retries2: 256', six)).toBe(
      'x/experiment.md:8:26: net.ipv4.tcp_retries2: 256 is out of range, expected 0..255, no extra1/extra2 (proc_dou8vec_minmax in net/ipv4/sysctl_net_ipv4.c on linux-6.x)',
    );
    expect(sysctl('  net.ipv4.tcp_retries2: -1', six)).toContain('x/experiment.md:8:26: net.ipv4.tcp_retries2: -1 is out of range, expected 0..255');
    expect(ok('  net.ipv4.tcp_fin_timeout: 5', '  net.ipv4.tcp_retries2: -1').sysctl['net.ipv4.tcp_retries2']).toBe(-1);
    expect(sysctl('  net.ipv4.tcp_retries2: 2147483648')).toContain('x/experiment.md:8:26: net.ipv4.tcp_retries2: 2147483648 is out of range, expected an int');
    expect(sysctl('  net.ipv4.tcp_retries2: six')).toBe('x/experiment.md:8:26: net.ipv4.tcp_retries2: `"six"` is not a decimal integer, expected an integer');
    // tcp_retries1 is not one an experiment may set (its black-hole detection is not modelled)
    expect(sysctl('  net.ipv4.tcp_retries1: 3')).toMatch(/^x\/experiment.md:8:3: unknown sysctl `net.ipv4.tcp_retries1`, expected one of .*net.ipv4.tcp_retries2/);
  });

  it('ip_local_port_range: two ints within 1..65535, low <= high; on 6.x low >= ip_unprivileged_port_start', () => {
    expect(sysctl('  net.ipv4.ip_local_port_range: [60999, 32768]')).toBe(
      'x/experiment.md:8:33: net.ipv4.ip_local_port_range: [60999, 32768] is out of range, expected two ports low <= high within 1..65535 (ipv4_local_port_range in net/ipv4/sysctl_net_ipv4.c on linux-4.4)',
    );
    expect(sysctl('  net.ipv4.ip_local_port_range: [-5, 10]')).toContain('x/experiment.md:8:33: net.ipv4.ip_local_port_range: [-5, 10] is out of range');
    expect(sysctl('  net.ipv4.ip_local_port_range: [1000]')).toContain('x/experiment.md:8:33: net.ipv4.ip_local_port_range: [1000] is not two integers, expected [low, high]');
    expect(sysctl('  net.ipv4.ip_local_port_range: [1000, 2000]', '\nprofiles: [linux-4.4, linux-6.x]')).toBe(
      'x/experiment.md:8:33: net.ipv4.ip_local_port_range: [1000, 2000] is out of range, expected two ports low <= high within 1024..65535 (the low end at or above net.ipv4.ip_unprivileged_port_start, 1024) (ipv4_local_port_range in net/ipv4/sysctl_net_ipv4.c on linux-6.x)',
    );
    // same parity is only a warning in set_local_port_range()
    expect(ok('  net.ipv4.tcp_fin_timeout: 5', '  net.ipv4.ip_local_port_range: [40000, 40100]').sysctl['net.ipv4.ip_local_port_range']).toEqual([40000, 40100]);
  });

  it('tcp_syn_retries: 1..MAX_TCP_SYNCNT (127) on both kernels', () => {
    expect(sysctl('  net.ipv4.tcp_syn_retries: 1000000')).toBe(
      'x/experiment.md:8:29: net.ipv4.tcp_syn_retries: 1000000 is out of range, expected 1..127, extra1 = tcp_syn_retries_min (1), extra2 = tcp_syn_retries_max (MAX_TCP_SYNCNT) (proc_dointvec_minmax in net/ipv4/sysctl_net_ipv4.c on linux-4.4)',
    );
    expect(sysctl('  net.ipv4.tcp_syn_retries: 0')).toContain('0 is out of range, expected 1..127');
  });

  it('u8 sysctls on 6.x (proc_dou8vec_minmax): tcp_tw_reuse 0..2, tcp_timestamps 0..255; plain ints on 4.4', () => {
    const six = '\nprofiles: [linux-4.4, linux-6.x]';
    expect(sysctl('  net.ipv4.tcp_tw_reuse: 3', six)).toBe(
      'x/experiment.md:8:26: net.ipv4.tcp_tw_reuse: 3 is out of range, expected 0..2, extra1 = SYSCTL_ZERO, extra2 = SYSCTL_TWO (proc_dou8vec_minmax in net/ipv4/sysctl_net_ipv4.c on linux-6.x)',
    );
    expect(sysctl('  net.ipv4.tcp_timestamps: 256', six)).toContain('256 is out of range, expected 0..255, no extra1/extra2 (proc_dou8vec_minmax');
    expect(ok('  net.ipv4.tcp_fin_timeout: 5', '  net.ipv4.tcp_timestamps: 2' + six).sysctl['net.ipv4.tcp_timestamps']).toBe(2);
    expect(ok('  net.ipv4.tcp_fin_timeout: 5', '  net.ipv4.tcp_tw_reuse: 3').sysctl['net.ipv4.tcp_tw_reuse']).toBe(3);
  });

  it('a sysctl the profile\'s kernel does not have, and values that are not decimal integers', () => {
    expect(sysctl('  net.ipv4.tcp_syn_linear_timeouts: 4')).toBe('x/experiment.md:8:37: net.ipv4.tcp_syn_linear_timeouts: does not exist on linux-4.4 (added in v6.5 (ccce324dabfe))');
    expect(sysctl('  net.ipv4.tcp_fin_timeout: 1.5')).toBe('x/experiment.md:8:29: net.ipv4.tcp_fin_timeout: `1.5` is not a decimal integer, expected an integer');
    expect(sysctl('  net.ipv4.tcp_fin_timeout: 2147483647.0000000001')).toContain('x/experiment.md:8:29: net.ipv4.tcp_fin_timeout: `2147483647.0000000001` is not a decimal integer');
    expect(sysctl('  net.ipv4.tcp_fin_timeout: "5"')).toContain('x/experiment.md:8:29: net.ipv4.tcp_fin_timeout: `"5"` is not a decimal integer');
  });
});

describe('withOverrides (createHost) refuses what the proc handler refuses', () => {
  const einval = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(SysctlError);
      return e as SysctlError;
    }
    throw new Error('accepted');
  };
  it('-EINVAL with the handler and the kernel it applies to', () => {
    const e = einval(() => withOverrides(LINUX_6_X, { 'net.ipv4.tcp_tw_reuse': 3 }));
    expect(e.errno).toBe(-22);
    expect(e.message).toBe('net.ipv4.tcp_tw_reuse: 3 is out of range, expected 0..2, extra1 = SYSCTL_ZERO, extra2 = SYSCTL_TWO (proc_dou8vec_minmax in net/ipv4/sysctl_net_ipv4.c on linux-6.x)');
    expect(einval(() => withOverrides(LINUX_4_4, { 'net.core.somaxconn': 2147483648 })).errno).toBe(-22);
    expect(einval(() => withOverrides(LINUX_4_4, { 'net.ipv4.ip_local_port_range': [60999, 32768] })).errno).toBe(-22);
    expect(einval(() => withOverrides(LINUX_4_4, { 'net.ipv4.tcp_syn_retries': 128 })).errno).toBe(-22);
    expect(einval(() => withOverrides(LINUX_4_4, { 'net.ipv4.tcp_fin_timeout': 0.5 })).errno).toBe(-22);
  });
  it('-ENOENT for a name the kernel has no file for', () => {
    expect(einval(() => withOverrides(LINUX_4_4, { 'net.ipv4.tcp_syn_linear_timeouts': 4 })).errno).toBe(-2);
    expect(einval(() => withOverrides(LINUX_6_X, { 'net.ipv4.tcp_nope': 1 })).errno).toBe(-2);
  });
  it('accepts what the kernel accepts and applies it', () => {
    expect(withOverrides(LINUX_6_X, { 'net.ipv4.tcp_syn_linear_timeouts': 127 }).sysctl['net.ipv4.tcp_syn_linear_timeouts']).toBe(127);
    expect(withOverrides(LINUX_4_4, { 'net.ipv4.tcp_tw_reuse': 7 }).sysctl['net.ipv4.tcp_tw_reuse']).toBe(7);
    expect(sysctlWrite('linux-6.x', 250, 'net.ipv4.tcp_invalid_ratelimit', -1)).toMatchObject({ err: -22 });
    expect(sysctlWrite('linux-6.x', 250, 'net.ipv4.tcp_invalid_ratelimit', 2147483647)).toEqual({ err: 0 });
  });
  it('cost overrides: known names, whole ns within bounds', () => {
    expect(einval(() => withOverrides(LINUX_4_4, {}, { nope: 1 } as never)).message).toContain('unknown cost `nope`');
    expect(einval(() => withOverrides(LINUX_4_4, {}, { syscallNs: 0 })).message).toBe('cost.syscallNs: 0 is out of range, expected whole ns within 1..1000000000');
  });
});

describe('inputs', () => {
  const input = (line: string) => error('  bootNs: 20000000000', line);
  it('unknown keys are refused at the key', () => {
    expect(input('  tialNs: 5')).toBe('x/experiment.md:10:3: unknown input `tialNs`, expected realtimeStart, bootNs, isnSecret, tailNs, noDns or cost.<name> (loRxNs, ackReplyNs, synAckNs, handshakeAckNs, timerSoftirqNs, syscallNs, forkExecNs, ssRunNs, sleepSlackNs, ncStartupNs, isnLeadNs)');
    expect(input('  cost.nope: 5')).toBe('x/experiment.md:10:3: unknown input `cost.nope`: unknown cost `nope`, expected one of loRxNs, ackReplyNs, synAckNs, handshakeAckNs, timerSoftirqNs, syscallNs, forkExecNs, ssRunNs, sleepSlackNs, ncStartupNs, isnLeadNs');
  });
  it('whole numbers where the model needs them, at the value', () => {
    expect(input('  bootNs: 1.5')).toBe('x/experiment.md:10:11: inputs.bootNs: `1.5` is not a whole number, expected an integer');
    expect(input('  bootNs: yes')).toBe('x/experiment.md:10:11: inputs.bootNs: `"yes"` is not a whole number, expected an integer');
    expect(ok('  bootNs: 20000000000', '  bootNs: 2e10').inputs.bootNs).toBe(20_000_000_000);
  });
  it('non-negative and bounded so they stay exact', () => {
    expect(input('  realtimeStart: -1')).toContain('x/experiment.md:10:18: inputs.realtimeStart: -1 is out of range, expected ns since the epoch within 0..2305843009213693952');
    expect(input('  realtimeStart: 1462147200000000001')).toBe('x/experiment.md:10:18: inputs.realtimeStart: 1462147200000000001 is not a whole number of µs, expected a multiple of 1000 ns (the model keeps CLOCK_REALTIME in µs)');
    expect(ok('  bootNs: 20000000000', '  realtimeStart: 1462147200123456000').inputs.realtimeStart).toBe(1462147200123456000);
    expect(input('  isnSecret: 4294967296')).toBe('x/experiment.md:10:14: inputs.isnSecret: 4294967296 is out of range, expected a u32, 0..4294967295 (the model keys secure_tcp_seq() with 32 bits)');
    expect(input('  tailNs: -1')).toBe('x/experiment.md:10:11: inputs.tailNs: -1 is out of range, expected ns within 0..1000000000000000 (at most 10^6 s after the last step)');
    expect(input('  tailNs: 1e16')).toContain('x/experiment.md:10:11: inputs.tailNs: 1e16 is out of range');
    expect(input('  bootNs: 0')).toContain('x/experiment.md:10:11: inputs.bootNs: 0 is out of range, expected ns after boot within 1000000..');
    expect(input('  noDns: 2')).toBe('x/experiment.md:10:10: inputs.noDns: 2 is out of range, expected 0 or 1');
    expect(input('  cost.ssRunNs: 1000000001')).toBe('x/experiment.md:10:17: inputs.cost.ssRunNs: 1000000001 is out of range, expected whole ns within 0..1000000000');
    expect(ok('  bootNs: 20000000000', '  tailNs: 3e9').inputs).toEqual({ tailNs: 3e9 });
  });
});

describe('step times and pins', () => {
  it('times are exact and bounded, and fail at their own column', () => {
    expect(error('2.5     a', `${'9'.repeat(400)}     a`)).toBe(`x/experiment.md:24:1: time \`${'9'.repeat(400)}\` is past the latest time an experiment may use, expected at most 1000000 s (10^15 ns) after the start`);
    expect(error('2.5     a', '9007199.254740993 a')).toContain('x/experiment.md:24:1: time `9007199.254740993` is past the latest time');
    expect(error('2.5     a', '+1000000 a')).toContain('x/experiment.md:24:1: time `+1000000` is past the latest time');
    expect(ok('2.5     a', '1000000 a').steps[2].at).toBe(1e15);
    expect(error('2.5     a', '1:60    a')).toBe('x/experiment.md:24:1: bad time `1:60`, expected m:ss with seconds below 60 (1:00 for 60 s)');
    expect(ok('2.5     a', '1:59.5  a').steps[2].at).toBe(119.5e9);
  });
  it('pids within 1..PID_MAX_LIMIT-1, one of each pin per step', () => {
    expect(error('{pid=100}', '{pid=2147483647}')).toBe('x/experiment.md:22:35: bad pid `2147483647`, expected an integer within 1..4194303 (pids are below pid_max, at most PID_MAX_LIMIT = 4194304)');
    expect(error('{pid=100}', '{pid=4294967296}')).toContain('x/experiment.md:22:35: bad pid `4294967296`');
    expect(error('{pid=100}', '{pid=4194304}')).toContain('bad pid `4194304`');
    expect(ok('{pid=100}', '{pid=4194303}').steps[0].pins.pid).toBe(4194303);
    expect(error('{pid=100}', '{pid=100 pid=101}')).toBe('x/experiment.md:22:43: pin `pid` given twice in one step, expected each pin at most once');
  });
  it('a port pin lies in the run\'s ip_local_port_range, after the experiment\'s overrides', () => {
    expect(error('{port=40000}', '{port=1}')).toBe('x/experiment.md:24:51: port 1 is outside net.ipv4.ip_local_port_range 32768..60999 on linux-4.4, expected an ephemeral port the kernel could pick');
    const narrowed = BASE.replace('  net.ipv4.tcp_fin_timeout: 5', '  net.ipv4.ip_local_port_range: [50000, 50010]');
    expect(() => parse(narrowed.replace('{port=40000}', '{port=50011}'))).toThrow('x/experiment.md:24:51: port 50011 is outside net.ipv4.ip_local_port_range 50000..50010 on linux-4.4');
    expect(parse(narrowed.replace('{port=40000}', '{port=50010}')).steps[2].pins.ephemeralPort).toBe(50010);
  });
  it('pinned durations are bounded', () => {
    expect(error('{pid=100}', '{startup=61s}')).toBe('x/experiment.md:22:35: startup 61s is too long, expected at most 60 s');
  });
});

describe('CRLF, BOM and YAML aliases', () => {
  it('a file saved with CRLF line ends or a UTF-8 BOM parses as the LF file', () => {
    const lf = parse(BASE);
    expect(parse(BASE.replace(/\n/g, '\r\n'))).toEqual(lf);
    expect(parse('\uFEFF' + BASE)).toEqual(lf);
    expect(parse('\uFEFF' + BASE.replace(/\n/g, '\r\n'))).toEqual(lf);
  });
  it('errors in a CRLF file keep their line and column', () => {
    const crlf = BASE.replace(/\n/g, '\r\n');
    expect(error('{pid=100}', '{pid=0}', crlf)).toContain('x/experiment.md:22:35: bad pid `0`');
    expect(error('tcp_fin_timeout: 5', 'tcp_fin_timeout: 8589935', '\uFEFF' + crlf)).toContain('x/experiment.md:8:29: net.ipv4.tcp_fin_timeout: 8589935 is out of range');
  });
  it('aliases, defined or not, are refused at the alias', () => {
    expect(error('seed: 1', 'seed: *x')).toBe('x/experiment.md:5:7: YAML alias `*x` in front matter, expected the value written out (aliases are not allowed)');
    expect(error('  bootNs: 20000000000', '  bootNs: &b 20000000000\n  tailNs: *b')).toBe('x/experiment.md:11:11: YAML alias `*b` in front matter, expected the value written out (aliases are not allowed)');
  });
});

describe('recorded paths stay inside the experiment folder', () => {
  it('lexically: `..` out of the folder and absolute paths, at the dir or file value', () => {
    expect(error('  - dir: rec', '  - dir: ../../../../etc')).toBe("x/experiment.md:14:10: recorded dir `../../../../etc` leaves the experiment's folder, expected a relative path inside it (e.g. recorded/<set>)");
    expect(error('  - dir: rec', '  - dir: /proc/self')).toContain('x/experiment.md:14:10: recorded dir `/proc/self` leaves');
    expect(error('one: one.txt', 'one: ../../x')).toBe("x/experiment.md:18:12: recorded file `../../x` leaves the experiment's folder (rec/../../x), expected a file inside rec");
    expect(error('one: one.txt', 'one: { file: ../../../etc/passwd, trimTrailing: true }')).toContain('x/experiment.md:18:20: recorded file `../../../etc/passwd` leaves');
  });

  const tmp = mkdtempSync(join(tmpdir(), 'tcp-lab-hostile-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const outside = join(tmp, 'secret.txt');
  writeFileSync(outside, 'SECRET=1\n');
  const exp = join(tmp, 'exp');
  mkdirSync(join(exp, 'rec'), { recursive: true });
  writeFileSync(join(exp, 'rec', 'one.txt'), 'x\n');
  symlinkSync(outside, join(exp, 'rec', 'link.txt'));
  symlinkSync(tmp, join(exp, 'up'));
  const write = (text: string) => {
    writeFileSync(join(exp, 'experiment.md'), text);
    return join(exp, 'experiment.md');
  };

  it('after symlinks, in loadExperiment (a symlinked file, a symlinked dir, /proc/self)', () => {
    expect(loadExperiment(write(BASE)).recorded[0].blocks[0].file).toBe('one.txt');
    expect(() => loadExperiment(write(BASE.replace('one: one.txt', 'one: link.txt')))).toThrow(/experiment\.md:18:12: recorded file rec\/link\.txt resolves outside the experiment's folder \(through a symlink\), expected a regular file inside it$/);
    expect(() => loadExperiment(write(BASE.replace('  - dir: rec', '  - dir: up')))).toThrow(/experiment\.md:14:10: recorded dir `up` resolves outside the experiment's folder/);
    expect(() => loadExperiment(write(BASE.replace('  - dir: rec', '  - dir: /proc/self').replace('one: one.txt', 'one: environ')))).toThrow(/experiment\.md:14:10: recorded dir `\/proc\/self` leaves/);
    expect(() => loadExperiment(write(BASE.replace('one: one.txt', 'one: none.txt')))).toThrow(/experiment\.md:18:12: recorded file rec\/none\.txt is missing/);
    // the recorder may name files it is about to write, never through a link out of the folder
    expect(loadExperiment(write(BASE.replace('one: one.txt', 'one: new.txt')), { checkRecorded: false }).recorded[0].blocks[0].file).toBe('new.txt');
    expect(() => loadExperiment(write(BASE.replace('  - dir: rec', '  - dir: up/new')), { checkRecorded: false })).toThrow(/resolves outside/);
  });

  it('in the site: a status.json path or a symlinked generated/recorded file is never read into a page', () => {
    const root = join(tmp, 'site');
    const dir = join(root, 'content/experiments/demo');
    const gen = join(dir, 'generated/linux-4.4');
    mkdirSync(gen, { recursive: true });
    mkdirSync(join(dir, 'rec'), { recursive: true });
    writeFileSync(join(gen, 'one.txt'), 'generated\n');
    writeFileSync(join(dir, 'rec/one.txt'), 'recorded\n');
    const status = (recorded: string) => writeFileSync(join(gen, 'status.json'), JSON.stringify({ one: { status: 'match', recorded } }));
    status('rec/one.txt');
    expect(loadTranscript({ experiment: 'demo', block: 'one', profile: 'linux-4.4', root })).toMatchObject({ kind: 'ok', text: 'generated', recordedText: 'recorded' });
    status('../../../../secret.txt');
    expect(() => loadTranscript({ experiment: 'demo', block: 'one', profile: 'linux-4.4', root })).toThrow(/<Transcript>: .*secret\.txt resolves outside its experiment's folder/);
    symlinkSync(outside, join(dir, 'rec/link.txt'));
    status('rec/link.txt');
    expect(() => loadTranscript({ experiment: 'demo', block: 'one', profile: 'linux-4.4', root })).toThrow(/rec\/link\.txt resolves outside/);
    status('rec/one.txt');
    symlinkSync(outside, join(gen, 'two.txt'));
    expect(() => loadTranscript({ experiment: 'demo', block: 'two', profile: 'linux-4.4', root })).toThrow(/generated\/linux-4\.4\/two\.txt resolves outside/);
  });
});

describe('YAML that only costs the parser', () => {
  const err = (text: string) => {
    try {
      parseExperiment(text, 'x/experiment.md');
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  it('a front matter past 64 KB, or nested past 32 levels, is refused before YAML parses it', () => {
    expect(err(BASE.replace('seed: 1\n', `seed: 1\nx: ${'['.repeat(100_000)}\n`))).toBe('x/experiment.md:20:1: front matter of 100317 characters, expected at most 65536');
    expect(err(BASE.replace('seed: 1\n', `seed: 1\nx: ${'[ '.repeat(40)}\n`))).toBe('x/experiment.md:6:68: YAML nested more than 32 levels deep in front matter, expected the documented keys');
  });
  it('a collection as a key (`? [a, b]`) is refused at the key, not stringified with a warning', () => {
    expect(err(BASE.replace('seed: 1\n', 'seed: 1\n? [complex, key]\n: value\n'))).toBe('x/experiment.md:6:3: a YAML collection used as a key in front matter, expected a plain key');
  });
});

describe('conformance reads no linked recording', () => {
  it('a recording.json that is a symbolic link (to /proc/self/environ) is refused, not read', async () => {
    const { checkRecording } = await import('../../scripts/lib/conformance.ts');
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-rec-link-'));
    try {
      symlinkSync('/proc/self/environ', join(dir, 'recording.json'));
      const exp = parseExperiment(BASE, 'x/experiment.md', { recordedPath: () => 'ok' as RecordedPathStatus });
      expect(() => checkRecording(exp, dir)).toThrow(`${join(dir, 'recording.json')}: a recording must be a regular file in a real folder, not a symbolic link`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
