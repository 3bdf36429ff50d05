/**
 * A deterministic mutator of experiment files, and the classification of what the pipeline
 * does with one (issue 13, "Hostile input"). Pure module: no Node APIs, no wall clock, no
 * Math.random; the randomness is the model's `Rng`, seeded per mutant from (run seed, index),
 * so any mutant of any run is rebuilt from those two numbers alone.
 *
 * The seed corpus is the committed experiments. Each mutant applies one to three mutations,
 * each from one class of the issue's attacks (shell injection, unknown commands, grep regexes,
 * numbers, paths, encodings, YAML oddities, unknown keys, truncation, byte flips, loops, very
 * long lines, killing the shell, job-control keys, structure). A mutation says whether a correct
 * parser must refuse it (`mustReject`): such a mutant that runs anyway was silently accepted.
 *
 * `runCase` runs one file as `npm run sim` does (parse, then every profile it lists, rendering
 * its blocks) and classifies the outcome:
 *   ok         it ran
 *   rejected   an error that starts with `<file>:<line>:<col>: ` pointing inside the file
 *   unlocated  an error of the pipeline (or any error with a location prefix) whose location is
 *              missing or outside the file
 *   crash      any other exception: what the CLI would print as a stack trace
 *   escape     it parsed, but a recorded file resolves outside the experiment's folder
 * (`timeout` and `memory` are decided by whoever runs it in a worker: scripts/fuzz.ts.)
 */
import { Rng, jhash3 } from '../model/rng.ts';
import type { ProfileName } from '../model/types.ts';
import { ExperimentError, parseExperiment, type ParseOptions } from './parse.ts';
import { runExperiment } from './run.ts';

export const FUZZ_CLASSES = [
  'injection', // shell metacharacters and substitutions in commands
  'command', // unknown commands, options, operands
  'regex', // grep patterns: pathological, invalid, huge
  'numbers', // huge/negative/fractional/overflowing times, pins, sysctls, inputs, operands
  'path', // traversal in recorded.dir, recorded files, capture names
  'encoding', // CRLF, BOM, CR, NUL, odd Unicode
  'yaml', // aliases, duplicates, deep nesting, tags, prototype keys
  'keys', // unknown keys, pins, sysctls, profiles
  'truncate', // the file cut short, fences or front matter unclosed
  'bytes', // byte flips, insertions, deletions, swapped or duplicated lines
  'loop', // watch loops that never sleep, nested loops, loops that print
  'long', // very long lines, many steps, terminals, stages
  'self-kill', // the shell killing itself or its siblings, pid pins on used pids
  'jobs', // keys and job control at odd moments (^C ^Z ^D ^\ fg bg jobs exit)
  'structure', // fences, blocks and bounds that refer to nothing
] as const;
export type FuzzClass = (typeof FUZZ_CLASSES)[number];

export interface SeedFile {
  /** The experiment's id (its directory name). */
  id: string;
  text: string;
  /** Relative chance of being picked (default 1). */
  weight?: number;
}

export interface Mutant {
  index: number;
  seedId: string;
  classes: FuzzClass[];
  /** What was done, one entry per mutation (for the report and for reproduction). */
  ops: string[];
  /** Every mutation is one a correct parser must refuse. */
  mustReject: boolean;
  text: string;
}

// ─────────────────────────── the document being mutated ───────────────────────────

interface Doc {
  lines: string[];
  rng: Rng;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.below(xs.length)];
const chance = (rng: Rng, p: number): boolean => rng.nextU32() / 0x100000000 < p;

/** Index of the closing `---` of the front matter (or -1). */
function fmEnd(d: Doc): number {
  return d.lines[0] === '---' ? d.lines.indexOf('---', 1) : -1;
}

