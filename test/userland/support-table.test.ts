/**
 * What the grammar's support table accepts (src/userland/cmdline.ts), the simulated programs
 * implement: every accepted option of every command, alone and bundled, runs in the simulated
 * bash without a usage, "invalid option" or "not modelled" message. And FORMAT.md lists no
 * command the table lacks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { experimentText } from '../helpers/experiment.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { acceptCommandLine, isCmdlineError, SUPPORTED } from '../../src/userland/cmdline.ts';

/** Lines built from the table: each option of each command, with its operands. */
const LINES: string[] = [
  ...['', '-v ', '-n ', '-k ', '-vn ', '-vk ', '-4 ', '-v -n -k -4 '].map((f) => `nc ${f}-l 12345`),
  ...['', '-v ', '-n ', '-4 ', '-vn ', '-p 40000 ', '-p40000 ', '-vp 40001 ', '-v -n -4 -p 40002 '].map((f) => `nc ${f}127.0.0.1 12345`),
  'nc -v localhost 12345',
  ...['-z ', '-vz ', '-w 2 ', '-w2 ', '-w 0 ', '-N ', '-q 1 ', '-q -1 ', '-q0 ', '-s 127.0.0.2 ', '-s 127.0.0.1 -p 40003 ', '-4Nv ', '-vzw 1 '].map((f) => `nc ${f}localhost 12345`),
  'nc -vz localhost 12344-12346', 'nc -z 127.0.0.1 12346-12344', 'nc -vzn 127.0.0.1 12345', 'nc localhost 12345 -v',
  ...['-4 -l 12346', '-l -p 12346', '-lp 12346', '-vl 127.0.0.1 12346', '-l localhost 12346', '-vn -l -p 12346', '-N -l 12346', '-q 2 -l 12346', '-w 3 -l 12346', '-vkl 12346'].map((f) => `nc ${f}`),
  'echo hello | nc localhost 12345', 'echo hello | nc -N localhost 12345', 'nc -l 12346 &', 'sleep 1 &', 'echo hi &', 'ss -nat | grep 12345 &', 'sleep 1; nc -z localhost 12345 &',
  ...['-n', '-a', '-t', '-l', '-p', '-o', '-4', '-natp', '-natpo4', '-ltn', '--numeric', '--all', '--tcp', '--listening', '--processes', '--options', '--ipv4'].map((o) => `ss ${o}`),
  ...['all', 'connected', 'established', 'syn-sent', 'syn-recv', 'fin-wait-1', 'fin-wait-2', 'time-wait', 'closed', 'close-wait', 'last-ack', 'listening', 'closing'].map((s) => `ss -nt state ${s}`),
  ...['', ' -n', ' -nn', ' -U', ' -s 0', ' -s 96', ' -w t.pcap', ' tcp', ' port 12345', ' tcp port 12345', ' portrange 12344-12346', ' tcp portrange 12346-12344', ' -nn -U -s 0 -w u.pcap tcp port 12345'].map((o) => `tcpdump -i lo${o}`),
  'sleep 0.25', 'sleep 1',
  'ss -nat | grep 12345', 'ss -nat | grep -v 12345', "ss -nat | grep -E 'LISTEN|ESTAB'", 'ss -nat | grep -v -E x', 'ss -nat | grep -i listen', 'ss -nat | grep -F 0.0.0.0', 'ss -nat | grep -w 12345', 'ss -nat | grep -x x', 'ss -nat | grep -viG x',
  'echo', 'echo hi there', 'echo hi | grep hi', 'true', 'true | grep x', 'jobs', 'exit', 'exit 3',
  'kill %1', 'kill -9 %1', 'kill -KILL %%', 'kill -SIGTERM %+', 'kill -STOP %1', 'kill -CONT %1', 'kill -HUP %1', 'kill -INT %1', 'kill -2 %1', 'kill -15 %', 'fg', 'fg %1', 'bg', 'bg 1',
  'while true; do ss -nat | grep 12345; sleep 1; echo "---"; done',
  // yes feeds a pipeline (here into an nc that does not read it: yes ends on SIGPIPE)
  'yes | nc -z localhost 12345', 'yes hello | nc -zv localhost 12345', "yes 'a b' - | nc -z localhost 12345", 'yes --version',
  ...['-A', '-I', '-D'].flatMap((c) => ['--dport', '--sport'].map((m) => `iptables ${c} INPUT -p tcp ${m} 12345 -j DROP`)),
];

const REFUSALS = /invalid option|usage:|Usage:|unrecognized|not modelled|command not found|syntax error|wrong state|port number invalid|getaddrinfo/;

function runLine(line: string): string {
  // a listener and a stopped job around, so job specs and connections have something to act on
  const text = experimentText(`0.1 b $ nc -l 12345
0.2 a $ sleep 100
0.3 a ^Z
1.0 a $ ${line}
3.0 a ^C`, { blocks: 'a terminal a from 1.0 to end' });
  return runExperiment(parseExperiment(text, 't.md'), 'linux-6.x', { tailNs: 1e9 }).blocks.get('a')!;
}

describe('every line the table accepts runs in the simulator as the real tool would', () => {
  it.each(LINES)('%s', (line) => {
    const cl = acceptCommandLine(line);
    expect(isCmdlineError(cl) ? cl.message : null).toBe(null);
    expect(runLine(line)).not.toMatch(REFUSALS);
  });
  it('nc -h prints the help text of its version and exits 0', () => {
    expect(runLine('nc -h')).toContain('Command Summary:');
  });
  it('the cases are the table\'s: every supported command is exercised', () => {
    const used = new Set(LINES.flatMap((l) => l.split(/[|;]/).map((p) => p.trim().split(/\s+/)[0])));
    for (const c of SUPPORTED) expect(used, c).toContain(c);
  });
});

describe('FORMAT.md', () => {
  it('lists only commands the table has', () => {
    const md = readFileSync('content/experiments/FORMAT.md', 'utf8');
    const table = md.slice(md.indexOf('| command | accepted |'));
    const rows = table.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('| `'));
    const listed = rows.flatMap((r) => [...r.split('|')[1].matchAll(/`([a-z]+)`/g)].map((m) => m[1]));
    expect(listed.length).toBeGreaterThan(8);
    for (const c of listed) expect(SUPPORTED, c).toContain(c);
    for (const c of SUPPORTED.filter((x) => x !== 'while')) expect(listed, c).toContain(c);
  });
});
