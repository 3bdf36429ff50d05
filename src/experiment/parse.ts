/**
 * Parse an experiment file (content/experiments/<id>/experiment.md) into the IR.
 *
 * The file is plain markdown: YAML front matter, prose, a ```steps fence and a ```blocks
 * fence (format reference: content/experiments/FORMAT.md). Every error names
 * `file:line:col` and says what was expected; nothing is ignored silently. Pure module.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import type { ProfileName } from '../model/types.ts';
import { checkCost, COST_NAMES, PROFILES } from '../model/profiles.ts';
import { SYSCTL_TABLE, sysctlWrite } from '../model/sysctl_net_ipv4.ts';
import { acceptCommandLine, isCmdlineError, SUPPORTED } from '../userland/cmdline.ts';
import type { BlockBound, BlockDecl, Experiment, Key, Loc, MatchOptions, RecordedSet, Step, StepPins, TerminalDecl } from './types.ts';

/** Offset where `[`/`{` nesting first exceeds `max` levels (quotes ignored: an estimate), or -1. */
function flowDepthOver(text: string, max: number): number {
  let d = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '{') {
      if (++d > max) return i;
    } else if ((c === ']' || c === '}') && d > 0) d--;
    else if (c === '\n' && d === 0) continue;
  }
  return -1;
}

/** Largest front matter accepted (characters). */
const MAX_FRONT_MATTER = 64 * 1024;

export class ExperimentError extends Error {
  readonly loc: Loc;
  constructor(loc: Loc, message: string) {
    super(`${loc.file}:${loc.line}:${loc.col}: ${message}`);
    this.loc = loc;
    this.name = 'ExperimentError';
  }
}

/** The sysctls the model implements (their ranges per profile: src/model/sysctl_net_ipv4.ts). */
export const KNOWN_SYSCTLS = [
  'net.core.somaxconn', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_syn_retries', 'net.ipv4.tcp_synack_retries',
  'net.ipv4.tcp_syn_linear_timeouts', 'net.ipv4.tcp_abort_on_overflow', 'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_challenge_ack_limit', 'net.ipv4.tcp_invalid_ratelimit', 'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_max_syn_backlog', 'net.ipv4.tcp_timestamps', 'net.ipv4.tcp_window_scaling', 'net.ipv4.tcp_sack',
  'net.ipv4.tcp_rfc1337', 'net.ipv4.tcp_tw_reuse', 'net.ipv4.tcp_retries2',
] as const;

/** Programs and builtins a step may run (the support table of src/userland/cmdline.ts). */
export const KNOWN_COMMANDS = SUPPORTED;
const KEYS: Key[] = ['^C', '^Z', '^D', '^\\'];
const PROFILE = z.enum(['linux-4.4', 'linux-6.x']);
const bilingual = z.object({ en: z.string().min(1), 'zh-CN': z.string().min(1) }).strict();

const matchOptions = z.object({ squashSpaces: z.boolean().optional(), trimTrailing: z.boolean().optional(), ignoreBlankLines: z.boolean().optional(), redact: z.array(z.string()).optional() }).strict();
const recordedBlock = z.union([z.string().min(1), matchOptions.extend({ file: z.string().min(1) }).strict()]);