/** [first, last) line indexes of the content of the ```lang fence. */
function fence(d: Doc, lang: string): [number, number] | null {
  const open = d.lines.findIndex((l) => new RegExp('^`{3,}\\s*' + lang + '\\s*$').test(l));
  if (open < 0) return null;
  const close = d.lines.findIndex((l, i) => i > open && /^`{3,}\s*$/.test(l));
  return close < 0 ? null : [open + 1, close];
}

const STEP_RE = /^(\s*)(\S+)(\s+)(\S+)(\s+)(.*)$/;

interface StepLine {
  i: number;
  time: string;
  term: string;
  action: string;
  pins: string;
  label: string;
}

function steps(d: Doc): StepLine[] {
  const f = fence(d, 'steps');
  if (!f) return [];
  const out: StepLine[] = [];
  for (let i = f[0]; i < f[1]; i++) {
    const l = d.lines[i];
    if (/^\s*(#.*)?$/.test(l)) continue;
    const m = STEP_RE.exec(l);
    if (!m) continue;
    let action = m[6];
    let label = '';
    const lm = /\s+(#[\w-]+)\s*$/.exec(action);
    if (lm) {
      label = lm[1];
      action = action.slice(0, lm.index);
    }
    let pins = '';
    const pm = /\s+(\{[^{}]*\})\s*$/.exec(action);
    if (pm) {
      pins = pm[1];
      action = action.slice(0, pm.index);
    }
    out.push({ i, time: m[2], term: m[4], action: action.trimEnd(), pins, label });
  }
  return out;
}

const stepText = (s: Omit<StepLine, 'i'>): string => [s.time, s.term, s.action, s.pins, s.label].filter(Boolean).join('   ');

function terminalNames(d: Doc): string[] {
  const end = fmEnd(d);
  const t = d.lines.findIndex((l, i) => i < end && /^terminals:/.test(l));
  const out: string[] = [];
  if (t < 0) return ['shell'];
  for (let i = t + 1; i < end && /^\s+/.test(d.lines[i]); i++) {
    const m = /^\s+([a-z][a-z0-9-]*):/.exec(d.lines[i]);
    if (m) out.push(m[1]);
  }
  return out.length ? out : ['shell'];
}

function commandSteps(d: Doc): StepLine[] {
  return steps(d).filter((s) => s.action.startsWith('$'));
}

/** Replace the command of a random `$` step (or add a step) with `cmd`. */
function setCommand(d: Doc, cmd: string, where = 'a random step'): string {
  const cs = commandSteps(d);
  if (!cs.length) return addStep(d, `$ ${cmd}`);
  const s = pick(d.rng, cs);
  d.lines[s.i] = stepText({ ...s, action: `$ ${cmd}` });
  return `${where} (line ${s.i + 1}) runs \`${clip(cmd)}\``;
}

/** Add a step after a random step (time `+0.5`), on a random terminal. */
function addStep(d: Doc, action: string, pins = '', time = '+0.5', term?: string): string {
  const ss = steps(d);
  const f = fence(d, 'steps');
  const at = ss.length ? pick(d.rng, ss).i + 1 : f ? f[0] : d.lines.length;
  const t = term ?? pick(d.rng, terminalNames(d));
  d.lines.splice(at, 0, stepText({ time, term: t, action, pins, label: '' }));
  return `step added at line ${at + 1}: ${t} ${clip(action)} ${pins}`.trimEnd();
}

/** Set a key of a front-matter map (`section` null: top level) to a YAML value. */
function setFm(d: Doc, section: string | null, key: string, value: string): string {
  const end = fmEnd(d);
  if (end < 0) return 'no front matter';
  if (section === null) {
    const i = d.lines.findIndex((l, j) => j > 0 && j < end && l.startsWith(key + ':'));
    if (i >= 0) {
      // drop an indented block that belonged to the old value
      let n = 1;
      while (i + n < end && /^\s+\S/.test(d.lines[i + n])) n++;
      d.lines.splice(i, n, `${key}: ${value}`);
    } else d.lines.splice(end, 0, `${key}: ${value}`);
    return `${key}: ${clip(value)}`;
  }
  const s = d.lines.findIndex((l, j) => j > 0 && j < end && l.startsWith(section + ':'));
  if (s < 0) {
    d.lines.splice(end, 0, `${section}:`, `  ${key}: ${value}`);
    return `${section}.${key}: ${clip(value)}`;
  }
  if (/^\S+:\s*\{.*\}\s*$/.test(d.lines[s])) {
    // flow map (host: { … }): rewrite as a block map
    d.lines[s] = d.lines[s].replace(/\{(.*)\}/, (_m, inner: string) => `{${inner.split(',').filter((kv) => kv.split(':')[0].trim() !== key).concat(` ${key}: ${value}`).join(',')} }`);
    return `${section}.${key}: ${clip(value)}`;
  }
  let j = s + 1;
  while (j < end && /^\s+/.test(d.lines[j])) {
    if (new RegExp('^\\s+' + key.replace(/[.]/g, '\\.') + ':').test(d.lines[j])) {
      d.lines.splice(j, 1);
      continue;
    }
    j++;
  }
  d.lines.splice(s + 1, 0, `  ${key}: ${value}`);
  return `${section}.${key}: ${clip(value)}`;
}

/** Line indexes of the `dir:` keys and block-file values of the recorded sets. */
function recordedLines(d: Doc): { dirs: number[]; files: number[] } {
  const end = fmEnd(d);
  const dirs: number[] = [];
  const files: number[] = [];
  let inBlocks = false;
  for (let i = 1; i < end; i++) {
    const l = d.lines[i];
    if (/^\s+-?\s*dir:/.test(l)) dirs.push(i);
    if (/^\s+blocks:/.test(l)) {
      inBlocks = true;
      continue;
    }
    if (inBlocks) {
      if (/^\s{6,}[a-z0-9-]+:\s*\S/.test(l) && !/^\s*#/.test(l)) files.push(i);
      else if (!/^\s{6,}/.test(l) && !/^\s*#/.test(l)) inBlocks = false;
    }
  }
  return { dirs, files };
}

const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 60)}… (${s.length} chars)` : s);

// ─────────────────────────── the mutations ───────────────────────────

interface Op {
  cls: FuzzClass;
  mustReject: boolean;
  apply: (d: Doc) => string;
}

const INJECTIONS = [
  'ss $(id > /tmp/x)',
  'ss `id`',
  'ss -natp | grep -v x && id > /tmp/y',
  'nc -l 12345 || id',
  'ss; id',
  'ss > /tmp/x',
  'ss < /etc/passwd',
  'nc -l 12345 & id',
  'ss &; id',
  'ss | id',
  'ss | sh',
  'echo $& onfocus=alert(document.domain) autofocus x',
  'echo "$(id)"',
  'echo "`id`"',
  'echo ${HOME}',
  'echo $HOME',
  'echo ~root',
  'echo *',
  'echo {a,b}',
  'echo !!',
  'ss -natp 2>&1',
  'ss -natp >> /tmp/x',
  'X=1 ss',
  '(id)',
  '{ id; }',
  'ss -natp |& cat',
  'ss -natp | grep 1 > /etc/passwd',
  'tcpdump -i lo -w ../../../../../tmp/escaped.pcap',
  'tcpdump -i lo -w /tmp/escaped.pcap',
  "echo '</script><script>alert(1)</script>'",
  "echo \"$'\\x41'\"",
  'echo $\'\\x41\'',
  'nc -l 12345 ; rm -rf /',
  'exec id',
  'eval id',
  'source /etc/passwd',
  '. /etc/passwd',
  'ss <<EOF',
  'ss -natp | tee /tmp/x',
  'ss # comment',
  'echo "unterminated',
  "echo 'unterminated",
  'echo \\',
  'ss |',
  '| ss',
  'ss ||',
  'ss ;;',
  '; ss',
];
const META = ['$(id)', '`id`', '&&', '||', ';', '>', '<', '&', '|', '>>', '2>', '$x', '${x}', '*', '?', '~', '!', '\\', '"', "'", '(', ')', '{', '}', '#', '<(id)', '>(id)', '$((1+1))'];

const UNKNOWN_COMMANDS = [
  'id', 'rm -rf /', 'cat /etc/passwd', 'bash', 'sh -c id', 'sudo ss', 'python3', 'nc -q 1 localhost 12345', 'nc -e /bin/sh localhost 12345',
  'nc -z localhost 12345', 'nc -w 1 localhost 12345', 'nc -6 localhost 12345', 'nc -U /tmp/s', 'nc', 'nc -l', 'nc -p', 'nc -p 40000',
  'nc localhost', 'nc localhost 99999', 'nc localhost 0', 'nc localhost -1', 'nc example.com 80', 'nc 999.1.1.1 80', 'nc -l -p 12345',
  'nc -l 12345 localhost', 'nc -lk', 'nc --help', 'nc -', 'nc -- -l 1', 'ss -K', 'ss -natp dst 127.0.0.1', 'ss state bogus', 'ss state',
  'ss -F /etc/passwd', 'ss --filter=/etc/passwd', 'ss -x', 'ss -natpZ', 'tcpdump', 'tcpdump -i', 'tcpdump -i eth0', 'tcpdump -r /etc/passwd',
  'tcpdump -w', 'tcpdump -i lo -w', 'tcpdump -i lo udp', 'tcpdump -i lo port', 'tcpdump -i lo port 99999', 'tcpdump -i lo -s', 'tcpdump -z id',
  'tcpdump -i lo -C 1 -W 1 -w x.pcap', 'sleep', 'sleep abc', 'sleep -1', 'sleep 1 2', 'sleep inf', 'sleep 1m', 'grep x', 'grep', 'kill',
  'kill -99 %1', 'kill -s KILL %1', 'kill -l', 'kill %0', 'kill %99', 'kill -9', 'kill 0', 'kill -1', 'fg %9', 'fg %0', 'fg 1 2', 'bg', 'bg %9',
  'jobs -l', 'jobs -p', 'exit', 'exit 1', 'logout', 'cd /', 'cd ..', 'true 1', 'false', ':', 'echo -e x', 'echo -n x', 'wait', 'disown',
  'nohup nc -l 1', 'history', 'ulimit -n 1', 'trap "" INT', 'set -e', 'shopt -s extglob', 'while', 'while true', 'while true; do', 'done',
  'while false; do ss; done', 'until true; do ss; done', 'for i in 1; do ss; done', 'if true; then ss; fi', 'ss -natp | grep 1 | grep 2 | grep 3',
  'ss | grep -E', 'ss | grep -v', 'ss | grep -P x', 'ss | grep -f /etc/passwd', 'ss | grep -r x /', 'ss | grep x /etc/passwd',
  'yes', 'yes -x', 'yes --help', 'yes --bogus', 'yes | grep x', 'yes | yes', 'yes | nc localhost 12345', 'yes < /dev/zero', 'yes > /dev/null',
  'iptables', 'iptables -L', 'iptables -F', 'iptables -P INPUT DROP', 'iptables -A OUTPUT -p tcp --dport 1 -j DROP', 'iptables -A INPUT -j DROP',
  'iptables -A INPUT -p tcp --dport 99999 -j DROP', 'iptables -D INPUT -p tcp --sport 12345 -j DROP', 'iptables -A INPUT -p tcp --dport 12345 -j DROP &',
];

const REGEXES = [
  "'^(\\s*\\S*)*!$'", '(', "'('", "'['", "'[[:nope:]]'", "'\\'", "-E '(a+)+$'", "-E '(a|aa)*b'", "-E '(x+x+)+y'", "-E '((((((((((a*)*)*)*)*)*)*)*)*)*)*c'",
  "-E 'a{1000000}'", "-E 'a{1,99999}'", "-E '(a{255}){255}'", "-E '{1,2}'", "-E '(?=x)'", "-E '(?<n>x)'", "'\\1'", "-E '(a)\\1'", "-E '\\p{L}'",
  "-E '[z-a]'", "-E '(|)*'", "-E '()*'", "'*'", "-E '*'", "-E '+'", "-E 'a**'", "-E '^*$'", "'.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*=x'",
  "-E '(.*){20}x'", "-E '(a|b|c|d|e|f|g|h|i|j)*(a|b|c|d|e|f|g|h|i|j)*z'", "''", "-E ''", "'\\('", "'\\(a*\\)*b'", "-E '[[:alpha:]'", "'x\\{1,\\}\\{1,\\}'",
  "-E 'a{,5}'", "-E '(((((((((((((((((((((((((((((x)))))))))))))))))))))))))))))'", "-vE '.'", "-E '\\'", "'[\\]'", "-E '$^'", "-E '\u00e9+'",
];

const HUGE_NUMBERS = ['1e9', '1e15', '1e300', '-1', '-5', '0', '1.5', '0.0000000001', '2147483647', '2147483648', '4294967296', '9007199254740993', '18446744073709551616', '-2147483649', 'NaN', '.nan', '.inf', '-.inf', 'Infinity', '0x10', '1_000', '1e-9', '9'.repeat(400), '-0', '007', 'null', '~', 'true', '"5"', '[]', '{}', '1.0'];
const BAD_TIMES = ['1e9', '-1', '-0.5', '0x10', '1e300', '9'.repeat(400), '1:60', '1:5', '99999:59.9', '9007199254.740993', '1000000000', '18446744073.709551616', '.5', '5.', '1.0000000001', '+1e300', '+-1', '++1', '+', '+1h', '+999999999999s', '+1.5ms5', 'NaN', 'Infinity', '1,5', '١٢', '12.5s', '10ns', '+0', '0', '4294967.296', '2147483.648'];
const BAD_PINS = [
  '{pid=2147483647}', '{pid=4294967296}', '{pid=4194305}', '{pid=0}', '{pid=-1}', '{pid=1.5}', '{pid=1e3}', '{pid=}', '{pid}', '{pid=1 pid=2}', '{pid=1}',
  '{port=0}', '{port=1}', '{port=65536}', '{port=-1}', '{port=1.5}', '{port=80}', '{port=12345}', '{port=40000 port=40002}', '{startup=1e9}',
  '{startup=-1ms}', '{startup=99999999999s}', '{startup=1.0000000001s}', '{isnLead=99999999999s}', '{isnLead=-1us}', '{isnLead=1e3us}', '{startup=1h}',
  '{=}', '{ }', '{pid=301}', '{pid=302}', '{pid=' + '9'.repeat(400) + '}', '{port=' + '9'.repeat(30) + '}',
];
const SYSCTLS = [
  'net.core.somaxconn', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_syn_retries', 'net.ipv4.tcp_synack_retries', 'net.ipv4.tcp_syn_linear_timeouts',
  'net.ipv4.tcp_abort_on_overflow', 'net.ipv4.tcp_syncookies', 'net.ipv4.tcp_challenge_ack_limit', 'net.ipv4.tcp_invalid_ratelimit',
  'net.ipv4.tcp_max_syn_backlog', 'net.ipv4.tcp_timestamps', 'net.ipv4.tcp_window_scaling', 'net.ipv4.tcp_sack', 'net.ipv4.tcp_rfc1337', 'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_retries2',
];
const BAD_RANGES = ['[60999, 32768]', '[-5, 10]', '[0, 0]', '[1, 65536]', '[1, 1]', '[40000, 40000]', '[1.5, 2]', '[1]', '[1, 2, 3]', '[]', '5', '"32768 60999"', '[32768, 4294967296]'];
const INPUTS = ['realtimeStart', 'bootNs', 'isnSecret', 'tailNs', 'noDns', 'cost.synackNs', 'cost.forkNs'];

function badCommandNumber(rng: Rng): string {
  return pick(rng, [
    'sleep 1e300', 'sleep 1e9', 'sleep 99999999999', 'sleep 0.0000000001', 'sleep 0', 'sleep -0', 'sleep 1e-300', 'sleep 1.', 'sleep .5', 'sleep ' + '9'.repeat(400),
    'sleep 0x10', 'sleep NaN', 'sleep infinity', 'nc -l 0', 'nc -l 65536', 'nc -l 99999999999', 'nc -l -1', 'nc -l 1.5', 'nc -p 0 localhost 1', 'nc -p 65536 localhost 1',
    'nc localhost 4294967297', 'nc 127.0.0.1 1', 'nc 127.0.0.256 1', 'nc 0.0.0.0 12345', 'nc 255.255.255.255 12345', 'tcpdump -i lo -s -1', 'tcpdump -i lo -s 99999999999',
    'tcpdump -i lo -s 1.5', 'tcpdump -i lo port 0', 'tcpdump -i lo port 65536', 'kill -9 4294967296', 'kill -9 2147483648', 'kill -9 -2147483648', 'kill %4294967296',
    'kill %-1', 'fg %99999999999999999999', 'kill -1.5 %1', 'kill -0 %1', 'kill -64 %1', 'kill -65 %1',
  ]);
}

const OPS: Op[] = [
  // ── injection ──
  { cls: 'injection', mustReject: true, apply: (d) => setCommand(d, pick(d.rng, INJECTIONS.filter((c) => !/^echo '</.test(c)))) },
  {
    cls: 'injection',
    mustReject: true,
    apply: (d) => {
      // a metacharacter inserted at a random word boundary of an existing command
      const cs = commandSteps(d).filter((s) => s.action.length > 2);
      if (!cs.length) return setCommand(d, 'ss && id');
      const s = pick(d.rng, cs);
      const cmd = s.action.slice(2);
      const cuts = [cmd.length, ...[...cmd.matchAll(/ /g)].map((m) => m.index!)];
      const at = pick(d.rng, cuts);
      const meta = pick(d.rng, META.filter((m) => !['"', "'", '\\', '|', ';', '#', '!'].includes(m)));
      const out = `${cmd.slice(0, at)} ${meta} id${cmd.slice(at)}`;
      d.lines[s.i] = stepText({ ...s, action: `$ ${out}` });
      return `line ${s.i + 1}: \`${meta} id\` inserted into \`${clip(cmd)}\``;
    },
  },
  { cls: 'injection', mustReject: false, apply: (d) => setCommand(d, pick(d.rng, ["echo '</script><script>alert(1)</script>'", "echo '$&' '$`' \"\\$'\" ']]>' '<!--'", "echo '\"onfocus=alert(1)'", "ss | grep '$&'"])) },
  // ── unknown commands / options ──
  { cls: 'command', mustReject: false, apply: (d) => setCommand(d, pick(d.rng, UNKNOWN_COMMANDS)) },
  {
    cls: 'command',
    mustReject: true,
    apply: (d) => {
      const cs = commandSteps(d).filter((s) => / -[a-z]/.test(s.action));
      if (!cs.length) return setCommand(d, 'nc -q 1 localhost 12345');
      const s = pick(d.rng, cs);
      const letter = pick(d.rng, 'bcdefghjmqruxyzABCDFGHIJKLMNOPQRSTVWXYZ'.split(''));
      const cmd = s.action.replace(/ -([a-z]+)/, (_m, f: string) => ` -${f}${letter}`);
      d.lines[s.i] = stepText({ ...s, action: cmd });
      return `line ${s.i + 1}: option letter ${letter} added: \`${clip(cmd)}\``;
    },
  },
  // ── grep regexes ──
  {
    cls: 'regex',
    mustReject: false,
    apply: (d) => {
      const re = pick(d.rng, REGEXES);
      const loop = commandSteps(d).find((s) => s.action.includes('grep'));
      if (loop && chance(d.rng, 0.5)) {
        const cmd = loop.action.replace(/grep\s+(-\S+\s+)?('[^']*'|"[^"]*"|\S+)/, `grep ${re}`);
        d.lines[loop.i] = stepText({ ...loop, action: cmd });
        return `line ${loop.i + 1}: grep ${re}`;
      }
      return setCommand(d, pick(d.rng, [`ss -natp | grep ${re}`, `echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! | grep ${re}`, `while true; do ss -natp -o | grep ${re}; sleep 1; done`, `grep ${re}`]));
    },
  },
  // ── numbers ──
  {
    cls: 'numbers',
    mustReject: true,
    apply: (d) => {
      const ss = steps(d);
      if (!ss.length) return 'no steps';
      const s = pick(d.rng, ss);
      const t = pick(d.rng, BAD_TIMES.filter((x) => !['+0', '0', '12.5s', '10ns'].includes(x)));
      d.lines[s.i] = stepText({ ...s, time: t });
      return `line ${s.i + 1}: time ${clip(t)}`;
    },
  },
  {
    cls: 'numbers',
    mustReject: false,
    apply: (d) => {
      // a far but valid time: the run must end (or be refused) within its limits
      const ss = steps(d);
      if (!ss.length) return 'no steps';
      const s = ss[ss.length - 1];
      const t = pick(d.rng, ['100000', '1000000', '1000000000', '9007199', '+86400', '+31536000', '0:00.000000001', '99:59.999999999']);
      d.lines[s.i] = stepText({ ...s, time: t });
      return `line ${s.i + 1}: last step at ${t}`;
    },
  },
  {
    cls: 'numbers',
    mustReject: false,
    apply: (d) => {
      const cs = commandSteps(d);
      if (!cs.length) return 'no command steps';
      const s = pick(d.rng, cs);
      const p = pick(d.rng, BAD_PINS);
      d.lines[s.i] = stepText({ ...s, pins: p });
      return `line ${s.i + 1}: pins ${clip(p)}`;
    },
  },
  { cls: 'numbers', mustReject: false, apply: (d) => setCommand(d, badCommandNumber(d.rng)) },
  {
    cls: 'numbers',
    mustReject: false,
    apply: (d) => {
      const name = pick(d.rng, SYSCTLS);
      return setFm(d, 'sysctl', name, pick(d.rng, HUGE_NUMBERS));
    },
  },
  { cls: 'numbers', mustReject: false, apply: (d) => setFm(d, 'sysctl', 'net.ipv4.ip_local_port_range', pick(d.rng, BAD_RANGES)) },
  {
    cls: 'numbers',
    mustReject: false,
    apply: (d) => {
      // an odd port range together with a port pin (the pin may fall outside it)
      const r = setFm(d, 'sysctl', 'net.ipv4.ip_local_port_range', pick(d.rng, ['[-5, 10]', '[1, 1]', '[40000, 40000]', '[60999, 32768]', '[1024, 1025]', '[65535, 65535]']));
      const cs = commandSteps(d).filter((s) => /nc .*localhost/.test(s.action));
      if (!cs.length) return r + '; ' + addStep(d, '$ nc localhost 12345', `{port=${pick(d.rng, [1, 10, 40000, 65535])}}`);
      const s = pick(d.rng, cs);
      const p = `{port=${pick(d.rng, [1, 10, 1024, 40000, 65535])}}`;
      d.lines[s.i] = stepText({ ...s, pins: p });
      return `${r}; line ${s.i + 1}: pins ${p}`;
    },
  },
  {
    cls: 'numbers',
    mustReject: false,
    apply: (d) => setFm(d, 'inputs', pick(d.rng, INPUTS), pick(d.rng, HUGE_NUMBERS)),
  },
  {
    cls: 'numbers',
    mustReject: false,
    apply: (d) => {
      const which = pick(d.rng, ['seed', 'history', 'cols', 'frames']);
      if (which === 'seed') return setFm(d, null, 'seed', pick(d.rng, HUGE_NUMBERS));
      if (which === 'frames') {
        const f = fence(d, 'blocks');
        const i = f ? d.lines.findIndex((l, j) => j >= f[0] && j < f[1] && /frames \S+/.test(l)) : -1;
        const v = pick(d.rng, ['0-0', '1-99999999', '5-2', '1-' + '9'.repeat(40), '-1-2', '1.5-2', '1-1e9']);
        if (i < 0) return addBlock(d, `fz wireshark x.pcap frames ${v}`);
        d.lines[i] = d.lines[i].replace(/frames \S+/, `frames ${v}`);
        return `line ${i + 1}: frames ${v}`;
      }
      const end = fmEnd(d);
      const i = d.lines.findIndex((l, j) => j < end && /\{\s*history:/.test(l));
      if (i < 0) return 'no terminal';
      const v = pick(d.rng, HUGE_NUMBERS);
      d.lines[i] = which === 'history' ? d.lines[i].replace(/history:\s*[^,}]+/, `history: ${v}`) : d.lines[i].replace(/\}\s*$/, `, cols: ${v} }`);
      return `line ${i + 1}: ${which} ${clip(v)}`;
    },
  },
  // ── paths ──
  {
    cls: 'path',
    mustReject: true,
    apply: (d) => {
      const { dirs } = recordedLines(d);
      const v = pick(d.rng, ['../../../../etc', '/etc', '/proc/self', '../../../../proc/self', 'recorded/../../../../../etc', '..', '../..', '../seed-collision/recorded/ubuntu-16.04', 'recorded/ubuntu-16.04/../../../..', '/', '~', '//etc', 'C:\\Windows', 'recorded/%2e%2e/%2e%2e', '"recorded/\\0"', '"../../../../etc\\u0000"', 'file:///etc']);
      if (!dirs.length) return addRecorded(d, v, 'passwd');
      const i = pick(d.rng, dirs);
      d.lines[i] = d.lines[i].replace(/dir:.*$/, `dir: ${v}`);
      return `line ${i + 1}: recorded dir ${v}`;
    },
  },
  {
    cls: 'path',
    mustReject: true,
    apply: (d) => {
      const { files } = recordedLines(d);
      const v = pick(d.rng, ['../../../../../etc/passwd', '/etc/passwd', '../../../../../proc/self/environ', '/proc/self/environ', '..', '.', 'a/../../../../../etc/hostname', '../../closed-port/experiment.md', '../../../../package.json', '/dev/zero', '/dev/urandom', '../../../../../../dev/stdin', '"..\\\\..\\\\x"']);
      if (!files.length) return addRecorded(d, 'recorded', v);
      const i = pick(d.rng, files);
      d.lines[i] = d.lines[i].replace(/:\s*(\{[^}]*file:\s*)?[^,}\s]+/, (_m, pre?: string) => `: ${pre ?? ''}${v}`);
      return `line ${i + 1}: recorded file ${v}`;
    },
  },
  {
    cls: 'path',
    mustReject: true,
    apply: (d) => {
      const v = pick(d.rng, ['../x.pcap', '/tmp/x.pcap', '../../../../tmp/escaped.pcap', '.', '..', '/dev/null', 'a/b.pcap', '-', '.pcap/../../x']);
      if (chance(d.rng, 0.5)) return setCommand(d, `tcpdump -i lo -w ${v}`);
      return addBlock(d, `fz ${pick(d.rng, ['tcpdump', 'wireshark'])} ${v}${d.rng.below(2) ? ' frames 1-2' : ''}`);
    },
  },
  // ── encodings ── (applied to the whole text, see TEXT_OPS)
  // ── YAML ──
  {
    cls: 'yaml',
    mustReject: false,
    apply: (d) => {
      const end = fmEnd(d);
      if (end < 0) return 'no front matter';
      const v = d.rng.below(14);
      switch (v) {
        case 0: {
          const i = d.lines.findIndex((l) => l.startsWith('host:'));
          if (i < 0) return 'no host';
          d.lines[i] = d.lines[i].replace('host:', 'host: &h');
          d.lines.splice(end, 0, 'extra: *h');
          return 'YAML alias: host: &h … extra: *h';
        }
        case 1:
          d.lines.splice(end, 0, 'a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]');
          return 'YAML billion laughs';
        case 2: {
          const i = d.lines.findIndex((l, j) => j > 0 && j < end && /^seed:/.test(l));
          d.lines.splice(i > 0 ? i : end, 0, 'seed: 5');
          return 'duplicate key seed';
        }
        case 3: {
          const n = pick(d.rng, [100, 1000, 10000, 100000]);
          d.lines.splice(end, 0, `deep: ${'['.repeat(n)}${']'.repeat(n)}`);
          return `nesting ${n} deep (flow)`;
        }
        case 4: {
          const n = pick(d.rng, [100, 1000, 5000]);
          const ls: string[] = [];
          for (let k = 0; k < n; k++) ls.push(`${' '.repeat(k)}k${k}:`);
          d.lines.splice(end, 0, 'deep:', ...ls.map((l) => ' ' + l));
          return `nesting ${n} deep (block)`;
        }
        case 5:
          return setFm(d, null, 'seed', pick(d.rng, ['!!js/function "function(){}"', '!!binary aGVsbG8=', '!!set {a, b}', '!!timestamp 2001-12-14', '!!str 5', '!!float 5', '!!int "5"', '!!map {}', '!<tag:yaml.org,2002:int> 5', '!custom 5']));
        case 6:
          return setFm(d, null, pick(d.rng, ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__']), pick(d.rng, ['{ polluted: 1 }', '1', '{}', 'null']));
        case 7:
          return setFm(d, 'terminals', pick(d.rng, ['__proto__', 'constructor', 'tostring', 'hasownproperty', 'valueof']), '{ history: 1 }');
        case 8:
          return setFm(d, 'inputs', pick(d.rng, ['__proto__', 'constructor', 'toString']), '1');
        case 9:
          d.lines.splice(end, 0, 'base: &b { hostname: x, user: y }', 'host2:', '  <<: *b');
          return 'YAML merge key';
        case 10:
          d.lines.splice(end, 0, '? [complex, key]', ': value');
          return 'YAML complex key';
        case 11:
          d.lines.splice(end, 0, '...', '---', 'id: other');
          return 'a second YAML document';
        case 12:
          d.lines.splice(end, 0, 'x: *undefined_alias');
          return 'undefined YAML alias';
        default:
          d.lines.splice(end, 0, '\tseed: 1');
          return 'tab indentation';
      }
    },
  },
  // ── unknown keys ──
  {
    cls: 'keys',
    mustReject: true,
    apply: (d) => {
      const v = d.rng.below(8);
      if (v === 0) return setFm(d, 'inputs', pick(d.rng, ['tialNs', 'cost.nope', 'bootns', 'TailNs', 'cost.', 'cost', '']), '5');
      if (v === 1) return setFm(d, null, pick(d.rng, ['bogus', 'Profile', 'steps', 'blocks', 'sysctls', 'input']), '1');
      if (v === 2) return setFm(d, 'host', pick(d.rng, ['shell', 'uid', 'home']), 'x');
      if (v === 3) return setFm(d, 'sysctl', pick(d.rng, ['net.ipv4.tcp_nope', 'kernel.pid_max', 'net.ipv4.conf.all.forwarding', 'net.core.somaxconn.x', 'net/ipv4/tcp_fin_timeout']), '5');
      if (v === 4) return setFm(d, null, 'profile', pick(d.rng, ['linux-9.9', 'Linux-6.x', '""', '[linux-4.4]', 'linux-2.6']));
      if (v === 5) return setFm(d, null, 'profiles', pick(d.rng, ['[]', '[linux-9.9]', 'linux-4.4', '[null]', '[linux-4.4, 6]']));
      if (v === 6) {
        const cs = commandSteps(d);
        if (!cs.length) return 'no command steps';
        const s = pick(d.rng, cs);
        const p = pick(d.rng, ['{foo=1}', '{PID=1}', '{pid:1}', '{pid=1,port=2}', '{ pid = 1 }', '{port=40000=1}']);
        d.lines[s.i] = stepText({ ...s, pins: p });
        return `line ${s.i + 1}: pins ${p}`;
      }
      const end = fmEnd(d);
      const i = d.lines.findIndex((l, j) => j < end && /\{\s*history:/.test(l));
      if (i < 0) return 'no terminal';
      d.lines[i] = d.lines[i].replace(/\}\s*$/, ', rows: 24 }');
      return `line ${i + 1}: unknown terminal key rows`;
    },
  },
  // ── truncation ── (whole text, see TEXT_OPS)
  // ── loops ──
  {
    cls: 'loop',
    mustReject: false,
    apply: (d) => {
      const loop = pick(d.rng, [
        'while true; do true; done', 'while true; do ; done', 'while true; do echo x; done', 'while true; do ss; done', 'while true; do jobs; done',
        'while true; do sleep 0; done', 'while true; do echo x | grep y; done', 'while true; do while true; do true; done; done', 'while true; do ss -natp | grep 1; done',
        'while true; do echo ' + 'x'.repeat(10000) + '; done', 'while true; do true | true | true | true; done', 'while true; do sleep 0.000000001; done',
        'while true; do kill %1; done', 'while true; do ss -natp -o | grep 12345; sleep 1; echo "---"; done', 'while :; do :; done', 'while true; do true; done; echo x',
        'while true; do echo x; done | grep y', 'while true\ndo true\ndone',
      ]);
      const v = d.rng.below(3);
      if (v === 0) return setCommand(d, loop);
      if (v === 1) return addStep(d, `$ ${loop}`);
      // a loop and then a step far away, or a huge tail
      const r = addStep(d, `$ ${loop}`);
      if (chance(d.rng, 0.5)) return r + '; ' + setFm(d, 'inputs', 'tailNs', pick(d.rng, ['1e15', '1e12', '86400000000000', '600000000000']));
      return r + '; ' + addStep(d, '$ ss', '', pick(d.rng, ['+1e9', '1000000000', '+86400', '+3600']));
    },
  },
  // ── very long lines / many things ──
  {
    cls: 'long',
    mustReject: false,
    apply: (d) => {
      const n = pick(d.rng, [1000, 10_000, 100_000, 1_000_000]);
      const v = d.rng.below(9);
      switch (v) {
        case 0:
          return setCommand(d, 'x'.repeat(n));
        case 1:
          return setCommand(d, 'echo ' + 'x'.repeat(n));
        case 2:
          return setCommand(d, 'echo ' + 'x '.repeat(n / 2));
        case 3:
          return setCommand(d, 'ss' + ' | grep 1'.repeat(Math.min(n, 100_000) / 10));
        case 4:
          return setCommand(d, 'ss -natp | grep ' + 'a'.repeat(Math.min(n, 100_000)));
        case 5: {
          const k = Math.min(n, 20_000);
          const t = pick(d.rng, terminalNames(d));
          const ls = Array.from({ length: k }, (_x, j) => stepText({ time: '+0.001', term: t, action: j % 2 ? '$ ss' : '$', pins: '', label: '' }));
          const ss = steps(d);
          const at = ss.length ? ss[ss.length - 1].i + 1 : fence(d, 'steps')?.[0] ?? d.lines.length;
          d.lines.splice(at, 0, ...ls);
          return `${k} steps`;
        }
        case 6: {
          const k = Math.min(n, 5000);
          const end = fmEnd(d);
          const i = d.lines.findIndex((l, j) => j < end && /^terminals:/.test(l));
          if (i < 0) return 'no terminals';
          d.lines.splice(i + 1, 0, ...Array.from({ length: k }, (_x, j) => `  t${j}: { history: 1 }`));
          return `${k} terminals`;
        }
        case 7:
          return setFm(d, 'title', 'en', JSON.stringify('T'.repeat(n)));
        default: {
          const cs = commandSteps(d);
          if (!cs.length) return 'no command steps';
          const s = pick(d.rng, cs);
          d.lines[s.i] = stepText({ ...s, label: '#' + 'l'.repeat(Math.min(n, 100_000)) });
          return `line ${s.i + 1}: a ${n}-character label`;
        }
      }
    },
  },
  // ── the shell killing itself ──
  {
    cls: 'self-kill',
    mustReject: false,
    apply: (d) => {
      const terms = terminalNames(d);
      const ti = d.rng.below(terms.length);
      const own = 301 + ti;
      const v = d.rng.below(6);
      if (v === 0) return addStep(d, `$ kill -9 ${own}`, '', '+0.5', terms[ti]);
      if (v === 1) return addStep(d, `$ kill ${pick(d.rng, ['-STOP', '-TERM', '-INT', '-HUP', '-CONT', '-9', ''])} ${301 + d.rng.below(terms.length + 2)}`.replace('  ', ' '));
      if (v === 2) return addStep(d, `$ kill -9 ${pick(d.rng, ['1', '0', '-1', '300', '301', '$$', '%%', '%+', '%-'])}`);
      if (v === 3) return addStep(d, '$ nc -l 4444', `{pid=${pick(d.rng, [301, 302, own, 1, 300])}}`);
      if (v === 4) {
        // two steps pin the same pid
        addStep(d, '$ nc -l 4444', '{pid=5000}');
        return addStep(d, '$ nc -l 4445', '{pid=5000}', '+1');
      }
      return addStep(d, `$ kill -9 ${own}`, '', '+0.5', terms[ti]) + '; ' + addStep(d, '$ ss', '', '+1', terms[ti]);
    },
  },
  // ── keys and job control ──
  {
    cls: 'jobs',
    mustReject: false,
    apply: (d) => {
      const k = d.rng.below(3) + 1;
      const out: string[] = [];
      for (let j = 0; j < k; j++) {
        const a = pick(d.rng, ['^C', '^Z', '^D', '^\\', '$ fg', '$ bg', '$ jobs', '$ fg %2', '$ kill %1', '$ kill -CONT %1', '$ exit', '$', '^X', '^', '^^', '$ kill -STOP %1']);
        out.push(addStep(d, a, '', pick(d.rng, ['+0', '+0.000000001', '+0.5', '+1', '+70'])));
      }
      return out.join('; ');
    },
  },
  // ── structure ──
  {
    cls: 'structure',
    mustReject: false,
    apply: (d) => {
      const v = d.rng.below(10);
      const f = fence(d, 'steps');
      switch (v) {
        case 0:
          if (f) d.lines.splice(f[1] + 1, 0, '', '```steps', '0.1 shell $ ss', '```');
          return 'a second steps block';
        case 1: {
          const b = fence(d, 'blocks');
          if (b) d.lines.splice(b[0] - 1, b[1] - b[0] + 2);
          return 'blocks block removed';
        }
        case 2:
          return addBlock(d, `fz terminal ${pick(d.rng, terminalNames(d))} from ${pick(d.rng, ['end', 'after nope', 'before nope', '1e300', '-1', '99999', 'start'])} to ${pick(d.rng, ['start', 'end', '0', '1:00', 'after', 'before'])}`);
        case 3:
          return addBlock(d, `fz ${pick(d.rng, ['wireshark nothing.pcap frames 1-2', 'tcpdump nothing.pcap', 'terminal nobody from start to end', 'svg x', 'wireshark', 'tcpdump'])}`);
        case 4: {
          const b = fence(d, 'blocks');
          const l = b ? d.lines.slice(b[0], b[1]).find((x) => /^[a-z]/.test(x)) : undefined;
          return l ? addBlock(d, l) : 'no block';
        }
        case 5: {
          const ss = steps(d).filter((s) => s.label);
          if (!ss.length) return 'no labels';
          const s = pick(d.rng, ss);
          d.lines[s.i] = stepText({ ...s, label: '' });
          return `line ${s.i + 1}: label ${s.label} removed`;
        }
        case 6: {
          const ss = steps(d);
          if (ss.length < 2) return 'too few steps';
          const a = pick(d.rng, ss);
          const b = pick(d.rng, ss);
          [d.lines[a.i], d.lines[b.i]] = [d.lines[b.i], d.lines[a.i]];
          return `steps at lines ${a.i + 1} and ${b.i + 1} swapped`;
        }
        case 7: {
          const ss = steps(d);
          if (!ss.length) return 'no steps';
          const s = pick(d.rng, ss);
          d.lines[s.i] = stepText({ ...s, term: pick(d.rng, ['nobody', 'Shell', '__proto__', 'constructor', '']) });
          return `line ${s.i + 1}: unknown terminal`;
        }
        case 8:
          if (f) d.lines.splice(f[0], 0, '````', 'nested', '````');
          return 'a nested fence in steps';
        default: {
          const end = fmEnd(d);
          const i = d.lines.findIndex((l, j) => j < end && /^terminals:/.test(l));
          if (i < 0) return 'no terminals';
          let n = 1;
          while (/^\s+/.test(d.lines[i + n] ?? '')) n++;
          d.lines.splice(i, n, 'terminals: {}');
          return 'no terminals';
        }
      }
    },
  },
];

function addBlock(d: Doc, line: string): string {
  const b = fence(d, 'blocks');
  if (b) d.lines.splice(b[1], 0, line);
  else d.lines.push('', '```blocks', line, '```');
  return `block added: ${clip(line)}`;
}

function addRecorded(d: Doc, dir: string, file: string): string {
  const end = fmEnd(d);
  if (end < 0) return 'no front matter';
  const f = fence(d, 'blocks');
  const block = f ? d.lines.slice(f[0], f[1]).find((l) => /^[a-z]/.test(l))?.split(/\s+/)[0] : undefined;
  const i = d.lines.findIndex((l, j) => j < end && /^recorded:/.test(l));
  const set = [`  - dir: ${dir}`, '    profile: linux-6.x', '    provenance: { source: fuzz }', '    blocks:', `      ${block ?? 'x'}: ${file}`];
  if (i >= 0) d.lines.splice(i + 1, 0, ...set);
  else d.lines.splice(end, 0, 'recorded:', ...set);
  return `recorded set dir ${dir}, file ${file}`;
}

// ── whole-text mutations (encodings, truncation, bytes) ──

interface TextOp {
  cls: FuzzClass;
  mustReject: boolean;
  apply: (text: string, rng: Rng) => [string, string];
}

const TEXT_OPS: TextOp[] = [
  { cls: 'encoding', mustReject: false, apply: (t) => [t.replace(/\n/g, '\r\n'), 'CRLF line endings'] },
  { cls: 'encoding', mustReject: false, apply: (t) => ['\uFEFF' + t, 'a byte-order mark'] },
  { cls: 'encoding', mustReject: false, apply: (t) => ['\uFEFF' + t.replace(/\n/g, '\r\n'), 'BOM and CRLF'] },
  { cls: 'encoding', mustReject: false, apply: (t) => [t.replace(/\n/g, '\r'), 'CR line endings'] },
  {
    cls: 'encoding',
    mustReject: false,
    apply: (t, rng) => {
      const ls = t.split('\n');
      const i = rng.below(ls.length);
      ls[i] += '\r';
      return [ls.join('\n'), `a CR at the end of line ${i + 1}`];
    },
  },
  {
    cls: 'encoding',
    mustReject: false,
    apply: (t, rng) => {
      const ch = pick(rng, ['\0', '\u00a0', '\u200b', '\u202e', '\u2028', '\u2029', '\ud800', '\udfff', '\u0085', '\t', '\v', '\f', '\u001b[2J', '\uFEFF', '\uFFFD', '𝟙', 'é', 'ｓｓ']);
      const at = rng.below(t.length + 1);
      return [t.slice(0, at) + ch + t.slice(at), `U+${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')} inserted at offset ${at}`];
    },
  },
  {
    cls: 'encoding',
    mustReject: false,
    apply: (t, rng) => {
      // replace the spaces of a step line with tabs or no-break spaces
      const ls = t.split('\n');
      const cand = ls.map((l, i) => (/^\s*[+\d][\d.:+a-z]*\s+\w/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (!cand.length) return [t, 'no step line'];
      const i = pick(rng, cand);
      const sep = pick(rng, ['\t', '\u00a0', '\u3000']);
      ls[i] = ls[i].replace(/ +/g, sep);
      return [ls.join('\n'), `line ${i + 1}: spaces replaced with U+${sep.charCodeAt(0).toString(16)}`];
    },
  },
  {
    cls: 'truncate',
    mustReject: false,
    apply: (t, rng) => {
      const at = rng.below(t.length + 1);
      return [t.slice(0, at), `truncated at offset ${at} of ${t.length}`];
    },
  },
  {
    cls: 'truncate',
    mustReject: true,
    apply: (t, rng) => {
      const v = rng.below(5);
      const ls = t.split('\n');
      if (v === 0) return ['', 'empty file'];
      if (v === 1) return ['---', 'only ---'];
      if (v === 2) {
        const end = ls.indexOf('---', 1);
        if (end > 0) ls.splice(end, 1);
        return [ls.join('\n'), 'closing --- removed'];
      }
      // a fence left open
      const closes = ls.map((l, i) => (/^`{3,}\s*$/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (!closes.length) return [t, 'no fence'];
      const i = pick(rng, closes);
      ls.splice(i);
      return [ls.join('\n'), `cut before the closing fence at line ${i + 1}`];
    },
  },
  {
    cls: 'bytes',
    mustReject: false,
    apply: (t, rng) => {
      const n = 1 + rng.below(5);
      const cs = t.split('');
      const at: number[] = [];
      for (let j = 0; j < n && cs.length; j++) {
        const i = rng.below(cs.length);
        cs[i] = String.fromCharCode(cs[i].charCodeAt(0) ^ (1 << rng.below(7)));
        at.push(i);
      }
      return [cs.join(''), `bits flipped at offsets ${at.join(', ')}`];
    },
  },
  {
    cls: 'bytes',
    mustReject: false,
    apply: (t, rng) => {
      const i = rng.below(t.length + 1);
      const c = String.fromCharCode(rng.below(128));
      return [t.slice(0, i) + c + t.slice(i), `byte 0x${c.charCodeAt(0).toString(16)} inserted at offset ${i}`];
    },
  },
  {
    cls: 'bytes',
    mustReject: false,
    apply: (t, rng) => {
      const i = rng.below(t.length + 1);
      const n = 1 + rng.below(40);
      return [t.slice(0, i) + t.slice(i + n), `${n} bytes deleted at offset ${i}`];
    },
  },
  {
    cls: 'bytes',
    mustReject: false,
    apply: (t, rng) => {
      const ls = t.split('\n');
      const i = rng.below(ls.length);
      if (rng.below(2)) {
        ls.splice(i, 0, ls[i]);
        return [ls.join('\n'), `line ${i + 1} duplicated`];
      }
      const j = rng.below(ls.length);
      [ls[i], ls[j]] = [ls[j], ls[i]];
      return [ls.join('\n'), `lines ${i + 1} and ${j + 1} swapped`];
    },
  },
  {
    cls: 'bytes',
    mustReject: false,
    apply: (t, rng) => {
      // replace a digit run with another number
      const ms = [...t.matchAll(/\d+/g)];
      if (!ms.length) return [t, 'no digits'];
      const m = pick(rng, ms);
      const v = pick(rng, ['0', '1', '-1', '99999999999', '4294967296', '65535', '65536', '2147483648', '9'.repeat(30), '1e9', '0.5']);
      return [t.slice(0, m.index) + v + t.slice(m.index! + m[0].length), `number at offset ${m.index} → ${v}`];
    },
  },
];

/** Which classes the corpus draws from, with their weights (line-level and text-level). */
const ALL: ({ kind: 'line'; op: Op } | { kind: 'text'; op: TextOp })[] = [...OPS.map((op) => ({ kind: 'line' as const, op })), ...TEXT_OPS.map((op) => ({ kind: 'text' as const, op }))];
const BY_CLASS = new Map<FuzzClass, typeof ALL>();
for (const c of FUZZ_CLASSES) BY_CLASS.set(c, ALL.filter((x) => x.op.cls === c));

/** The rng of mutant `index` of run `runSeed`: independent of every other mutant. */
export function mutantRng(runSeed: number, index: number): Rng {
  return new Rng(jhash3(runSeed >>> 0, index >>> 0, Math.floor(runSeed / 0x100000000) >>> 0, 0x0f022013));
}

/** Mutant `index` of the run seeded `runSeed`, drawn from `seeds` (deterministic). */
export function mutant(seeds: readonly SeedFile[], runSeed: number, index: number): Mutant {
  const rng = mutantRng(runSeed, index);
  const total = seeds.reduce((a, s) => a + (s.weight ?? 1), 0);
  let r = (rng.nextU32() / 0x100000000) * total;
  let seed = seeds[seeds.length - 1];
  for (const s of seeds) {
    r -= s.weight ?? 1;
    if (r < 0) {
      seed = s;
      break;
    }
  }
  const n = chance(rng, 0.7) ? 1 : chance(rng, 0.67) ? 2 : 3;
  // classes round-robin over the index for the first mutation, so every class is equally present
  const chosen = [FUZZ_CLASSES[index % FUZZ_CLASSES.length]];
  for (let i = 1; i < n; i++) chosen.push(pick(rng, FUZZ_CLASSES));
  const lineOps: Op[] = [];
  const textOps: TextOp[] = [];
  for (const c of chosen) {
    const x = pick(rng, BY_CLASS.get(c)!);
    if (x.kind === 'line') lineOps.push(x.op);
    else textOps.push(x.op);
  }
  const d: Doc = { lines: seed.text.split('\n'), rng };
  const ops: string[] = [];
  let mustReject = true;
  for (const op of lineOps) {
    ops.push(`${op.cls}: ${op.apply(d)}`);
    mustReject &&= op.mustReject;
  }
  let text = d.lines.join('\n');
  for (const op of textOps) {
    const [t, what] = op.apply(text, rng);
    text = t;
    ops.push(`${op.cls}: ${what}`);
    mustReject &&= op.mustReject;
  }
  const classes = [...new Set([...lineOps, ...textOps].map((o) => o.cls))];
  return { index, seedId: seed.id, classes, ops, mustReject, text };
}

// ─────────────────────────── running and classifying ───────────────────────────

export type Outcome = 'ok' | 'rejected' | 'unlocated' | 'crash' | 'escape';
/** Outcomes that fail a fuzz run (`timeout` and `memory` come from the worker harness). */
export const FAILING = ['crash', 'unlocated', 'escape', 'timeout', 'memory'] as const;

export interface CaseResult {
  outcome: Outcome;
  /** The error's message (first line) or, for ok, the profiles run. */
  message: string;
  /** The stack of a crash. */
  stack?: string;
  /** The error's constructor name. */
  errorName?: string;
}

const LOC_RE = /^(.*?):(\d+):(\d+): /;

/**
 * Does `message` start with `file:line:col: ` pointing inside `text`? Lines are counted as the
 * parser counts them (split on \n); a column may point one past the end of its line.
 */
export function locatedIn(message: string, file: string, text: string): 'located' | 'bad-location' | 'none' {
  if (!message.startsWith(file + ':')) return LOC_RE.test(message) ? 'bad-location' : 'none';
  const m = /^(\d+):(\d+): /.exec(message.slice(file.length + 1));
  if (!m) return 'bad-location';
  const line = Number(m[1]);
  const col = Number(m[2]);
  const lines = text.split('\n');
  if (line < 1 || line > Math.max(lines.length, 1)) return 'bad-location';
  const len = (lines[line - 1] ?? '').length;
  if (col < 1 || col > len + 1) return 'bad-location';
  return 'located';
}

/** Errors the pipeline means to throw (their message should be located). */
function isPipelineError(e: unknown, limitError?: Function): boolean {
  if (e instanceof ExperimentError) return true;
  if (limitError && e instanceof limitError) return true;
  const name = (e as Error | null)?.name ?? '';
  return name === 'ExperimentError' || name === 'RunError' || name === 'RunLimitError' || name === 'RunInputError';
}

/**
 * Classify a thrown value. A model bug that run.ts wraps as a located `RunInternalError` (the
 * CLI prints it without a stack) is still a crash here: the fuzzer looks for bugs, not only for
 * stack traces on the terminal.
 */
export function classify(e: unknown, file: string, text: string, limitError?: Function): CaseResult {
  const err = e instanceof Error ? e : new Error(String(e));
  const message = err.message.split('\n')[0];
  const base = { message, errorName: err.name || err.constructor?.name };
  if (err.name === 'RunInternalError' || / internal error: /.test(message)) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return { outcome: 'crash', ...base, stack: cause instanceof Error ? cause.stack : err.stack };
  }
  const where = locatedIn(err.message, file, text);
  if (where === 'located') return { outcome: 'rejected', ...base };
  if (where === 'bad-location' || isPipelineError(e, limitError)) return { outcome: 'unlocated', ...base };
  return { outcome: 'crash', ...base, stack: err.stack };
}

export interface RunCaseOptions {
  parse?: ParseOptions;
  /** Options passed to runExperiment (e.g. `limits`). */
  run?: Record<string, unknown>;
  /** The run-limit error class of run.ts, when it has one. */
  limitError?: Function;
  /**
   * Does a recorded file (path relative to the experiment's folder) resolve inside that folder?
   * A parsed experiment whose recorded file does not is the outcome `escape`.
   */
  inside?: (path: string) => boolean;
}

/** Parse and run one file as `npm run sim` does (every profile, every block), and classify. */
export function runCase(text: string, file: string, opts: RunCaseOptions = {}): CaseResult {
  try {
    const exp = parseExperiment(text, file, opts.parse);
    if (opts.inside)
      for (const set of exp.recorded)
        for (const b of set.blocks) {
          const rel = `${set.dir}/${b.file}`;
          if (!opts.inside(rel)) return { outcome: 'escape', message: `recorded file ${rel} (${set.loc.line}:${set.loc.col}) resolves outside the experiment's folder and was accepted` };
        }
    for (const p of exp.profiles as ProfileName[]) {
      const res = runExperiment(exp, p, opts.run as Parameters<typeof runExperiment>[2]);
      // the CLI writes every block: make sure they are strings it can print
      for (const b of res.blocks.values()) if (typeof b !== 'string') throw new TypeError('a block is not text');
    }
    return { outcome: 'ok', message: exp.profiles.join(', ') };
  } catch (e) {
    return classify(e, file, text, opts.limitError);
  }
}
