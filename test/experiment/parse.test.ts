/**
 * The experiment format: a valid file parses into the IR; each malformed file fails with
 * `file:line:col: what is wrong, expected what`. None passes silently.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseExperiment, ExperimentError, parseDuration, type RecordedPathStatus } from '../../src/experiment/parse.ts';

const BASE = `---
id: demo
title: { en: Demo, zh-CN: 演示 }
profile: linux-4.4
seed: 1
host: { hostname: box, user: root }
sysctl:
  net.ipv4.tcp_fin_timeout: 5
terminals:
  a: { history: 10 }
  b: { history: 20 }
recorded:
  - dir: rec
    profile: linux-4.4
    provenance: { kernel: "4.4" }
    blocks:
      one: one.txt
---

Prose.

\`\`\`steps
# time  terminal action
1.000   a        $ nc -l 12345   {pid=100}   #listen
+1      a        ^Z              #stop
2.5     b        $ nc -v -p 40000 localhost 12345
\`\`\`

\`\`\`blocks
one   terminal a from before listen to after stop
two   wireshark x.pcap frames 1-3
\`\`\`
`;

const recordedPath = (p: string): RecordedPathStatus => (p === 'rec/one.txt' ? 'ok' : 'missing');
const parse = (text: string) => parseExperiment(text, 'x/experiment.md', { recordedPath });

/** Replace `from` by `to` in the base document and expect an error at line:col with a message. */
function bad(from: string | RegExp, to: string): string {
  const text = BASE.replace(from, to);
  expect(text, `mutation ${String(from)} did not apply`).not.toBe(BASE);
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentError);
    return (e as Error).message;
  }
  throw new Error(`no error for mutation ${String(from)} -> ${to}`);
}

