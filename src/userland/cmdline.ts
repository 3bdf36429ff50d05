/**
 * The command-line grammar of tcp-lab: the one definition of what a shell line may contain,
 * shared by the experiment parser (src/experiment/parse.ts), the simulated bash
 * (src/userland/bash.ts) and the real-kernel recorder (src/recorder/record.ts).
 *
 * It is bash's grammar cut down to what the model implements, so that a line it accepts means
 * the same thing to the simulator and to the real bash the recorder runs:
 *
 *  - words, with bash's quoting: '…' (literal), "…" (literal except \" \\ \$ \`), and a
 *    backslash outside quotes escaping the next character;
 *  - pipelines (`a | b`), lists (`a; b`), and the watch loop `while true; do <list>; done`;
 *  - one `&` at the end of the line: the last pipeline runs as a background job (`cmd &`).
 *
 * Everything else bash would expand or interpret is refused with the column where it starts:
 * parameter expansion and command substitution (`$`, backquotes), redirections (`<` `>`), `&&`,
 * `||`, `&` anywhere but at the end, subshells and groups, globs (`*` `?` `[`), brace and tilde expansion, history
 * expansion (`!`), comments, control characters. Inside the accepted language no word is ever
 * expanded, so the recorder can hand the words to bash single-quoted and bash runs exactly
 * those argument vectors.
 *
 * Then `checkSupport()` holds a line to the support table: the programs and builtins the model
 * has, with the options each one implements (the same ones the simulated programs parse, and
 * the recorder can run).
 *
 * Pure module. Columns are 0-based offsets into the line.
 */

export interface Word {
  /** The word after quote removal. */
  text: string;
  /** Offset of its first character in the line. */
  col: number;
  /** Whether any part of it was quoted or escaped (bash's "quoted" for reserved words). */
  quoted: boolean;
  /** The word as typed, quotes included (bash shows jobs this way: `[1]+  Running  echo 'a b' &`). */
  raw?: string;
}

/** One program with its arguments: `argv[0]` is the command name. */
export interface SimpleCommand {
  words: Word[];
  col: number;
}

export interface Pipeline {
  stages: SimpleCommand[];
  col: number;
  /** The pipeline's source text (for job-control messages: `[1]+  Stopped  nc -l 12345`). */
  text: string;
  /** Ended by `&`: bash runs it as a background job (`[1] 4242`) and reads the next line. */
  background?: boolean;
}

export type CommandLine =
  /** `p1; p2; …` (one pipeline for a plain command line). Empty for a blank line. */
  | { kind: 'list'; items: Pipeline[] }
  /** `while true; do p1; p2; …; done` */
  | { kind: 'loop'; body: Pipeline[] };

export interface CmdlineError {
  col: number;
  message: string;
}

export const isCmdlineError = (x: unknown): x is CmdlineError => typeof x === 'object' && x !== null && 'message' in x && 'col' in x && !('kind' in x);

type Token = { t: 'word'; w: Word; end: number } | { t: 'op'; op: '|' | ';' | '&'; col: number };

const REFUSED: Record<string, string> = {
  '$': 'expansions (`$`) are not modelled; quote a literal $ with \'…\'',
  '`': 'command substitution (`…`) is not modelled',
  '<': 'redirections are not modelled',
  '>': 'redirections are not modelled',
  '(': 'subshells are not modelled; quote a literal ( with \'…\'',
  ')': 'subshells are not modelled; quote a literal ) with \'…\'',
  '{': 'brace expansion and groups are not modelled; quote a literal { with \'…\'',
  '}': 'brace expansion and groups are not modelled; quote a literal } with \'…\'',
  '*': 'pathname expansion (globs) is not modelled; quote the pattern with \'…\'',
  '?': 'pathname expansion (globs) is not modelled; quote the pattern with \'…\'',
  '[': 'pathname expansion (globs) is not modelled; quote the pattern with \'…\'',
  '!': 'history expansion (`!`) is not modelled; quote a literal ! with \'…\'',
};

const isControl = (c: string): boolean => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;
const controlError = (col: number, c: string): CmdlineError => ({ col, message: `control character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} in the command line` });