export const frontMatterSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an id of lowercase letters, digits and dashes'),
    title: bilingual,
    summary: bilingual.optional(),
    profile: PROFILE,
    profiles: z.array(PROFILE).min(1).optional(),
    seed: z.number().int().nonnegative(),
    host: z.object({ hostname: z.string().min(1), user: z.string().min(1) }).strict(),
    // names, values and ranges are checked after the schema, located at the offending node
    sysctl: z.record(z.string(), z.unknown()).optional(),
    inputs: z.record(z.string(), z.unknown()).optional(),
    terminals: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.object({ history: z.number().int().nonnegative(), cols: z.number().int().positive().optional() }).strict()),
    recorded: z
      .array(
        z
          .object({
            dir: z.string().min(1),
            profile: PROFILE,
            provenance: z.record(z.string(), z.union([z.string(), z.number()])),
            options: matchOptions.optional(),
            blocks: z.record(z.string(), recordedBlock),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

/**
 * What a recorded file's path resolves to, after symlinks: a regular file inside the
 * experiment's folder ('ok'), nothing ('missing'), something else ('not-a-file'), or a place
 * outside the folder ('outside').
 */
export type RecordedPathStatus = 'ok' | 'missing' | 'not-a-file' | 'outside';

export interface ParseOptions {
  /**
   * Resolve a recorded path (relative to the experiment file's directory, already checked to
   * stay inside it lexically) on the file system, following symlinks. The parser is pure; the
   * Node side (scripts/lib/experiments.ts) passes realpath-based checks. Without it only the
   * lexical rule applies.
   */
  recordedPath?: (path: string) => RecordedPathStatus;
}

/** The latest a step (or a time bound) may happen: 10^6 s after the experiment's start, in ns. */
export const MAX_TIME_NS = 1_000_000_000_000_000;
/** Longest pinned duration (startup=, isnLead=): 60 s. */
export const MAX_PIN_NS = 60_000_000_000;
/** PID_MAX_LIMIT (include/linux/threads.h, 64-bit): pid_max is at most this, and pids are below pid_max. */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;
/** CLOCK_REALTIME at boot: whole µs (the model's clock) and below 2^61 ns (2043), where a double keeps µs exact. */
export const MAX_REALTIME_NS = 2 ** 61;

/**
 * An integer written as a YAML number, exactly: decimal digits with an optional fraction and
 * exponent (`3e9`, `1.5e9`), as a bigint, or null when it is not a whole number (or not a number).
 */
export function exactInteger(source: string): bigint | null {
  const m = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/.exec(source.trim());
  if (!m) return null;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const exp = Number(m[4] ?? 0) - frac.length;
  let digits = BigInt(m[2] + frac);
  if (exp >= 0) digits *= 10n ** BigInt(exp);
  else {
    const d = 10n ** BigInt(-exp);
    if (digits % d !== 0n) return null;
    digits /= d;
  }
  return m[1] === '-' ? -digits : digits;
}

interface Fence {
  lang: string;
  /** 1-based line of the first content line. */
  line: number;
  lines: string[];
}

/** ```lang fences of the markdown body, with their line numbers. */
function fences(body: string[], firstLine: number): Fence[] {
  const out: Fence[] = [];
  for (let i = 0; i < body.length; i++) {
    const m = /^(`{3,})\s*([\w-]+)?\s*$/.exec(body[i]);
    if (!m) continue;
    const close = body.findIndex((l, j) => j > i && l.trim() === m[1]);
    if (close < 0) throw new ExperimentError({ file: '', line: firstLine + i, col: 1 }, `unclosed ${m[1]} fence, expected a closing ${m[1]}`);
    out.push({ lang: m[2] ?? '', line: firstLine + i + 1, lines: body.slice(i + 1, close) });
    i = close;
  }
  return out;
}

/** A decimal number of seconds (or with s/ms/us/ns) as exact integer nanoseconds (a bigint, unbounded), or null. */
function durationNs(text: string): bigint | null {
  const m = /^(\d+)(?:\.(\d{1,9}))?(s|ms|us|µs|ns)?$/.exec(text);
  if (!m) return null;
  const scale = { s: 9, ms: 6, us: 3, µs: 3, ns: 0 }[(m[3] ?? 's') as 's'];
  const frac = (m[2] ?? '').padEnd(scale, '0');
  if (frac.length > scale) return null;
  return BigInt(m[1]) * 10n ** BigInt(scale) + (frac ? BigInt(frac) : 0n);
}

/**
 * A decimal number of seconds (or with s/ms/us/ns), as exact integer nanoseconds; null when it
 * is not one or is past Number.MAX_SAFE_INTEGER ns (where a double stops being exact).
 */
export function parseDuration(text: string): number | null {
  const d = durationNs(text);
  return d === null || d > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(d);
}

type TimeResult = { ns: number } | { error: string };
const TIME_SYNTAX = 'expected seconds (12.5), m:ss (1:02.5) or +duration (+1.5, +250ms)';

/** `12.5`, `1:02.5` (minutes:seconds), or `+1.5` / `+250ms` relative to `prev`; exact, at most MAX_TIME_NS. */
function parseTime(text: string, prev: number): TimeResult {
  let ns: bigint | null;
  const mm = /^(\d+):(\d{2}(?:\.\d+)?)$/.exec(text);
  if (text.startsWith('+')) {
    const d = durationNs(text.slice(1));
    ns = d === null ? null : BigInt(prev) + d;
  } else if (mm) {
    const s = durationNs(mm[2]);
    if (s !== null && s >= 60_000_000_000n) return { error: `bad time \`${text}\`, expected m:ss with seconds below 60 (1:00 for 60 s)` };
    ns = s === null ? null : BigInt(mm[1]) * 60_000_000_000n + s;
  } else ns = durationNs(text);
  if (ns === null) return { error: `bad time \`${text}\`, ${TIME_SYNTAX}` };
  if (ns > BigInt(MAX_TIME_NS)) return { error: `time \`${text}\` is past the latest time an experiment may use, expected at most ${MAX_TIME_NS / 1e9} s (10^15 ns) after the start` };
  return { ns: Number(ns) };
}

function splitWords(line: string): { word: string; col: number }[] {
  const out: { word: string; col: number }[] = [];
  const re = /'[^']*'|"[^"]*"|\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push({ word: m[0].replace(/^['"]|['"]$/g, ''), col: m.index + 1 });
  return out;
}

