/**
 * Parse an experiment file (content/experiments/<id>/experiment.md) into the IR.
 *
 * The file is plain markdown: YAML front matter, prose, a ```steps fence and a ```blocks
 * fence (format reference: content/experiments/FORMAT.md). Every error names
 * `file:line:col` and says what was expected; nothing is ignored silently. Pure module.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import type { ProfileName } from '../model/types.ts';
import { acceptCommandLine, isCmdlineError, SUPPORTED } from '../userland/cmdline.ts';
import type { BlockBound, BlockDecl, Experiment, Key, Loc, MatchOptions, RecordedSet, Step, StepPins, TerminalDecl } from './types.ts';

export class ExperimentError extends Error {
  readonly loc: Loc;
  constructor(loc: Loc, message: string) {
    super(`${loc.file}:${loc.line}:${loc.col}: ${message}`);
    this.loc = loc;
    this.name = 'ExperimentError';
  }
}

export const KNOWN_SYSCTLS = [
  'net.core.somaxconn', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_syn_retries', 'net.ipv4.tcp_synack_retries',
  'net.ipv4.tcp_syn_linear_timeouts', 'net.ipv4.tcp_abort_on_overflow', 'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_challenge_ack_limit', 'net.ipv4.tcp_invalid_ratelimit', 'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_max_syn_backlog', 'net.ipv4.tcp_timestamps', 'net.ipv4.tcp_window_scaling', 'net.ipv4.tcp_sack',
  'net.ipv4.tcp_rfc1337', 'net.ipv4.tcp_tw_reuse',
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
    sysctl: z.partialRecord(z.enum(KNOWN_SYSCTLS), z.union([z.number().int(), z.array(z.number().int()).length(2)])).optional(),
    inputs: z.record(z.string(), z.number()).optional(),
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

export interface ParseOptions {
  /** Does a path (relative to the experiment file's directory) exist? Used for recorded files. */
  exists?: (path: string) => boolean;
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

/** A decimal number of seconds (or with s/ms/us/ns), as exact integer nanoseconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(?:\.(\d{1,9}))?(s|ms|us|µs|ns)?$/.exec(text);
  if (!m) return null;
  const scale = { s: 9, ms: 6, us: 3, µs: 3, ns: 0 }[(m[3] ?? 's') as 's'];
  const frac = (m[2] ?? '').padEnd(scale, '0');
  if (frac.length > scale) return null;
  return Number(m[1]) * 10 ** scale + (frac ? Number(frac) : 0);
}

/** `12.5`, `1:02.5` (minutes:seconds), or `+1.5` / `+250ms` relative to the previous step. */
function parseTime(text: string, prev: number): number | null {
  if (text.startsWith('+')) {
    const d = parseDuration(text.slice(1));
    return d === null ? null : prev + d;
  }
  const mm = /^(\d+):(\d{2}(?:\.\d+)?)$/.exec(text);
  if (mm) {
    const s = parseDuration(mm[2]);
    return s === null ? null : Number(mm[1]) * 60e9 + s;
  }
  return parseDuration(text);
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

function parsePins(text: string, loc: Loc): StepPins {
  const pins: StepPins = {};
  for (const kv of text.trim().split(/\s+/).filter(Boolean)) {
    const [k, v] = kv.split('=');
    const here = { ...loc, col: loc.col + text.indexOf(kv) };
    if (v === undefined) throw new ExperimentError(here, `bad pin \`${kv}\`, expected name=value`);
    if (k === 'pid' || k === 'port') {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0 || (k === 'port' && n > 65535)) throw new ExperimentError(here, `bad ${k} \`${v}\`, expected a positive integer`);
      if (k === 'pid') pins.pid = n;
      else pins.ephemeralPort = n;
    } else if (k === 'startup' || k === 'isnLead') {
      const d = parseDuration(v);
      if (d === null) throw new ExperimentError(here, `bad duration \`${v}\`, expected e.g. 2ms or 15.4us`);
      if (k === 'startup') pins.startupNs = d;
      else pins.isnLeadNs = d;
    } else throw new ExperimentError(here, `unknown pin \`${k}\`, expected pid, port, startup or isnLead`);
  }
  return pins;
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
  if (t === null) throw new ExperimentError(at(w.col), `bad bound \`${w.word}\`, expected start, end, before <label>, after <label> or a time`);
  return [{ kind: 'time', at: t }, i + 1];
}