/** Split a line into words and operators, refusing what the model does not implement. */
function tokenize(line: string): Token[] | CmdlineError {
  const out: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '|' || c === ';' || c === '&') {
      const two = line.slice(i, i + 2);
      if (two === '||' || two === '&&') return { col: i, message: `\`${two}\` lists are not modelled, expected \`|\` or \`;\`` };
      if (two === '|&') return { col: i, message: '`|&` is not modelled, expected `|`' };
      if (two === ';;') return { col: i, message: "syntax error near unexpected token `;;'" };
      if (c === '&' && line.slice(i + 1).trim()) return { col: i, message: '`&` is modelled only at the end of the line (`cmd &`), expected a newline after it' };
      out.push({ t: 'op', op: c, col: i });
      i++;
      continue;
    }
    if (c === '#') return { col: i, message: 'comments are not modelled here; put a #label at the end of the step' };
    // a word: runs until an unquoted blank or operator
    const start = i;
    let text = '';
    let quoted = false;
    while (i < n) {
      const d = line[i];
      if (d === ' ' || d === '\t' || d === '|' || d === ';' || d === '&') break;
      if (isControl(d)) return controlError(i, d);
      if (d === "'") {
        const close = line.indexOf("'", i + 1);
        if (close < 0) return { col: i, message: 'unterminated quote, expected a closing \'' };
        text += line.slice(i + 1, close);
        quoted = true;
        i = close + 1;
        continue;
      }
      if (d === '"') {
        quoted = true;
        i++;
        for (;;) {
          if (i >= n) return { col: start, message: 'unterminated quote, expected a closing "' };
          const e = line[i];
          if (e === '"') break;
          if (e === '\\' && i + 1 < n && '"\\$`'.includes(line[i + 1])) {
            text += line[i + 1];
            i += 2;
            continue;
          }
          if (e === '$' || e === '`' || e === '!') return { col: i, message: e === '!' ? REFUSED['!'] : e === '$' ? 'expansions (`$`) are not modelled, even in "…"; quote a literal $ with \'…\'' : REFUSED['`'] };
          if (isControl(e)) return controlError(i, e);
          text += e;
          i++;
        }
        i++;
        continue;
      }
      if (d === '\\') {
        if (i + 1 >= n) return { col: i, message: 'a backslash at the end of the line (line continuation) is not modelled' };
        text += line[i + 1];
        quoted = true;
        i += 2;
        continue;
      }
      if (d === '~' && i === start) return { col: i, message: 'tilde expansion is not modelled; quote a literal ~ with \'…\'' };
      const why = REFUSED[d];
      if (why) return { col: i, message: why };
      text += d;
      i++;
    }
    out.push({ t: 'word', w: { text, col: start, quoted, raw: line.slice(start, i) }, end: i });
  }
  return out;
}

/** Parse a command line (syntax only). A blank line gives an empty list. */
export function parseCommandLine(line: string): CommandLine | CmdlineError {
  const toks = tokenize(line);
  if (isCmdlineError(toks)) return toks;
  const isWord = (k: number, text: string): boolean => {
    const t = toks[k];
    return t?.t === 'word' && !t.w.quoted && t.w.text === text;
  };
  const amp = toks.findIndex((t) => t.t === 'op' && t.op === '&');
  if (isWord(0, 'while')) {
    if (amp >= 0) return { col: (toks[amp] as { col: number }).col, message: 'a loop in the background (`while …; done &`) is not modelled' };
    // while true; do LIST; done
    if (!isWord(1, 'true')) return { col: toks[1]?.t === 'word' ? toks[1].w.col : line.length, message: 'unsupported loop, expected `while true; do <commands>; done`' };
    if (toks[2]?.t !== 'op' || toks[2].op !== ';' || !isWord(3, 'do'))
      return { col: toks[2] ? (toks[2].t === 'op' ? toks[2].col : toks[2].w.col) : line.length, message: 'unsupported loop, expected `while true; do <commands>; done`' };
    const last = toks.length - 1;
    if (!isWord(last, 'done') || toks[last - 1]?.t !== 'op' || (toks[last - 1] as { op: string }).op !== ';')
      return { col: line.length, message: 'unterminated loop, expected `; done` at the end of the line' };
    const body = pipelines(line, toks.slice(4, last - 1));
    if (isCmdlineError(body)) return body;
    if (!body.length) return { col: (toks[last - 1] as { col: number }).col, message: "syntax error near unexpected token `;'" };
    for (const p of body)
      for (const s of p.stages)
        if (!s.words[0].quoted && ['while', 'do', 'done'].includes(s.words[0].text)) return { col: s.col, message: 'nested or misplaced loop keywords are not modelled, expected `while true; do <commands>; done`' };
    return { kind: 'loop', body };
  }
  const items = pipelines(line, toks);
  if (isCmdlineError(items)) return items;
  if (amp >= 0) {
    if (!items.length) return { col: (toks[amp] as { col: number }).col, message: "syntax error near unexpected token `&'" };
    items[items.length - 1].background = true;
  }
  for (const p of items)
    for (const s of p.stages)
      if (!s.words[0].quoted && ['while', 'do', 'done', 'until', 'for', 'if', 'then', 'fi', 'case', 'esac', 'function', 'select'].includes(s.words[0].text))
        return { col: s.col, message: s.words[0].text === 'while' ? 'a loop must start the line: `while true; do <commands>; done`' : `\`${s.words[0].text}\` is not modelled, expected \`while true; do <commands>; done\`` };
  return { kind: 'list', items };
}