/**
 * Hold a `$` line to the command-line grammar shared with the simulated bash and the recorder
 * (src/userland/cmdline.ts): no expansion, redirection or list operator the model lacks, and
 * only the programs and options the model implements.
 */
function checkCommand(cmd: string, loc: Loc): void {
  const r = acceptCommandLine(cmd);
  if (isCmdlineError(r)) throw new ExperimentError({ ...loc, col: loc.col + r.col }, r.message);
}

/** Longest typed line (`> TEXT`): a line of a terminal is what a person types, not a file. */
export const MAX_TYPED = 4096;

/**
 * The text of a `> TEXT` step: printable characters only (a control character would be a key:
 * write ^C, ^D ... as their own steps), at most MAX_TYPED. Trailing blanks are the step's
 * layout, not typed.
 */
function typedText(text: string, loc: Loc): string {
  const t = text.replace(/\s+$/, '');
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0))
      throw new ExperimentError({ ...loc, col: loc.col + i }, `control character U+${c.toString(16).toUpperCase().padStart(4, '0')} in typed text, expected printable text (keys are steps of their own: ^C ^Z ^D ^\\)`);
  }
  if (t.length > MAX_TYPED) throw new ExperimentError({ ...loc, col: loc.col + MAX_TYPED }, `typed line of ${t.length} characters, expected at most ${MAX_TYPED}`);
  return t;
}

/** The ephemeral port range of each profile a run uses: [profile, low, high]. */
type PortRanges = [ProfileName, number, number][];

function parsePins(text: string, loc: Loc, ports: PortRanges): StepPins {
  const pins: StepPins = {};
  const seen = new Set<string>();
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const kv = m[0];
    const eq = kv.indexOf('=');
    const k = eq < 0 ? kv : kv.slice(0, eq);
    const v = eq < 0 ? undefined : kv.slice(eq + 1);
    const here = { ...loc, col: loc.col + m.index };
    if (v === undefined) throw new ExperimentError(here, `bad pin \`${kv}\`, expected name=value`);
    if (seen.has(k)) throw new ExperimentError(here, `pin \`${k}\` given twice in one step, expected each pin at most once`);
    seen.add(k);
    if (k === 'pid' || k === 'port') {
      const big = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
      if (k === 'pid') {
        if (!Number.isInteger(big) || big < 1 || big >= PID_MAX_LIMIT)
          throw new ExperimentError(here, `bad pid \`${v}\`, expected an integer within 1..${PID_MAX_LIMIT - 1} (pids are below pid_max, at most PID_MAX_LIMIT = ${PID_MAX_LIMIT})`);
        pins.pid = big;
      } else {
        if (!Number.isInteger(big) || big < 1 || big > 65535) throw new ExperimentError(here, `bad port \`${v}\`, expected an integer within 1..65535`);
        const out = ports.find(([, lo, hi]) => big < lo || big > hi);
        if (out)
          throw new ExperimentError(here, `port ${v} is outside net.ipv4.ip_local_port_range ${out[1]}..${out[2]} on ${out[0]}, expected an ephemeral port the kernel could pick`);
        pins.ephemeralPort = big;
      }
    } else if (k === 'startup' || k === 'isnLead') {
      const d = durationNs(v);
      if (d === null) throw new ExperimentError(here, `bad duration \`${v}\`, expected e.g. 2ms or 15.4us`);
      if (d > BigInt(MAX_PIN_NS)) throw new ExperimentError(here, `${k} ${v} is too long, expected at most ${MAX_PIN_NS / 1e9} s`);
      if (k === 'startup') pins.startupNs = Number(d);
      else pins.isnLeadNs = Number(d);
    } else throw new ExperimentError(here, `unknown pin \`${k}\`, expected pid, port, startup or isnLead`);
  }
  return pins;
}

/**
 * A relative path normalised ('a/./b/../c' -> 'a/c'), or null when it is absolute, empty of
 * meaning (NUL) or climbs out of the folder it is relative to ('..' past its start).
 */
