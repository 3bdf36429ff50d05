/**
 * Experiments generated from the support table (src/userland/cmdline.ts): every command line
 * is built from the programs, builtins and options the grammar accepts (nc's NC_OPTIONS, ss's
 * options and states, tcpdump's filters, grep's flags, yes as a pipeline's source, iptables'
 * INPUT rules, kill's signals, job specs, `&`), mixed
 * with typed lines (`> …`) and keys, on two or three terminals. The property test runs many of
 * them: the parser must accept each one, and the simulator must never crash on it.
 *
 * Pure and deterministic: experiment `index` of run `seed` is rebuilt from those two numbers.
 */
import { jhash3, Rng } from '../model/rng.ts';
import { GREP_FLAGS, IPTABLES_COMMANDS, KILL_SIGNALS, NC_OPTIONS, SS_LONG, SS_SHORT, SS_STATES } from '../userland/cmdline.ts';

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.below(xs.length)];
const chance = (rng: Rng, p: number): boolean => rng.nextU32() / 0x100000000 < p;
const between = (rng: Rng, lo: number, hi: number): number => lo + rng.below(hi - lo + 1);

/** Mostly the port a listener of the run uses. */
const PORTS = [12344, 12345, 12345, 12345, 12346];
const HOSTS = ['localhost', '127.0.0.1'];

/** Flags of nc without an argument, and those with one, from the table. */
const NC_FLAGS = Object.keys(NC_OPTIONS).filter((c) => !NC_OPTIONS[c].arg && c !== 'l' && c !== 'h' && c !== 'k');
const NC_ARGS = Object.keys(NC_OPTIONS).filter((c) => NC_OPTIONS[c].arg);

function ncArg(rng: Rng, c: string): string {
  switch (NC_OPTIONS[c].arg) {
    case 'port':
      return String(between(rng, 40000, 40010));
    case 'seconds':
      return String(between(rng, 0, 3));
    case 'quit':
      return String(between(rng, -1, 2));
    default:
      return pick(rng, ['127.0.0.1', '127.0.0.2']);
  }
}

/** Some of the table's flags, bundled or apart, and maybe options with their arguments. */
function ncOptions(rng: Rng, flags: string[], withArgs: string[]): string[] {
  const out: string[] = [];
  const fs = flags.filter(() => chance(rng, 0.3));
  if (fs.length) out.push(chance(rng, 0.5) ? `-${fs.join('')}` : fs.map((f) => `-${f}`).join(' '));
  for (const c of withArgs) if (chance(rng, 0.25)) out.push(chance(rng, 0.3) ? `-${c}${ncArg(rng, c)}` : `-${c} ${ncArg(rng, c)}`);
  return out;
}

function ncLine(rng: Rng): string {
  if (chance(rng, 0.03)) return 'nc -h';
  return chance(rng, 0.45) ? ncListen(rng) : ncClient(rng);
}

function ncListen(rng: Rng): string {
  {
    // listen: `-l [HOST] PORT` or `-l -p PORT`
    const opts = ncOptions(rng, [...NC_FLAGS.filter((f) => f !== 'z'), 'k'], NC_ARGS.filter((c) => c !== 'p' && c !== 's'));
    const port = pick(rng, PORTS);
    const form = rng.below(3);
    if (form === 0) return ['nc', ...opts, '-l', String(port)].join(' ');
    if (form === 1) return ['nc', ...opts, '-l', '-p', String(port)].join(' ');
    return ['nc', ...opts, '-l', '127.0.0.1', String(port)].join(' ');
  }
}

function ncClient(rng: Rng): string {
  const opts = ncOptions(rng, NC_FLAGS, NC_ARGS);
  const numeric = opts.some((o) => /^-\w*n/.test(o));
  const host = numeric ? '127.0.0.1' : pick(rng, HOSTS);
  const port = chance(rng, 0.25) ? `${pick(rng, PORTS)}-${pick(rng, PORTS)}` : String(pick(rng, PORTS));
  return ['nc', ...opts, host, port].join(' ');
}

function ssLine(rng: Rng): string {
  const words = ['ss'];
  const short = [...SS_SHORT].filter(() => chance(rng, 0.4));
  if (short.length) words.push(`-${short.join('')}`);
  if (chance(rng, 0.2)) words.push(pick(rng, [...SS_LONG]));
  if (chance(rng, 0.2)) words.push('state', pick(rng, [...SS_STATES]));
  return words.join(' ');
}

function tcpdumpLine(rng: Rng, capture: string): string {
  const words = ['tcpdump', '-i', 'lo'];
  if (chance(rng, 0.5)) words.push(pick(rng, ['-n', '-nn', '-U']));
  if (chance(rng, 0.3)) words.push('-s', pick(rng, ['0', '96']));
  if (chance(rng, 0.5)) words.push('-w', capture);
  if (chance(rng, 0.7)) words.push(...pick(rng, [['tcp'], ['port', '12345'], ['tcp', 'port', String(pick(rng, PORTS))]]));
  return words.join(' ');
}

function grepStage(rng: Rng): string {
  const flags = [...GREP_FLAGS].filter(() => chance(rng, 0.15));
  return ['grep', ...(flags.length ? [`-${flags.join('')}`] : []), pick(rng, ['12345', 'LISTEN', "'ESTAB|SYN'", 'x'])].join(' ');
}