/** `p1; p2;` → pipelines (a trailing `;` is allowed, an empty command between separators is not). */
function pipelines(line: string, toks: Token[]): Pipeline[] | CmdlineError {
  const out: Pipeline[] = [];
  let stages: SimpleCommand[] = [];
  let cur: Word[] = [];
  let pipeStart = -1;
  let lastEnd = 0;
  const endStage = (op: { col: number; op: string } | null): CmdlineError | null => {
    if (!cur.length) {
      if (op) return { col: op.col, message: `syntax error near unexpected token \`${op.op}'` };
      return null;
    }
    stages.push({ words: cur, col: cur[0].col });
    cur = [];
    return null;
  };
  const endPipeline = () => {
    if (stages.length) out.push({ stages, col: pipeStart, text: line.slice(pipeStart, lastEnd).trim() });
    stages = [];
    pipeStart = -1;
  };
  for (const t of toks) {
    if (t.t === 'word') {
      if (pipeStart < 0) pipeStart = t.w.col;
      cur.push(t.w);
      lastEnd = t.end;
      continue;
    }
    const e = endStage(t);
    if (e) return e;
    if (t.op === ';' || t.op === '&') endPipeline();
  }
  if (!cur.length && stages.length) {
    // `a |` at the end: bash would read a continuation line
    return { col: line.length, message: 'a pipeline ends with `|`, expected a command after it' };
  }
  endStage(null);
  endPipeline();
  return out;
}

/** Every pipeline of a line, in order (the loop's body for a loop). */
export function linePipelines(cl: CommandLine): Pipeline[] {
  return cl.kind === 'loop' ? cl.body : cl.items;
}

// ───────────────────────────── the support table ─────────────────────────────

/** Builtins the simulated bash implements (the recorder emulates them or lets bash run them). */
export const BUILTINS = ['echo', 'true', 'kill', 'fg', 'bg', 'jobs', 'exit'] as const;
/** Programs installed on the simulated host (src/userland/index.ts). */
export const PROGRAMS = ['nc', 'ss', 'tcpdump', 'sleep', 'grep', 'yes', 'iptables'] as const;
/** Every command an experiment may run, for messages. */
export const SUPPORTED = [...PROGRAMS, ...BUILTINS, 'while'];

/** Signals `kill -SIG` accepts (bash's names and numbers on Linux x86). */
export const KILL_SIGNALS: Record<string, string> = {
  '1': 'SIGHUP', HUP: 'SIGHUP', '2': 'SIGINT', INT: 'SIGINT', '9': 'SIGKILL', KILL: 'SIGKILL', '15': 'SIGTERM', TERM: 'SIGTERM',
  '18': 'SIGCONT', CONT: 'SIGCONT', '19': 'SIGSTOP', STOP: 'SIGSTOP',
};

/** A name a program may create (tcpdump -w): a plain file name in the experiment's output folder. */
export const PLAIN_FILE = /^(?!\.\.?$)[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

const PORT_RE = /^[1-9][0-9]{0,4}$/;
const isPort = (s: string) => PORT_RE.test(s) && Number(s) <= 65535;
const isIpv4 = (s: string) => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return !!m && m.slice(1).every((x) => Number(x) <= 255);
};

/**
 * netcat-openbsd's options (1.105 and 1.219 together): those the model implements, with the
 * argument each takes. The simulated nc (src/userland/nc.ts) parses the real getopt string of
 * its version and implements these; the grammar accepts only these.
 */