export function insidePath(p: string): string | null {
  if (p.startsWith('/') || p.includes('\0') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\')) return null;
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

function parseBound(ws: { word: string; col: number }[], i: number, line: number, file: string, labels: Set<string>): [BlockBound, number] {
  const w = ws[i];
  const at = (c: number): Loc => ({ file, line, col: c });
  if (!w) throw new ExperimentError(at(ws.at(-1)!.col + ws.at(-1)!.word.length), 'missing bound, expected start, end, before <label>, after <label> or a time');
  if (w.word === 'start') return [{ kind: 'start' }, i + 1];
  if (w.word === 'end') return [{ kind: 'end' }, i + 1];
  if (w.word === 'before' || w.word === 'after') {
    const l = ws[i + 1];
    if (!l) throw new ExperimentError(at(w.col + w.word.length), `missing label after \`${w.word}\``);
    if (!labels.has(l.word)) throw new ExperimentError(at(l.col), `unknown label \`${l.word}\`, expected a #label of the steps block`);
    return [{ kind: w.word, label: l.word }, i + 2];
  }
  const t = parseTime(w.word, 0);
  if ('error' in t) {
    const syntax = t.error.endsWith(TIME_SYNTAX);
    throw new ExperimentError(at(w.col), syntax ? `bad bound \`${w.word}\`, expected start, end, before <label>, after <label> or a time` : t.error);
  }
  return [{ kind: 'time', at: t.ns }, i + 1];
}

/** The parsed front matter and the locators of its YAML nodes, for errors at the offending node. */
interface FrontMatter {
  fm: z.infer<typeof frontMatterSchema>;
  doc: ReturnType<typeof parseDocument>;
  posLoc: (offset: number) => Loc;
  /** A top-level key's location (or line 1). */
  fmLoc: (key: string) => Loc;
  /** The key and value nodes of `section.name` in the front matter. */
  entry: (section: string, name: string) => { keyLoc: Loc; valueLoc: Loc; value: YamlNode | undefined };
}

/** The YAML between the `---` lines: no aliases, plain keys, the schema; errors at their node. */
function parseFrontMatter(yamlText: string, file: string): FrontMatter {
  const lc = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lc, uniqueKeys: true });
  const posLoc = (offset: number): Loc => {
    const p = lc.linePos(offset);
    return { file, line: p.line + 1, col: p.col };
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new ExperimentError(posLoc(e.pos[0]), `invalid YAML front matter: ${e.message.split('\n')[0]}`);
  }
  // aliases (*name) are refused, defined or not: the front matter is small enough to write out,
  // and an alias can expand exponentially (or, undefined, fail later without a location)
  visit(doc, {
    Alias(_k, n) {
      throw new ExperimentError(posLoc(n.range?.[0] ?? 0), `YAML alias \`*${n.source}\` in front matter, expected the value written out (aliases are not allowed)`);
    },
  });
  // keys are plain words: a collection as a key (`? [a, b]`) would be stringified by toJS()
  visit(doc, {
    Pair(_k, pair) {
      const key = pair.key as YamlNode | null;
      if (key && !isScalar(key)) throw new ExperimentError(posLoc(key.range?.[0] ?? 0), 'a YAML collection used as a key in front matter, expected a plain key');
    },
  });
  const data = doc.toJS({ maxAliasCount: 0 });
  const parsed = frontMatterSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String);
    // locate the offending node (or its parent key) in the YAML source
    let node: unknown = doc.contents;
    let loc = posLoc(0);
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === seg);
        if (!pair) break;
        if (isScalar(pair.key) && pair.key.range) loc = posLoc(pair.key.range[0]);
        node = pair.value;
      } else if (isSeq(node)) {
        node = node.items[Number(seg)];
        const r = (node as YamlNode | undefined)?.range;
        if (r) loc = posLoc(r[0]);
      }
    }
    if (issue.code === 'unrecognized_keys' && isMap(node)) {
      const bad = node.items.find((it) => isScalar(it.key) && issue.keys.includes(String(it.key.value)));
      if (bad && isScalar(bad.key) && bad.key.range) loc = posLoc(bad.key.range[0]);
      if (path.length === 1 && path[0] === 'sysctl')
        throw new ExperimentError(loc, `unknown sysctl \`${issue.keys[0]}\`, expected one of ${KNOWN_SYSCTLS.join(', ')}`);
      throw new ExperimentError(loc, `unknown key \`${issue.keys[0]}\` in ${path.join('.') || 'front matter'}, expected one of the documented keys`);
    }
    if (path[0] === 'sysctl' && issue.code === 'invalid_key')
      throw new ExperimentError(loc, `unknown sysctl, expected one of ${KNOWN_SYSCTLS.join(', ')}`);
    throw new ExperimentError(loc, `${path.join('.') || 'front matter'}: ${issue.message}`);
  }
  const fm = parsed.data;
  const fmLoc = (key: string): Loc => {
    const pair = isMap(doc.contents) ? doc.contents.items.find((it) => isScalar(it.key) && it.key.value === key) : undefined;
    return pair && isScalar(pair.key) && pair.key.range ? posLoc(pair.key.range[0]) : { file, line: 1, col: 1 };
  };
  /** The key and value nodes of `section.name` in the front matter, for locating its errors. */
  const entry = (section: string, name: string) => {
    const sec = isMap(doc.contents) ? doc.contents.get(section, true) : undefined;
    const pair = isMap(sec) ? sec.items.find((it) => isScalar(it.key) && String(it.key.value) === name) : undefined;
    const keyLoc = pair && isScalar(pair.key) && pair.key.range ? posLoc(pair.key.range[0]) : fmLoc(section);
    const v = pair?.value as YamlNode | undefined;
    return { keyLoc, valueLoc: v?.range ? posLoc(v.range[0]) : keyLoc, value: v };
  };
  return { fm, doc, posLoc, fmLoc, entry };
}