describe('parseExperiment', () => {
  it('parses a valid file into steps with exact times, pins, labels and blocks', () => {
    const e = parse(BASE);
    expect(e.steps.map((s) => [s.at, s.terminal, s.action, s.label ?? null])).toEqual([
      [1e9, 'a', { kind: 'command', line: 'nc -l 12345' }, 'listen'],
      [2e9, 'a', { kind: 'key', key: '^Z' }, 'stop'],
      [2.5e9, 'b', { kind: 'command', line: 'nc -v -p 40000 localhost 12345' }, null],
    ]);
    expect(e.steps[0].pins).toEqual({ pid: 100 });
    expect(e.steps[0].loc).toEqual({ file: 'x/experiment.md', line: 24, col: 18 });
    expect(e.blocks[0]).toMatchObject({ name: 'one', kind: 'terminal', terminal: 'a', from: { kind: 'before', label: 'listen' }, to: { kind: 'after', label: 'stop' } });
    expect(e.blocks[1]).toMatchObject({ kind: 'wireshark', capture: 'x.pcap', frames: [1, 3] });
    expect(e.profiles).toEqual(['linux-4.4']);
    expect(e.recorded[0].blocks[0]).toMatchObject({ name: 'one', file: 'one.txt' });
  });

  it('parses durations exactly, in integer nanoseconds', () => {
    expect(parseDuration('12.000120768')).toBe(12_000_120_768);
    expect(parseDuration('15.3us')).toBe(15_300);
    expect(parseDuration('250ms')).toBe(250_000_000);
    expect(parseDuration('1.2.3')).toBeNull();
  });

  it('parses both seed experiments', () => {
    for (const id of ['seed-collision', 'seed-recvq']) {
      const f = `content/experiments/${id}/experiment.md`;
      const e = parseExperiment(readFileSync(f, 'utf8'), f);
      expect(e.id).toBe(id);
      expect(e.recorded[0].blocks.length).toBeGreaterThanOrEqual(8);
    }
  });

  const cases: [string, string | RegExp, string, string][] = [
    ['no front matter', /^---\n/, '', 'x/experiment.md:1:1: missing front matter, expected `---` on the first line'],
    ['unclosed front matter', /\n---\n\nProse/, '\n\nProse', 'x/experiment.md:1:1: unclosed front matter, expected a closing `---`'],
    ['YAML syntax', 'seed: 1', 'seed: [1', 'x/experiment.md:6:1: invalid YAML front matter'],
    ['unknown top-level key', 'seed: 1', 'seed: 1\ncolour: red', 'x/experiment.md:6:1: unknown key `colour` in front matter'],
    ['bad profile', 'profile: linux-4.4', 'profile: linux-5.4', 'x/experiment.md:4:1: profile: Invalid option'],
    ['unknown sysctl', 'net.ipv4.tcp_fin_timeout: 5', 'net.ipv4.tcp_fin_timeot: 5', 'x/experiment.md:8:3: unknown sysctl `net.ipv4.tcp_fin_timeot`, expected one of'],
    ['seed not an integer', 'seed: 1', 'seed: 1.5', 'x/experiment.md:5:1: seed:'],
    ['missing title translation', 'title: { en: Demo, zh-CN: 演示 }', 'title: { en: Demo }', 'x/experiment.md:3:1: title.zh-CN:'],
    ['bad time', '+1      a        ^Z', 'soon    a        ^Z', 'x/experiment.md:25:1: bad time `soon`, expected seconds'],
    ['time going backwards', '2.5     b', '0.5     b', 'x/experiment.md:26:1: time 0.5 goes backwards'],
    ['unknown terminal', '2.5     b', '2.5     c', 'x/experiment.md:26:9: unknown terminal `c`, expected one declared in the front matter (a, b)'],
    ['unknown action', '^Z              #stop', 'press z         #stop', 'x/experiment.md:25:18: unknown action `press z`'],
    ['unknown key', '^Z              #stop', '^X              #stop', 'x/experiment.md:25:18: unknown key `^X`'],
    ['unknown command', '$ nc -l 12345   {pid=100}', '$ netcat -l 12345   {pid=100}', 'x/experiment.md:24:20: unknown command `netcat`'],
    ['unknown command in a pipeline', '$ nc -l 12345   {pid=100}', '$ ss -nt | awk 1   {pid=100}', 'x/experiment.md:24:29: unknown command `awk`'],
    ['unknown nc option', '$ nc -v -p 40000', '$ nc -vy -p 40000', 'x/experiment.md:26:25: unknown nc option -y'],
    ['nc option not modelled', '$ nc -v -p 40000', '$ nc -vu -p 40000', 'x/experiment.md:26:25: nc option -u: UDP (-u) is not modelled'],
    ['tcpdump filter not modelled', '$ nc -v -p 40000', '$ tcpdump -i lo udp port 1', 'x/experiment.md:26:34: tcpdump filter `udp port 1 localhost 12345` is not modelled'],
    ['bad nc timeout', '$ nc -v -p 40000', '$ nc -vw x -p 40000', 'x/experiment.md:26:27: bad timeout `x` for nc -w'],
    ['bad pin', '{pid=100}', '{pid=abc}', 'x/experiment.md:24:35: bad pid `abc`'],
    ['unknown pin', '{pid=100}', '{uid=0}', 'x/experiment.md:24:35: unknown pin `uid`'],
    ['label used twice', '#stop', '#listen', 'x/experiment.md:25:34: label #listen used twice'],
    ['block name used twice', 'two   wireshark', 'one   wireshark', 'x/experiment.md:31:1: block name `one` used twice'],
    ['block with unknown terminal', 'one   terminal a from', 'one   terminal z from', 'x/experiment.md:30:16: unknown terminal `z`'],
    ['block with unknown label', 'to after stop', 'to after stopped', 'x/experiment.md:30:46: unknown label `stopped`'],
    ['block of unknown kind', 'two   wireshark x.pcap frames 1-3', 'two   pcap x.pcap', 'x/experiment.md:31:7: unknown block kind `pcap`'],
    ['bad frame range', 'frames 1-3', 'frames 3-1', 'x/experiment.md:31:31: expected `wireshark <capture file> frames <first>-<last>`'],
    ['recorded block not declared', '      one: one.txt', '      three: one.txt', 'x/experiment.md:17:7: recorded block `three` is not declared'],
    ['recorded file missing', '      one: one.txt', '      one: none.txt', 'x/experiment.md:17:12: recorded file rec/none.txt is missing'],
    ['no steps block', '```steps', '```stepz', 'x/experiment.md:19:1: expected exactly one ```steps block, found 0'],
    ['unclosed fence', /```blocks\n(.|\n)*$/, '```blocks\none terminal a from start to end\n', 'x/experiment.md:29:1: unclosed ``` fence'],
  ];
  for (const [name, from, to, msg] of cases) {
    it(`rejects: ${name}`, () => {
      expect(bad(from, to)).toContain(msg);
    });
  }
  it('has at least 20 malformed cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));
});