export const NC_OPTIONS: Record<string, { arg?: 'port' | 'seconds' | 'quit' | 'address'; what: string }> = {
  '4': { what: 'IPv4 only' },
  h: { what: 'print the help text' },
  k: { what: 'keep listening after a connection ends (with -l)' },
  l: { what: 'listen' },
  N: { what: 'shutdown(SHUT_WR) after end of input (1.219 only; 1.105 has no -N)' },
  n: { what: 'no name or port resolution' },
  v: { what: 'verbose messages' },
  z: { what: 'connect and close (port scan), no data' },
  p: { arg: 'port', what: 'source port (or the port to listen on, with -l)' },
  q: { arg: 'quit', what: 'after end of input, wait SECS and quit (negative: forever)' },
  s: { arg: 'address', what: 'source address (127.0.0.0/8)' },
  w: { arg: 'seconds', what: 'timeout of connect() and of an idle connection' },
};

/**
 * Options of the real tools the model does not implement: the grammar refuses them, the
 * simulated nc says "not modelled" (a letter in neither table is an invalid option).
 */
export const NC_NOT_MODELLED: Record<string, string> = {
  '6': 'IPv6 (-6)', u: 'UDP (-u)', U: 'Unix-domain sockets (-U)', Z: 'DCCP (-Z)', b: 'broadcast (-b)', C: 'CRLF line ends (-C)',
  D: 'SO_DEBUG (-D)', d: 'detaching from stdin (-d)', F: 'fd passing (-F)', I: 'receive buffer sizes (-I)', O: 'send buffer sizes (-O)',
  i: 'intervals (-i)', j: 'jumbo frames (-j)', M: 'TTLs (-M)', m: 'minimum TTLs (-m)', P: 'proxies (-P)', X: 'proxies (-X)', x: 'proxies (-x)',
  r: 'random port order (-r)', S: 'TCP MD5 signatures (-S)', T: 'TOS (-T)', t: 'telnet negotiation (-t)', V: 'routing tables (-V)', W: 'receive limits (-W)',
};
/** Options of NC_NOT_MODELLED that take an argument (getopt's `x:`), in either version. */
export const NC_NOT_MODELLED_ARG = new Set(['I', 'O', 'i', 'M', 'm', 'P', 'X', 'x', 'T', 'V', 'W']);

/** `N` or `LO-HI` (1..65535): netcat's port operand, a range only when connecting. */
const PORT_RANGE_RE = /^([1-9][0-9]{0,4})-([1-9][0-9]{0,4})$/;
/** A host the model's lo answers for: `localhost` or an address in 127.0.0.0/8. */
const isLoopbackHost = (s: string) => s === 'localhost' || (isIpv4(s) && s.startsWith('127.'));

const NC_USAGE = 'expected `nc [-vnzN4] [-w SECS] [-q SECS] [-p PORT] [-s ADDR] HOST PORT[-PORT]` or `nc -l [-vnk4] [-w SECS] [-q SECS] PORT`';

/** The words of an nc line split as getopt splits them: options (with their arguments) and operands. */
function ncOptions(w: Word[]): { opts: Map<string, { value?: Word }>; operands: Word[] } | CmdlineError {
  const opts = new Map<string, { value?: Word }>();
  const operands: Word[] = [];
  for (let i = 1; i < w.length; i++) {
    const a = w[i];
    if (a.text === '--') {
      operands.push(...w.slice(i + 1));
      break;
    }
    if (!a.text.startsWith('-') || a.text.length === 1) {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.text.length; j++) {
      const c = a.text[j];
      const spec = Object.hasOwn(NC_OPTIONS, c) ? NC_OPTIONS[c] : undefined;
      if (!spec) {
        if (Object.hasOwn(NC_NOT_MODELLED, c)) return { col: a.col + j, message: `nc option -${c}: ${NC_NOT_MODELLED[c]} is not modelled, expected one of ${ncLetters()}` };
        return { col: a.col + j, message: `unknown nc option -${c}, expected one of ${ncLetters()}` };
      }
      if (!spec.arg) {
        opts.set(c, {});
        continue;
      }
      const attached = a.text.slice(j + 1);
      const value: Word | undefined = attached ? { text: attached, col: a.col + j + 1, quoted: a.quoted } : w[i + 1];
      if (!value) return { col: a.col + a.text.length, message: `nc -${c} needs an argument, expected -${c} ${spec.arg.toUpperCase()}` };
      if (!attached) i++;
      opts.set(c, { value });
      break;
    }
  }
  return { opts, operands };
}