/** sysctls: known names, decimal integers, each within its proc handler's range on every profile. */
function parseSysctls(f: FrontMatter, profiles: ProfileName[]): Record<string, number | number[]> {
  const { fm, posLoc, entry } = f;
  const sysctl: Record<string, number | number[]> = {};
  for (const [name, raw] of Object.entries(fm.sysctl ?? {})) {
    const { keyLoc, valueLoc, value } = entry('sysctl', name);
    if (!(KNOWN_SYSCTLS as readonly string[]).includes(name)) throw new ExperimentError(keyLoc, `unknown sysctl \`${name}\`, expected one of ${KNOWN_SYSCTLS.join(', ')}`);
    const scalars = isSeq(value) ? value.items : [value];
    for (const it of scalars) {
      const src = isScalar(it) && typeof it.value === 'number' ? (it.source ?? String(it.value)) : undefined;
      if (src === undefined || !/^-?\d+$/.test(src)) {
        const at = (it as YamlNode | undefined)?.range ? posLoc((it as YamlNode).range![0]) : valueLoc;
        const shown = src ?? (isScalar(it) ? JSON.stringify(it.value) : JSON.stringify(raw));
        throw new ExperimentError(at, `${name}: \`${shown}\` is not a decimal integer, expected ${name === 'net.ipv4.ip_local_port_range' ? 'two integers [low, high]' : 'an integer'}`);
      }
    }
    const v = Array.isArray(raw) ? (raw as number[]) : (raw as number);
    for (const p of profiles) {
      const w = sysctlWrite(p, PROFILES[p].HZ, name, v);
      if (w.err) throw new ExperimentError(valueLoc, `${name}: ${(w as { message: string }).message}`);
    }
    sysctl[name] = v;
  }
  return sysctl;
}

/** inputs: known keys, exact non-negative integers within the bounds the model keeps exact. */
function parseInputs(f: FrontMatter): Record<string, number> {
  const { fm, entry } = f;
  const inputs: Record<string, number> = {};
  const INPUT_KEYS = ['realtimeStart', 'bootNs', 'isnSecret', 'tailNs', 'noDns', ...COST_NAMES.map((c) => `cost.${c}`)];
  for (const [key, raw] of Object.entries(fm.inputs ?? {})) {
    const { keyLoc, valueLoc, value } = entry('inputs', key);
    if (!INPUT_KEYS.includes(key)) {
      if (key.startsWith('cost.')) throw new ExperimentError(keyLoc, `unknown input \`${key}\`: ${checkCost(key.slice(5), 0)}`);
      throw new ExperimentError(keyLoc, `unknown input \`${key}\`, expected realtimeStart, bootNs, isnSecret, tailNs, noDns or cost.<name> (${COST_NAMES.join(', ')})`);
    }
    const src = isScalar(value) && typeof value.value === 'number' ? (value.source ?? String(value.value)) : undefined;
    const n = src === undefined ? null : exactInteger(src);
    if (n === null) throw new ExperimentError(valueLoc, `inputs.${key}: \`${src ?? JSON.stringify(raw)}\` is not a whole number, expected an integer`);
    const within = (lo: bigint, hi: bigint, what: string) => {
      if (n < lo || n > hi) throw new ExperimentError(valueLoc, `inputs.${key}: ${src} is out of range, expected ${what}`);
    };
    if (key === 'realtimeStart') {
      within(0n, BigInt(MAX_REALTIME_NS), `ns since the epoch within 0..${BigInt(MAX_REALTIME_NS)} (2^61 ns, 2043-01-25: the model keeps CLOCK_REALTIME in whole µs in a double, exact below it)`);
      if (n % 1000n !== 0n) throw new ExperimentError(valueLoc, `inputs.realtimeStart: ${src} is not a whole number of µs, expected a multiple of 1000 ns (the model keeps CLOCK_REALTIME in µs)`);
      // the model's own conversion (Kernel: Math.round(ns / 1000)) gives back the exact µs
      if (BigInt(Math.round(Number(n) / 1000)) !== n / 1000n) throw new ExperimentError(valueLoc, `inputs.realtimeStart: ${src} is not exact in the model's µs clock`);
    } else if (key === 'bootNs') within(1_000_000n, BigInt(MAX_TIME_NS), `ns after boot within 1000000..${MAX_TIME_NS} (1 ms to 10^6 s: the shells start 1 ms before the experiment)`);
    else if (key === 'tailNs') within(0n, BigInt(MAX_TIME_NS), `ns within 0..${MAX_TIME_NS} (at most 10^6 s after the last step)`);
    else if (key === 'isnSecret') within(0n, 4294967295n, 'a u32, 0..4294967295 (the model keys secure_tcp_seq() with 32 bits)');
    else if (key === 'noDns') within(0n, 1n, '0 or 1');
    else {
      const why = checkCost(key.slice(5), Number(n));
      if (why) throw new ExperimentError(valueLoc, `inputs.${key}: ${why}`);
    }
    inputs[key] = Number(n);
  }

  return inputs;
}