export function parseExperiment(text: string, file: string, opts: ParseOptions = {}): Experiment {
  const lines = text.split('\n');
  if (lines[0] !== '---') throw new ExperimentError({ file, line: 1, col: 1 }, 'missing front matter, expected `---` on the first line');
  const end = lines.indexOf('---', 1);
  if (end < 0) throw new ExperimentError({ file, line: 1, col: 1 }, 'unclosed front matter, expected a closing `---`');
  const yamlText = lines.slice(1, end).join('\n');
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
  const data = doc.toJS();
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

  // ── steps ──
  const steps: Step[] = [];
  const labels = new Set<string>();
  let prev = 0;
  stepsFences[0].lines.forEach((raw, i) => {
    const line = stepsFences[0].line + i;
    const content = raw.replace(/^\s*#.*$/, '');
    if (!content.trim()) return;
    const m = /^(\s*)(\S+)(\s+)(\S+)(\s+)(.*)$/.exec(content);
    if (!m) throw new ExperimentError({ file, line, col: 1 }, 'bad step, expected `<time> <terminal> <action>`');
    const timeCol = m[1].length + 1;
    const termCol = timeCol + m[2].length + m[3].length;
    const actCol = termCol + m[4].length + m[5].length;
    const at = parseTime(m[2], prev);
    if (at === null) throw new ExperimentError({ file, line, col: timeCol }, `bad time \`${m[2]}\`, expected seconds (12.5), m:ss (1:02.5) or +duration (+1.5, +250ms)`);
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
      pins = parsePins(pm[1], { file, line, col: actCol + pm.index + pm[0].indexOf('{') + 1 });
      action = action.slice(0, pm.index);
    }
    const loc = { file, line, col: actCol };
    let act: Step['action'];
    if (action === '$' || action.startsWith('$ ')) {
      const cmd = action.slice(2);
      if (cmd.trim()) checkCommand(cmd, { file, line, col: actCol + 2 });
      act = { kind: 'command', line: cmd };
    } else if ((KEYS as string[]).includes(action.trim())) {
      act = { kind: 'key', key: action.trim() as Key };
    } else if (/^\^./.test(action.trim())) {
      throw new ExperimentError(loc, `unknown key \`${action.trim()}\`, expected one of ^C ^Z ^D ^\\`);
    } else {
      throw new ExperimentError(loc, `unknown action \`${action.trim()}\`, expected \`$ <command>\` or a key (^C ^Z ^D ^\\)`);
    }
    steps.push({ loc, at, terminal: m[4], action: act, pins, label });
    prev = at;
  });

  // ── blocks ──
  const blocks: BlockDecl[] = [];
  const blockNames = new Set<string>();
  if (blockFences[0]) {
    blockFences[0].lines.forEach((raw, i) => {
      const line = blockFences[0].line + i;
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

  // ── recorded sets ──
  const recorded: RecordedSet[] = [];
  const recNode = isMap(doc.contents) ? doc.contents.get('recorded', true) : undefined;
  (fm.recorded ?? []).forEach((r, i) => {
    const setNode = isSeq(recNode) ? recNode.items[i] : undefined;
    const setLoc = (setNode as YamlNode | undefined)?.range ? posLoc((setNode as YamlNode).range![0]) : fmLoc('recorded');
    const blocksNode = isMap(setNode) ? setNode.get('blocks', true) : undefined;
    const set: RecordedSet = { loc: setLoc, dir: r.dir, profile: r.profile as ProfileName, provenance: Object.fromEntries(Object.entries(r.provenance).map(([k, v]) => [k, String(v)])), blocks: [] };
    for (const [name, spec] of Object.entries(r.blocks)) {
      const pair = isMap(blocksNode) ? blocksNode.items.find((it) => isScalar(it.key) && it.key.value === name) : undefined;
      const bLoc = pair && isScalar(pair.key) && pair.key.range ? posLoc(pair.key.range[0]) : setLoc;
      if (!blockNames.has(name)) throw new ExperimentError(bLoc, `recorded block \`${name}\` is not declared in the \`\`\`blocks block, expected one of ${[...blockNames].join(', ')}`);
      const fileName = typeof spec === 'string' ? spec : spec.file;
      const options: MatchOptions = { ...(r.options ?? {}), ...(typeof spec === 'string' ? {} : { squashSpaces: spec.squashSpaces, trimTrailing: spec.trimTrailing, ignoreBlankLines: spec.ignoreBlankLines, redact: spec.redact }) };
      for (const k of Object.keys(options) as (keyof MatchOptions)[]) if (options[k] === undefined) delete options[k];
      const rel = `${r.dir}/${fileName}`;
      if (opts.exists && !opts.exists(rel)) {
        const vLoc = pair?.value && (pair.value as YamlNode).range ? posLoc((pair.value as YamlNode).range![0]) : bLoc;
        throw new ExperimentError(vLoc, `recorded file ${rel} is missing, expected it beside the experiment file`);
      }
      set.blocks.push({ name, file: fileName, loc: bLoc, options });
    }
    recorded.push(set);
  });

  return {
    file,
    id: fm.id,
    title: fm.title,
    summary: fm.summary,
    profile: fm.profile,
    profiles: fm.profiles ?? [fm.profile],
    sysctl: fm.sysctl ?? {},
    seed: fm.seed,
    host: fm.host,
    inputs: fm.inputs ?? {},
    terminals,
    steps,
    blocks,
    recorded,
  };
}