const ncLetters = () => Object.entries(NC_OPTIONS).map(([c, o]) => (o.arg ? `-${c} ${o.arg === 'quit' ? 'SECS' : o.arg.toUpperCase()}` : `-${c}`)).join(' ');

/** An option's argument as the model implements it (strtonum's bounds for -w and -q). */
function checkNcValue(c: string, v: Word): CmdlineError | null {
  const t = v.text;
  switch (NC_OPTIONS[c].arg) {
    case 'port':
      return isPort(t) ? null : { col: v.col, message: `bad port \`${t}\` for nc -${c}, expected 1-65535` };
    case 'seconds':
      return /^[0-9]{1,7}$/.test(t) && Number(t) <= 2147483 ? null : { col: v.col, message: `bad timeout \`${t}\` for nc -${c}, expected whole seconds 0-2147483` };
    case 'quit':
      return /^-?[0-9]{1,10}$/.test(t) && Math.abs(Number(t)) <= 2147483647 ? null : { col: v.col, message: `bad quit timer \`${t}\` for nc -${c}, expected whole seconds (negative: never quit)` };
    case 'address':
      return isIpv4(t) && t.startsWith('127.') ? null : { col: v.col, message: `source address \`${t}\` is not modelled, expected an address of lo (127.0.0.0/8)` };
  }
  return null;
}

function checkNc(w: Word[]): CmdlineError | null {
  const r = ncOptions(w);
  if (isCmdlineError(r)) return r;
  const { opts, operands } = r;
  for (const [c, o] of opts) if (o.value) {
    const e = checkNcValue(c, o.value);
    if (e) return e;
  }
  if (opts.has('h')) return operands.length ? { col: operands[0].col, message: 'nc -h prints the help text and exits, expected no operands' } : null;
  const portWord = (p: Word, range: boolean): CmdlineError | null => {
    const m = PORT_RANGE_RE.exec(p.text);
    if (m && !range) return { col: p.col, message: `a port range \`${p.text}\` is not modelled for nc -l, expected one port` };
    if (m ? isPort(m[1]) && isPort(m[2]) : isPort(p.text)) return null;
    return { col: p.col, message: `bad port \`${p.text}\`, expected 1-65535${range ? ' or a range LO-HI' : ''}` };
  };
  if (opts.has('l')) {
    if (opts.has('z')) return { col: w[0].col, message: 'nc -l with -z is refused by nc (`cannot use -z and -l`), expected one of them' };
    // nc -l PORT | nc -l -p PORT | nc -l HOST PORT
    const byP = opts.get('p')?.value;
    if (byP && operands.length) return { col: operands[0].col, message: 'nc -l -p PORT takes no operand, ' + NC_USAGE };
    if (!byP && (operands.length < 1 || operands.length > 2)) return { col: operands[2]?.col ?? w[0].col, message: NC_USAGE };
    if (opts.has('s')) return { col: w[0].col, message: 'nc -l with -s is not modelled (1.105 refuses it), expected `nc -l [HOST] PORT`' };
    if (operands.length === 2 && !isLoopbackHost(operands[0].text)) return { col: operands[0].col, message: `host \`${operands[0].text}\` is not modelled, expected localhost or an address in 127.0.0.0/8` };
    return byP ? null : portWord(operands.at(-1)!, false);
  }
  if (opts.has('k')) return { col: w[0].col, message: 'nc -k needs -l (nc refuses it: `must use -l with -k`), ' + NC_USAGE };
  if (operands.length !== 2) return { col: operands[2]?.col ?? w[0].col, message: NC_USAGE };
  const [host, port] = operands;
  if (!isLoopbackHost(host.text)) return { col: host.col, message: `host \`${host.text}\` is not modelled, expected localhost or an address in 127.0.0.0/8 (the experiment's network namespace has only lo)` };
  return portWord(port, true);
}

/** ss: short options (bundled), long options and `state NAME`. */
export const SS_SHORT = 'natlpo4i';
export const SS_LONG = new Set(['--numeric', '--all', '--tcp', '--listening', '--processes', '--options', '--ipv4', '--info']);
export const SS_STATES = new Set(['all', 'connected', 'established', 'syn-sent', 'syn-recv', 'fin-wait-1', 'fin-wait-2', 'time-wait', 'closed', 'close-wait', 'last-ack', 'listening', 'closing']);