/** The ```steps fence: time, terminal, action, pins, label per line. */
function parseSteps(fence: Fence, file: string, termNames: Set<string>, portRanges: PortRanges): { steps: Step[]; labels: Set<string> } {
  const steps: Step[] = [];
  const labels = new Set<string>();
  let prev = 0;
  fence.lines.forEach((raw, i) => {
    const line = fence.line + i;
    const content = raw.replace(/^\s*#.*$/, '');
    if (!content.trim()) return;
    const m = /^(\s*)(\S+)(\s+)(\S+)(\s+)(.*)$/.exec(content);
    if (!m) throw new ExperimentError({ file, line, col: 1 }, 'bad step, expected `<time> <terminal> <action>`');
    const timeCol = m[1].length + 1;
    const termCol = timeCol + m[2].length + m[3].length;
    const actCol = termCol + m[4].length + m[5].length;
    const t = parseTime(m[2], prev);
    if ('error' in t) throw new ExperimentError({ file, line, col: timeCol }, t.error);
    const at = t.ns;
    if (at < prev) throw new ExperimentError({ file, line, col: timeCol }, `time ${m[2]} goes backwards, expected a time at or after the previous step`);
    if (!termNames.has(m[4])) throw new ExperimentError({ file, line, col: termCol }, `unknown terminal \`${m[4]}\`, expected one declared in the front matter (${[...termNames].join(', ')})`);
    let action = m[6];
    let label: string | undefined;
    const lm = /\s+#([\w-]+)\s*$/.exec(action);
    if (lm) {
      label = lm[1];
      if (labels.has(label)) throw new ExperimentError({ file, line, col: actCol + lm.index + lm[0].indexOf('#') }, `label #${label} used twice, expected a unique label`);
      labels.add(label);
      action = action.slice(0, lm.index);
    }
    let pins: StepPins = {};
    const pm = /\s+\{([^{}]*)\}\s*$/.exec(action);
    if (pm) {
      pins = parsePins(pm[1], { file, line, col: actCol + pm.index + pm[0].indexOf('{') + 1 }, portRanges);
      action = action.slice(0, pm.index);
    }
    const loc = { file, line, col: actCol };
    let act: Step['action'];
    if (action === '$' || action.startsWith('$ ')) {
      const cmd = action.slice(2);
      if (cmd.trim()) checkCommand(cmd, { file, line, col: actCol + 2 });
      act = { kind: 'command', line: cmd };
    } else if (action === '>' || action.startsWith('> ')) {
      act = { kind: 'type', line: typedText(action.slice(2), { file, line, col: actCol + 2 }) };
    } else if ((KEYS as string[]).includes(action.trim())) {
      act = { kind: 'key', key: action.trim() as Key };
    } else if (/^\^./.test(action.trim())) {
      throw new ExperimentError(loc, `unknown key \`${action.trim()}\`, expected one of ^C ^Z ^D ^\\`);
    } else {
      throw new ExperimentError(loc, `unknown action \`${action.trim()}\`, expected \`$ <command>\`, \`> <typed text>\` or a key (^C ^Z ^D ^\\)`);
    }
    steps.push({ loc, at, terminal: m[4], action: act, pins, label });
    prev = at;
  });

  return { steps, labels };
}

/** The ```blocks fence: terminal windows, Wireshark frames, tcpdump text. */
function parseBlocks(fence: Fence | undefined, file: string, termNames: Set<string>, labels: Set<string>): BlockDecl[] {
  const blocks: BlockDecl[] = [];
  const blockNames = new Set<string>();
  if (fence) {
    fence.lines.forEach((raw, i) => {
      const line = fence.line + i;
      const content = raw.replace(/^\s*#.*$/, '');
      if (!content.trim()) return;
      const ws = splitWords(content);
      const loc = { file, line, col: ws[0].col };
      const name = ws[0].word;
      if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new ExperimentError(loc, `bad block name \`${name}\`, expected lowercase letters, digits and dashes`);
      if (blockNames.has(name)) throw new ExperimentError(loc, `block name \`${name}\` used twice, expected unique block names`);
      blockNames.add(name);
      const kind = ws[1];
      if (!kind) throw new ExperimentError({ file, line, col: ws[0].col + name.length }, 'missing block kind, expected terminal, wireshark or tcpdump');
      if (kind.word === 'terminal') {
        const term = ws[2];
        if (!term || !termNames.has(term.word)) throw new ExperimentError({ file, line, col: term?.col ?? kind.col + 8 }, `unknown terminal \`${term?.word ?? ''}\`, expected one of ${[...termNames].join(', ')}`);
        if (ws[3]?.word !== 'from') throw new ExperimentError({ file, line, col: ws[3]?.col ?? term.col + term.word.length }, 'expected `from <bound>`');
        const [from, j] = parseBound(ws, 4, line, file, labels);
        if (ws[j]?.word !== 'to') throw new ExperimentError({ file, line, col: ws[j]?.col ?? ws[j - 1].col + ws[j - 1].word.length }, 'expected `to <bound>`');
        const [to, k] = parseBound(ws, j + 1, line, file, labels);
        if (ws[k]) throw new ExperimentError({ file, line, col: ws[k].col }, `unexpected \`${ws[k].word}\` after the block's bounds`);
        blocks.push({ loc, name, kind: 'terminal', terminal: term.word, from, to });
      } else if (kind.word === 'wireshark') {
        const cap = ws[2];
        const fr = ws[4];
        const m = fr ? /^(\d+)-(\d+)$/.exec(fr.word) : null;
        if (!cap || ws[3]?.word !== 'frames' || !m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1]))
          throw new ExperimentError({ file, line, col: (fr ?? ws[3] ?? cap ?? kind).col }, 'expected `wireshark <capture file> frames <first>-<last>`');
        blocks.push({ loc, name, kind: 'wireshark', capture: cap.word, frames: [Number(m[1]), Number(m[2])] });
      } else if (kind.word === 'tcpdump') {
        if (!ws[2]) throw new ExperimentError({ file, line, col: kind.col + kind.word.length }, 'expected `tcpdump <capture file>`');
        blocks.push({ loc, name, kind: 'tcpdump', capture: ws[2].word });
      } else throw new ExperimentError({ file, line, col: kind.col }, `unknown block kind \`${kind.word}\`, expected terminal, wireshark or tcpdump`);
    });
  }

  return blocks;
}