/** A data source for a pipeline: coreutils yes, with or without its operands. */
function yesStage(rng: Rng): string {
  return pick(rng, ['yes', 'yes', 'yes hello', "yes 'a b'", 'yes --version']);
}

/** An INPUT rule of the table's one shape (appended, inserted or deleted). */
function iptablesLine(rng: Rng): string {
  return `iptables ${pick(rng, IPTABLES_COMMANDS)} INPUT -p tcp ${pick(rng, ['--dport', '--sport'])} ${pick(rng, PORTS)} -j DROP`;
}

function jobSpec(rng: Rng): string {
  return pick(rng, ['%1', '%2', '%%', '%+', '%', '1']);
}

function killLine(rng: Rng, pids: number[]): string {
  const sig = chance(rng, 0.6) ? `-${pick(rng, Object.keys(KILL_SIGNALS))} ` : '';
  const target = chance(rng, 0.8) || !pids.length ? pick(rng, ['%1', '%2', '%%', '%+']) : String(pick(rng, pids));
  return `kill ${sig}${target}`;
}

/** One `$` line from the table (with `&` when a background job makes sense). */
function commandLine(rng: Rng, capture: string, pids: number[]): string {
  const k = rng.below(100);
  let line: string;
  if (k < 30) line = ncLine(rng);
  else if (k < 42) line = ssLine(rng);
  else if (k < 47) line = tcpdumpLine(rng, capture);
  else if (k < 50) line = `sleep ${pick(rng, ['0.1', '0.5', '1', '2'])}`;
  else if (k < 51) line = `${yesStage(rng)} | ${chance(rng, 0.8) ? ncClient(rng) : grepStage(rng)}`;
  else if (k < 52) line = iptablesLine(rng);
  else if (k < 60) line = `${ssLine(rng)} | ${grepStage(rng)}`;
  else if (k < 66) line = `echo ${pick(rng, ['hello', 'a b', "'x y'"])} | ${chance(rng, 0.5) ? ncClient(rng) : grepStage(rng)}`;
  else if (k < 70) line = pick(rng, ['echo', 'echo hi', 'true', 'true | grep x']);
  else if (k < 76) line = 'jobs';
  else if (k < 82) line = `${pick(rng, ['fg', 'bg'])}${chance(rng, 0.5) ? ` ${jobSpec(rng)}` : ''}`;
  else if (k < 92) line = killLine(rng, pids);
  else if (k < 94) line = `exit${chance(rng, 0.5) ? ` ${between(rng, 0, 3)}` : ''}`;
  else if (k < 97) return 'while true; do ss -nat | grep 1234; sleep 1; done';
  else line = `sleep 0.2; ${ssLine(rng)}`;
  const builtin = /^(jobs|fg|bg|kill|exit)\b/.test(line);
  return !builtin && chance(rng, 0.25) ? `${line} &` : line;
}

const TYPED = ['hello', '', 'echo typed', 'ss -nt', 'nc -l 12346', "it's", 'a  b', 'x'.repeat(100)];
const KEYS = ['^C', '^Z', '^D', '^\\'];

export interface GeneratedExperiment {
  index: number;
  text: string;
  /** The steps, one per line, for a failure message. */
  steps: string[];
}

export function generatedRng(seed: number, index: number): Rng {
  return new Rng(jhash3(seed >>> 0, index >>> 0, 0x7ab1e, 0x5eed));
}

/** Experiment `index` of run `seed`: two or three terminals, 3 to 10 steps over a few seconds. */
export function tableExperiment(seed: number, index: number): GeneratedExperiment {
  const rng = generatedRng(seed, index);
  const terms = chance(rng, 0.5) ? ['a', 'b'] : ['a', 'b', 'c'];
  const profile = chance(rng, 0.5) ? 'linux-6.x' : 'linux-4.4';
  const n = between(rng, 3, 10);
  const steps: string[] = [];
  const pids = [301, 302, 303, 304];
  let t = 0;
  // most runs start with a listener, so that clients, typed text and job control meet a connection
  if (chance(rng, 0.7)) {
    t = between(rng, 50, 300);
    steps.push(`${(t / 1000).toFixed(3)} a $ nc ${pick(rng, ['', '-v ', '-k ', '-vn ', '-N '])}-l 12345`);
  }
  for (let i = 0; i < n; i++) {
    t += between(rng, 50, 1000);
    const term = pick(rng, terms);
    const k = rng.below(100);
    const action = k < 65 ? `$ ${commandLine(rng, `cap${i}.pcap`, pids)}` : k < 82 ? `> ${pick(rng, TYPED)}`.trimEnd() : pick(rng, KEYS);
    steps.push(`${(t / 1000).toFixed(3)} ${term} ${action}`);
  }
  // a loop left running ends with the run; the blocks are every terminal's whole screen
  const text = `---
id: generated-${index}
title: { en: generated, zh-CN: generated }
profile: ${profile}
seed: ${index}
host: { hostname: box, user: root }
inputs: { tailNs: 1000000000 }
terminals:
${terms.map((x) => `  ${x}: { history: 1 }`).join('\n')}
---

\`\`\`steps
${steps.join('\n')}
\`\`\`

\`\`\`blocks
${terms.map((x) => `${x} terminal ${x} from start to end`).join('\n')}
\`\`\`
`;
  return { index, text, steps };
}