function checkSs(w: Word[]): CmdlineError | null {
  for (let i = 1; i < w.length; i++) {
    const a = w[i];
    if (a.text === 'state') {
      const s = w[i + 1];
      if (!s || !SS_STATES.has(s.text)) return { col: s?.col ?? a.col + 5, message: `expected a state name after \`state\` (${[...SS_STATES].join(', ')})` };
      i++;
      continue;
    }
    if (a.text.startsWith('--')) {
      if (!SS_LONG.has(a.text)) return { col: a.col, message: `unknown ss option ${a.text}, expected one of ${[...SS_LONG].join(' ')}` };
      continue;
    }
    if (a.text.startsWith('-') && a.text.length > 1) {
      for (let j = 1; j < a.text.length; j++) {
        const c = a.text[j];
        // a real option (iproute2 6.1's getopt string "dhaletuwxnro460spTbEf:mMiA:D:F:vVzZN:KHSO") is not modelled; others do not exist
        if (!SS_SHORT.includes(c)) return { col: a.col + j, message: `${'dhleuwxr60sTbEfmMADFvVzZNKHSO'.includes(c) ? `ss option -${c} is not modelled` : `unknown ss option -${c}`}, expected -n -a -t -l -p -o -4 -i` };
      }
      continue;
    }
    return { col: a.col, message: `ss filter expressions are not modelled (\`${a.text}\`), expected options and \`state NAME\`` };
  }
  return null;
}

function checkTcpdump(w: Word[]): CmdlineError | null {
  const filter: Word[] = [];
  for (let i = 1; i < w.length; i++) {
    const a = w[i];
    const next = w[i + 1];
    if (a.text === '-i') {
      if (!next) return { col: a.col + 2, message: 'tcpdump -i needs an interface, expected -i lo' };
      if (next.text !== 'lo') return { col: next.col, message: `interface \`${next.text}\` is not modelled, expected lo (the experiment's network namespace has only lo)` };
      i++;
    } else if (a.text === '-w') {
      if (!next) return { col: a.col + 2, message: 'tcpdump -w needs a file name, expected -w NAME.pcap' };
      if (!PLAIN_FILE.test(next.text)) return { col: next.col, message: `bad capture file \`${next.text}\`, expected a plain file name (letters, digits, . _ -), written in the experiment's folder` };
      i++;
    } else if (a.text === '-s') {
      if (!next || !/^\d{1,6}$/.test(next.text) || Number(next.text) > 262144) return { col: next?.col ?? a.col + 2, message: 'tcpdump -s needs a snapshot length, expected 0-262144' };
      i++;
    } else if (a.text === '-n' || a.text === '-nn' || a.text === '-U') continue;
    else if (a.text.startsWith('-')) return { col: a.col, message: `unknown tcpdump option ${a.text}, expected -i lo, -w FILE, -s N, -n, -nn, -U and a filter` };
    else filter.push(a);
  }
  const f = filter.map((x) => x.text).join(' ');
  const m = /^(?:tcp|(?:tcp\s+)?port\s+([1-9][0-9]{0,4})|(?:tcp\s+)?portrange\s+([1-9][0-9]{0,4})-([1-9][0-9]{0,4}))$/.exec(f);
  if (filter.length && (!m || [m[1], m[2], m[3]].some((p) => p !== undefined && Number(p) > 65535)))
    return { col: filter[0].col, message: `tcpdump filter \`${f}\` is not modelled, expected \`tcp\`, \`port N\`, \`tcp port N\` or \`tcp portrange A-B\`` };
  return null;
}

function checkSleep(w: Word[]): CmdlineError | null {
  if (w.length !== 2) return { col: w[2]?.col ?? w[0].col, message: 'expected `sleep SECONDS`' };
  if (!/^\d{1,7}(?:\.\d{1,9})?$/.test(w[1].text)) return { col: w[1].col, message: `bad interval \`${w[1].text}\`, expected seconds as a decimal number (e.g. 1 or 0.5)` };
  return null;
}

/** grep's flags the model implements (src/userland/regex.ts). */
export const GREP_FLAGS = 'vEFGiwx';