/** recorded: sets of real outputs, their files confined to the experiment's folder. */
function parseRecorded(f: FrontMatter, blockNames: Set<string>, opts: ParseOptions): RecordedSet[] {
  const { fm, doc, posLoc, fmLoc } = f;
  const recorded: RecordedSet[] = [];
  const recNode = isMap(doc.contents) ? doc.contents.get('recorded', true) : undefined;
  (fm.recorded ?? []).forEach((r, i) => {
    const setNode = isSeq(recNode) ? recNode.items[i] : undefined;
    const setLoc = (setNode as YamlNode | undefined)?.range ? posLoc((setNode as YamlNode).range![0]) : fmLoc('recorded');
    const blocksNode = isMap(setNode) ? setNode.get('blocks', true) : undefined;
    const dirNode = isMap(setNode) ? (setNode.get('dir', true) as YamlNode | undefined) : undefined;
    const dirLoc = dirNode?.range ? posLoc(dirNode.range[0]) : setLoc;
    const dirPath = insidePath(r.dir);
    if (dirPath === null) throw new ExperimentError(dirLoc, `recorded dir \`${r.dir}\` leaves the experiment's folder, expected a relative path inside it (e.g. recorded/<set>)`);
    if (opts.recordedPath && dirPath !== '' && opts.recordedPath(dirPath) === 'outside')
      throw new ExperimentError(dirLoc, `recorded dir \`${r.dir}\` resolves outside the experiment's folder (through a symlink), expected a folder inside it`);
    const set: RecordedSet = { loc: setLoc, dir: r.dir, profile: r.profile as ProfileName, provenance: Object.fromEntries(Object.entries(r.provenance).map(([k, v]) => [k, String(v)])), blocks: [] };
    for (const [name, spec] of Object.entries(r.blocks)) {
      const pair = isMap(blocksNode) ? blocksNode.items.find((it) => isScalar(it.key) && it.key.value === name) : undefined;
      const bLoc = pair && isScalar(pair.key) && pair.key.range ? posLoc(pair.key.range[0]) : setLoc;
      if (!blockNames.has(name)) throw new ExperimentError(bLoc, `recorded block \`${name}\` is not declared in the \`\`\`blocks block, expected one of ${[...blockNames].join(', ')}`);
      const fileName = typeof spec === 'string' ? spec : spec.file;
      const options: MatchOptions = { ...(r.options ?? {}), ...(typeof spec === 'string' ? {} : { squashSpaces: spec.squashSpaces, trimTrailing: spec.trimTrailing, ignoreBlankLines: spec.ignoreBlankLines, redact: spec.redact }) };
      for (const k of Object.keys(options) as (keyof MatchOptions)[]) if (options[k] === undefined) delete options[k];
      const rel = `${r.dir}/${fileName}`;
      // the file's value: a plain string, or `file:` of a block with options
      let vNode = pair?.value as YamlNode | undefined;
      if (isMap(vNode)) vNode = vNode.get('file', true) as YamlNode | undefined;
      const vLoc = vNode?.range ? posLoc(vNode.range[0]) : bLoc;
      const path = insidePath(rel);
      if (path === null) throw new ExperimentError(vLoc, `recorded file \`${fileName}\` leaves the experiment's folder (${rel}), expected a file inside ${r.dir}`);
      const status = opts.recordedPath?.(path) ?? 'ok';
      if (status === 'missing') throw new ExperimentError(vLoc, `recorded file ${rel} is missing, expected it beside the experiment file`);
      if (status === 'outside') throw new ExperimentError(vLoc, `recorded file ${rel} resolves outside the experiment's folder (through a symlink), expected a regular file inside it`);
      if (status === 'not-a-file') throw new ExperimentError(vLoc, `recorded file ${rel} is not a regular file, expected a text file`);
      set.blocks.push({ name, file: fileName, loc: bLoc, options });
    }
    recorded.push(set);
  });

  return recorded;
}