function checkGrep(w: Word[]): CmdlineError | null {
  let pattern: Word | null = null;
  for (let i = 1; i < w.length; i++) {
    const a = w[i];
    if (!pattern && a.text.startsWith('-') && a.text.length > 1) {
      if (!new RegExp(`^-[${GREP_FLAGS}]+$`).test(a.text)) return { col: a.col, message: `unknown grep option ${a.text}, expected -v -E -F -G -i -w -x` };
      continue;
    }
    if (pattern) return { col: a.col, message: 'grep reads its input from the pipe; file operands are not modelled, expected `grep [-vEFGiwx] PATTERN`' };
    pattern = a;
  }
  if (!pattern) return { col: w[0].col, message: 'grep needs a pattern, expected `grep [-vEFGiwx] PATTERN`' };
  return null;
}

/** coreutils yes: `yes [STRING]...` (a data source for a pipeline), or `yes --help`/`--version`. */
function checkYes(w: Word[]): CmdlineError | null {
  if (w.length === 2 && (w[1].text === '--help' || w[1].text === '--version')) return null;
  for (const a of w.slice(1))
    if (a.text.startsWith('-') && a.text !== '-') return { col: a.col, message: `yes option \`${a.text}\` is not modelled, expected \`yes [STRING]...\`, \`yes --help\` or \`yes --version\` (quote nothing: a word starting with - is an option to yes)` };
  return null;
}

/** iptables' commands the model implements: append, insert (at the top) and delete a rule. */
export const IPTABLES_COMMANDS = ['-A', '-I', '-D'] as const;
/** The one rule shape the model implements, after the command and its chain. */
export const IPTABLES_USAGE = 'expected `iptables -A|-I|-D INPUT -p tcp --dport|--sport PORT -j DROP`';

/**
 * iptables (1.8.9, nf_tables backend): `-A|-I|-D INPUT -p tcp --dport|--sport PORT -j DROP`, a
 * rule in the filter table's INPUT chain that drops TCP segments to or from a port as they are
 * delivered (src/model/nf_tables_core.ts). Other chains, matches and targets are not modelled.
 */
function checkIptables(w: Word[]): CmdlineError | null {
  const at = (i: number) => w[i]?.col ?? w[w.length - 1].col + w[w.length - 1].text.length;
  const cmd = w[1];
  if (!cmd || !(IPTABLES_COMMANDS as readonly string[]).includes(cmd.text)) return { col: at(1), message: `iptables command ${cmd ? `\`${cmd.text}\` is not modelled` : 'missing'}, ${IPTABLES_USAGE}` };
  if (w[2]?.text !== 'INPUT') return { col: at(2), message: `${w[2] ? `chain \`${w[2].text}\` is not modelled` : 'a chain is missing'}, ${IPTABLES_USAGE}` };
  const want: [string, (t: string) => boolean, string][] = [
    ['-p', (t) => t === '-p', 'the protocol option -p'],
    ['tcp', (t) => t === 'tcp', 'protocol tcp'],
    ['--dport', (t) => t === '--dport' || t === '--sport', '--dport or --sport'],
    ['PORT', isPort, 'a port 1-65535'],
    ['-j', (t) => t === '-j', 'the target option -j'],
    ['DROP', (t) => t === 'DROP', 'target DROP'],
  ];
  for (let i = 0; i < want.length; i++) {
    const x = w[3 + i];
    if (!x || !want[i][1](x.text)) return { col: at(3 + i), message: `${x ? `\`${x.text}\` is not modelled here` : 'the rule ends early'}: expected ${want[i][2]}, ${IPTABLES_USAGE}` };
  }
  if (w.length > 9) return { col: w[9].col, message: `nothing may follow the target, ${IPTABLES_USAGE}` };
  return null;
}

const JOBSPEC = /^(?:%(?:[1-9][0-9]{0,3}|%|\+)?|[1-9][0-9]{0,3})$/;

function checkKill(w: Word[]): CmdlineError | null {
  let targets = 0;
  for (let i = 1; i < w.length; i++) {
    const a = w[i];
    if (a.text.startsWith('-') && targets === 0 && i === 1) {
      const s = a.text.slice(1).toUpperCase().replace(/^SIG/, '');
      if (!KILL_SIGNALS[s]) return { col: a.col, message: `signal ${a.text} is not modelled, expected one of -HUP -INT -KILL -TERM -CONT -STOP (or 1 2 9 15 18 19)` };
      continue;
    }
    if (!/^%(?:[1-9][0-9]{0,3}|%|\+)?$/.test(a.text) && !/^[1-9][0-9]{0,6}$/.test(a.text)) return { col: a.col, message: `bad kill target \`${a.text}\`, expected a job (%1) or a pid` };
    targets++;
  }
  if (!targets) return { col: w[0].col, message: 'kill needs a target, expected `kill [-SIGNAL] %JOB|PID`' };
  return null;
}