export function parseExperiment(source: string, file: string, opts: ParseOptions = {}): Experiment {
  // a UTF-8 BOM and CRLF line ends are what some editors save: drop them before anything counts
  // lines or columns (the BOM precedes column 1; a CR only ever ends a line)
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const lines = text.split('\n');
  if (lines[0] !== '---') throw new ExperimentError({ file, line: 1, col: 1 }, 'missing front matter, expected `---` on the first line');
  const end = lines.indexOf('---', 1);
  if (end < 0) throw new ExperimentError({ file, line: 1, col: 1 }, 'unclosed front matter, expected a closing `---`');
  const yamlText = lines.slice(1, end).join('\n');
  // a front matter is a screenful; a huge or deeply nested one only costs the parser memory
  if (yamlText.length > MAX_FRONT_MATTER) throw new ExperimentError({ file, line: end + 1, col: 1 }, `front matter of ${yamlText.length} characters, expected at most ${MAX_FRONT_MATTER}`);
  const depth = flowDepthOver(yamlText, 32);
  if (depth >= 0) {
    const before = yamlText.slice(0, depth).split('\n');
    throw new ExperimentError({ file, line: before.length + 1, col: before.at(-1)!.length + 1 }, 'YAML nested more than 32 levels deep in front matter, expected the documented keys');
  }
  const f = parseFrontMatter(yamlText, file);
  const { fm, fmLoc } = f;
  const profiles = fm.profiles ?? [fm.profile];
  const sysctl = parseSysctls(f, profiles);
  /** [profile, low, high] of the ephemeral port range each run uses, overrides applied. */
  const portRanges: PortRanges = profiles.map((p) => {
    const [lo, hi] = (sysctl['net.ipv4.ip_local_port_range'] as number[] | undefined) ?? PROFILES[p].sysctl['net.ipv4.ip_local_port_range'];
    return [p, lo, hi];
  });

  const inputs = parseInputs(f);
  const terminals: TerminalDecl[] = Object.entries(fm.terminals).map(([name, t]) => ({ loc: fmLoc('terminals'), name, history: t.history, cols: t.cols ?? 80 }));
  const termNames = new Set(terminals.map((t) => t.name));

  let fs: Fence[];
  try {
    fs = fences(lines.slice(end + 1), end + 2);
  } catch (e) {
    if (e instanceof ExperimentError) throw new ExperimentError({ ...e.loc, file }, e.message.replace(/^:\d+:\d+: /, ''));
    throw e;
  }
  const stepsFences = fs.filter((f) => f.lang === 'steps');
  const blockFences = fs.filter((f) => f.lang === 'blocks');
  if (stepsFences.length !== 1) throw new ExperimentError({ file, line: end + 2, col: 1 }, `expected exactly one \`\`\`steps block, found ${stepsFences.length}`);
  if (blockFences.length > 1) throw new ExperimentError({ file, line: blockFences[1].line - 1, col: 1 }, 'expected at most one ```blocks block');

  const { steps, labels } = parseSteps(stepsFences[0], file, termNames, portRanges);
  const blocks = parseBlocks(blockFences[0], file, termNames, labels);
  const blockNames = new Set(blocks.map((b) => b.name));
  const recorded = parseRecorded(f, blockNames, opts);

  return {
    file,
    id: fm.id,
    title: fm.title,
    summary: fm.summary,
    profile: fm.profile,
    profiles,
    sysctl,
    seed: fm.seed,
    host: fm.host,
    inputs,
    terminals,
    steps,
    blocks,
    recorded,
  };
}