function checkJobBuiltin(w: Word[]): CmdlineError | null {
  if (w[0].text === 'jobs' || w[0].text === 'true') return w.length > 1 ? { col: w[1].col, message: `arguments to \`${w[0].text}\` are not modelled` } : null;
  if (w.length > 2) return { col: w[2].col, message: `expected \`${w[0].text} [%JOB]\`` };
  if (w[1] && !JOBSPEC.test(w[1].text)) return { col: w[1].col, message: `bad job spec \`${w[1].text}\`, expected %N, %%, %+ or N` };
  return null;
}

function checkExit(w: Word[]): CmdlineError | null {
  if (w.length > 2) return { col: w[2].col, message: 'expected `exit [STATUS]`' };
  if (w[1] && !/^[0-9]{1,3}$/.test(w[1].text)) return { col: w[1].col, message: `bad exit status \`${w[1].text}\`, expected 0-255` };
  return null;
}

function checkEcho(w: Word[]): CmdlineError | null {
  if (w[1] && /^-[neE]+$/.test(w[1].text)) return { col: w[1].col, message: `echo ${w[1].text} is not modelled` };
  return null;
}

const CHECKS: Record<string, (w: Word[]) => CmdlineError | null> = {
  nc: checkNc, ss: checkSs, tcpdump: checkTcpdump, sleep: checkSleep, grep: checkGrep, yes: checkYes, iptables: checkIptables,
  echo: checkEcho, exit: checkExit, true: checkJobBuiltin, kill: checkKill, fg: checkJobBuiltin, bg: checkJobBuiltin, jobs: checkJobBuiltin,
};

/**
 * Hold a parsed line to the support table: each command is a modelled program or builtin, with
 * options and operands its model implements. Job-control builtins stand alone (in a pipeline
 * bash runs them in a subshell, where they control nothing).
 */
export function checkSupport(cl: CommandLine): CmdlineError | null {
  for (const p of linePipelines(cl)) {
    for (const s of p.stages) {
      const name = s.words[0].text;
      const check = Object.hasOwn(CHECKS, name) ? CHECKS[name] : undefined;
      if (!check && /^[A-Za-z_][A-Za-z0-9_]*=/.test(name) && !s.words[0].quoted) return { col: s.col, message: 'variable assignments are not modelled' };
      if (!check) return { col: s.col, message: `unknown command \`${name}\`, expected one of ${SUPPORTED.join(', ')}` };
      if ((p.stages.length > 1 || linePipelines(cl).length > 1 || cl.kind === 'loop' || p.background) && (name === 'kill' || name === 'fg' || name === 'bg' || name === 'jobs'))
        return { col: s.col, message: `\`${name}\` must be alone on its line (in a pipeline, list, loop or background job it is not modelled)` };
      if (cl.kind === 'loop' && (name === 'fg' || name === 'bg' || name === 'nc' || name === 'tcpdump' || name === 'yes' || name === 'iptables'))
        return { col: s.col, message: `\`${name}\` inside the watch loop is not modelled, expected ss, grep, sleep, echo` };
      const e = check(s.words);
      if (e) return e;
    }
  }
  return null;
}

/** Parse and check a line: the experiment parser's and the recorder's gate. */
export function acceptCommandLine(line: string): CommandLine | CmdlineError {
  const cl = parseCommandLine(line);
  if (isCmdlineError(cl)) return cl;
  return checkSupport(cl) ?? cl;
}

/**
 * The port the line's first connecting `nc` connects to first (the low end of a range), for
 * pinning its ephemeral port; null when the line has none.
 */
export function ncConnectPort(line: string): number | null {
  const cl = parseCommandLine(line);
  if (isCmdlineError(cl)) return null;
  for (const p of linePipelines(cl))
    for (const st of p.stages) {
      if (st.words[0].text !== 'nc') continue;
      const r = ncOptions(st.words);
      if (isCmdlineError(r) || r.opts.has('l') || r.operands.length !== 2) continue;
      const n = Number(/^\d+/.exec(r.operands[1].text)?.[0]);
      if (n >= 1 && n <= 65535) return n;
    }
  return null;
}
