/**
 * GNU grep's regular expressions on a linear-time engine: a parser that accepts and rejects
 * patterns as grep 3.8 does (gnulib's regcomp.c checks the syntax, with grep's syntax bits:
 * RE_SYNTAX_GREP for basic, RE_SYNTAX_EGREP for extended; dfa.c adds the `[:space:]` error and
 * the "at start of expression" warnings), compiled to a Thompson NFA and run as a Pike VM,
 * so that matching a line costs O(pattern × line) whatever the pattern (no backtracking).
 *
 * Only "does the line contain a match" is needed (no -o), so no submatch positions are kept.
 *
 * Supported: BRE (`\(` `\)` `\{m,n\}` `\|` `\+` `\?` as GNU extensions, `*` literal at the start
 * of an expression, `^`/`$` anchors only where POSIX says), ERE (`(` `)` `{}` `|` `+` `?`; a
 * repetition operator at the start of an expression applies to nothing, with grep 3.8's warning),
 * bracket expressions with classes `[:alpha:]`..., single-character collating elements
 * `[.a.]` and equivalence classes `[=a=]`, ranges by code point (C.UTF-8), `.`, `\w \W \s \S`,
 * `\b \B \< \> \` \'`, and any other escaped character as itself. Options: case folding (-i),
 * fixed strings (-F), whole words (-w), whole lines (-x).
 * Not supported: back-references (`\1`..`\9` that refer to a group: not regular; a reference
 * to a group that does not exist is grep's "Invalid back reference").
 */

/** An error grep reports for a pattern (exit status 2): `grep: <message>`. */
export class RegexError extends Error {}

/** RE_DUP_MAX (0x7fff): the largest count of an interval. */
const RE_DUP_MAX = 0x7fff;
/** The largest program (instructions) compiled; a larger one is "Regular expression too big". */
export const MAX_PROGRAM = 100_000;
/** The deepest nesting of groups, or of repetitions of one atom, parsed (the parser and compiler recurse). */
const MAX_NEST = 500;

// gnulib regcomp.c's messages (__re_error_msgid)
const MSG = {
  BADPAT: 'Invalid regular expression',
  ECOLLATE: 'Invalid collation character',
  ECTYPE: 'Invalid character class name',
  EESCAPE: 'Trailing backslash',
  ESUBREG: 'Invalid back reference',
  EBRACK: 'Unmatched [, [^, [:, [., or [=',
  EPAREN: 'Unmatched ( or \\(',
  EBRACE: 'Unmatched \\{',
  BADBR: 'Invalid content of \\{\\}',
  ERANGE: 'Invalid range end',
  ESIZE: 'Regular expression too big',
  ERPAREN: 'Unmatched ) or \\)',
} as const;

// ---------------------------------------------------------------------------------------------
// Character classes

type Assertion = 'bol' | 'eol' | 'wordb' | 'notwordb' | 'wordstart' | 'wordend' | 'wstart' | 'wend';

/** A set of characters: ranges of code points and named classes, possibly negated. */
interface CharSet {
  neg: boolean;
  ranges: number[]; // [lo0, hi0, lo1, hi1, ...]
  classes: string[];
}

const WORD_RE = /[\p{L}\p{Nd}_]/u;
const CLASS_RE: Record<string, RegExp> = {
  alpha: /\p{L}/u,
  upper: /\p{Lu}/u,
  lower: /\p{Ll}/u,
  digit: /[0-9]/,
  xdigit: /[0-9A-Fa-f]/,
  space: /[ \t\n\v\f\r\u0085\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/u,
  blank: /[ \t\u1680\u2000-\u2006\u2008-\u200a\u205f\u3000]/u,
  punct: /[!-/:-@[-`{-~\p{P}\p{S}]/u,
  print: /[^\p{C}]|[ ]/u,
  graph: /[^\p{C}\p{Z}]/u,
  cntrl: /\p{Cc}/u,
  alnum: /[\p{L}\p{Nd}]/u,
};

function isWordCp(cp: number): boolean {
  if (cp < 0) return false;
  if (cp < 128) return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) || cp === 95;
  return WORD_RE.test(String.fromCodePoint(cp));
}

function inClass(name: string, cp: number): boolean {
  return CLASS_RE[name].test(String.fromCodePoint(cp));
}

function setHas(s: CharSet, cp: number): boolean {
  let hit = false;
  const r = s.ranges;
  for (let i = 0; i < r.length && !hit; i += 2) hit = cp >= r[i] && cp <= r[i + 1];
  for (let i = 0; i < s.classes.length && !hit; i++) hit = inClass(s.classes[i], cp);
  return hit !== s.neg;
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

type Node =
  | { t: 'empty' }
  | { t: 'char'; cp: number }
  | { t: 'any' }
  | { t: 'set'; set: CharSet }
  | { t: 'assert'; a: Assertion }
  | { t: 'cat'; xs: Node[] }
  | { t: 'alt'; xs: Node[] }
  | { t: 'rep'; x: Node; min: number; max: number }; // max -1: unbounded

export interface RegexOptions {
  /** -E: extended syntax (else basic). */
  extended?: boolean;
  /** -F: the pattern is a fixed string. */
  fixed?: boolean;
  /** -i */
  ignoreCase?: boolean;
  /** -w */
  words?: boolean;
  /** -x */
  lines?: boolean;
}

/** Split into code points. */
function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

const ch = (s: string): number => s.charCodeAt(0);
const BS = ch('\\');

/**
 * Parser after gnulib's regcomp.c (parse_reg_exp / parse_branch / parse_expression /
 * parse_dup_op / parse_bracket_exp), for one pattern (one line of grep's PATTERNS).
 */
class Parser {
  private p: number[];
  private i = 0;
  private readonly ere: boolean;
  /** Groups opened so far / completed (for "Invalid back reference"). */
  private groups = 0;
  private completed = new Set<number>();
  readonly warnings: string[] = [];

  constructor(pattern: string, ere: boolean) {
    this.p = codePoints(pattern);
    this.ere = ere;
  }

  parse(): Node {
    const n = this.regExp(0, true);
    if (this.i < this.p.length) {
      // only an unmatched close paren stops a top-level parse
      throw new RegexError(MSG.ERPAREN);
    }
    return n;
  }

  private eof(): boolean {
    return this.i >= this.p.length;
  }
  private peek(k = 0): number {
    return this.i + k < this.p.length ? this.p[this.i + k] : -1;
  }

  /** Is the next token `|` (ERE) or `\|` (BRE)? */
  private atAlt(): boolean {
    return this.ere ? this.peek() === ch('|') : this.peek() === BS && this.peek(1) === ch('|');
  }
  private atClose(): boolean {
    return this.ere ? this.peek() === ch(')') : this.peek() === BS && this.peek(1) === ch(')');
  }
  private atOpen(): boolean {
    return this.ere ? this.peek() === ch('(') : this.peek() === BS && this.peek(1) === ch('(');
  }

  private regExp(nest: number, caretHere: boolean): Node {
    const alts: Node[] = [this.branch(nest, caretHere)];
    while (this.atAlt()) {
      this.i += this.ere ? 1 : 2;
      alts.push(this.branch(nest, true));
    }
    return alts.length === 1 ? alts[0] : { t: 'alt', xs: alts };
  }

  private branch(nest: number, caretHere: boolean): Node {
    const xs: Node[] = [];
    let first = true;
    while (!this.eof() && !this.atAlt()) {
      if (this.atClose()) {
        if (nest > 0) break;
        // a close paren without an open one: BRE's `\)` is an error; ERE's `)` is literal
        if (!this.ere) throw new RegexError(MSG.ERPAREN);
      }
      const x = this.expression(nest, first && caretHere);
      if (x) xs.push(x);
      first = false;
    }
    return xs.length === 0 ? { t: 'empty' } : xs.length === 1 ? xs[0] : { t: 'cat', xs };
  }

  /** A duplication operator at the cursor: its length and bounds, or null. */
  private dupOp(): { len: number; min: number; max: number; name: string } | null {
    const c = this.peek();
    if (c === ch('*')) return { len: 1, min: 0, max: -1, name: '*' };
    if (this.ere) {
      if (c === ch('+')) return { len: 1, min: 1, max: -1, name: '+' };
      if (c === ch('?')) return { len: 1, min: 0, max: 1, name: '?' };
      if (c === ch('{')) return this.interval(1);
      return null;
    }
    if (c !== BS) return null;
    const d = this.peek(1);
    if (d === ch('+')) return { len: 2, min: 1, max: -1, name: '+' };
    if (d === ch('?')) return { len: 2, min: 0, max: 1, name: '?' };
    if (d === ch('{')) return this.interval(2);
    return null;
  }

  /**
   * parse_dup_op() for an interval starting at the cursor (`{` or `\{`, `open` long). In ERE an
   * invalid interval is literal text (RE_INVALID_INTERVAL_ORD): null. Errors as regcomp gives them.
   */
  private interval(open: number): { len: number; min: number; max: number; name: string } | null {
    let j = this.i + open;
    const p = this.p;
    const closeLen = this.ere ? 1 : 2;
    const isClose = (k: number) => (this.ere ? p[k] === ch('}') : p[k] === BS && p[k + 1] === ch('}'));
    // fetch_number(): digits up to `,` or the close; -1 none, -2 invalid or end of pattern
    const fetch = (): { num: number; at: 'close' | 'comma' | 'end' } => {
      let num = -1;
      for (;;) {
        if (j >= p.length) return { num: -2, at: 'end' };
        if (isClose(j)) {
          j += closeLen;
          return { num, at: 'close' };
        }
        const c = p[j];
        if (c === BS && !this.ere && j + 1 >= p.length) {
          j++;
          return { num: -2, at: 'end' };
        }
        const tokLen = c === BS ? 2 : 1;
        if (c === ch(',')) {
          j++;
          return { num, at: 'comma' };
        }
        num = c < ch('0') || c > ch('9') || num === -2 || tokLen === 2 ? -2 : num === -1 ? c - 48 : Math.min(RE_DUP_MAX + 1, num * 10 + c - 48);
        j += tokLen;
      }
    };
    const s = fetch();
    let start = s.num;
    let end: number;
    let endAt: 'close' | 'comma' | 'end' = s.at;
    if (start === -1) {
      if (s.at === 'comma') start = 0;
      else if (s.at === 'close') throw new RegexError(MSG.BADBR); // <re>{} is invalid
    }
    if (start !== -2) {
      if (s.at === 'close') end = start;
      else if (s.at === 'comma') {
        const e = fetch();
        end = e.num;
        endAt = e.at;
      } else end = -2;
    } else end = -2;
    if (start === -2 || end === -2) {
      if (this.ere) return null;
      throw new RegexError(endAt === 'end' ? MSG.EBRACE : MSG.BADBR);
    }
    if ((end !== -1 && start > end) || endAt !== 'close') {
      if (this.ere && endAt === 'end') return null;
      throw new RegexError(MSG.BADBR);
    }
    if ((end === -1 ? start : end) > RE_DUP_MAX) throw new RegexError(MSG.ESIZE);
    return { len: j - this.i, min: start, max: end, name: '{...}' };
  }

  /**
   * parse_expression(): one atom and the duplication operators after it. `start`: the start of
   * an expression (of the pattern, a group or an alternative), where BRE takes `*` and `\{` as
   * literals and ERE applies a repetition to nothing (grep 3.8 warns).
   */
  private expression(nest: number, caretHere: boolean): Node | null {
    const c = this.peek();
    let atom: Node;
    // a duplication operator where an atom is expected (the start of an expression, or after an
    // anchor, which takes no repetition)
    if (!this.ere) {
      // BRE: `*`, `\{`, `\+` and `\?` there are literal characters (the last two below)
      if (c === ch('*')) {
        this.i++;
        return this.repeats({ t: 'char', cp: c });
      }
      if (c === BS && this.peek(1) === ch('{')) {
        this.i += 2;
        return this.repeats({ t: 'char', cp: ch('{') });
      }
    } else {
      let d: ReturnType<Parser['dupOp']> = null;
      try {
        d = this.dupOp();
      } catch (e) {
        if (!(e instanceof RegexError)) throw e;
        d = null; // dfa.c: an invalid interval at the start is literal text
      }
      if (d) {
        // RE_CONTEXT_INDEP_OPS: regcomp skips the operator; dfa.c warns and repeats nothing
        this.warnings.push(`${d.name} at start of expression`);
        this.i += d.len;
        for (;;) {
          let e: ReturnType<Parser['dupOp']> = null;
          try {
            e = this.dupOp();
          } catch {
            e = null;
          }
          if (!e) break;
          this.i += e.len;
        }
        if (this.eof() || this.atAlt()) return null;
        if (this.atClose()) {
          // regcomp takes a close paren right after the skipped operator as a literal
          this.i++;
          return this.repeats({ t: 'char', cp: ch(')') });
        }
        return this.expression(nest, caretHere);
      }
    }
    if (this.atOpen()) {
      if (nest >= MAX_NEST) throw new RegexError(MSG.ESIZE);
      this.i += this.ere ? 1 : 2;
      const idx = ++this.groups;
      let inner: Node;
      if (this.atClose()) inner = { t: 'empty' };
      else {
        inner = this.regExp(nest + 1, true);
        if (!this.atClose()) throw new RegexError(MSG.EPAREN);
      }
      this.i += this.ere ? 1 : 2;
      this.completed.add(idx);
      atom = inner;
    } else if (c === ch('[')) {
      this.i++;
      atom = { t: 'set', set: this.bracket() };
    } else if (c === ch('.')) {
      this.i++;
      atom = { t: 'any' };
    } else if (c === ch('^') && (this.ere || caretHere)) {
      this.i++;
      return this.anchor('bol');
    } else if (c === ch('$') && (this.ere || this.dollarIsAnchor())) {
      this.i++;
      return this.anchor('eol');
    } else if (c === BS) {
      const d = this.peek(1);
      if (d === -1) throw new RegexError(MSG.EESCAPE);
      this.i += 2;
      if (d >= ch('1') && d <= ch('9')) {
        if (!this.completed.has(d - 48)) throw new RegexError(MSG.ESUBREG);
        throw new RegexError('back-references are not supported in this model');
      }
      const anchor: Record<string, Assertion> = { b: 'wordb', B: 'notwordb', '<': 'wordstart', '>': 'wordend', '`': 'bol', "'": 'eol' };
      const a = anchor[String.fromCodePoint(d)];
      if (a) return this.anchor(a);
      const cls: Record<string, CharSet> = {
        w: { neg: false, ranges: [95, 95], classes: ['alnum'] },
        W: { neg: true, ranges: [95, 95], classes: ['alnum'] },
        s: { neg: false, ranges: [], classes: ['space'] },
        S: { neg: true, ranges: [], classes: ['space'] },
      };
      const set = cls[String.fromCodePoint(d)];
      atom = set ? { t: 'set', set } : { t: 'char', cp: d };
      if (!this.ere && d === ch('}')) atom = { t: 'char', cp: d };
    } else {
      // an ordinary character; in ERE `)` without a group, `{` that opens no interval, `}`
      this.i++;
      atom = { t: 'char', cp: c };
    }
    return this.repeats(atom);
  }

  /**
   * An anchor. In BRE (and for regcomp) it takes no repetition: a `*` after it starts the next
   * expression. grep matches `^` and `$` with dfa.c, which in ERE repeats the anchor itself
   * (`^*a` finds an `a` anywhere) and, after `^`, warns as at the start of an expression; word
   * anchors go to regex, which skips the operators (`x\<*a` is `x\<a`).
   */
  private anchor(a: Assertion): Node {
    const node: Node = { t: 'assert', a };
    if (!this.ere) return node;
    if (a !== 'bol' && a !== 'eol') {
      // word anchors: dfa.c leaves them to regex, which skips the operators after them
      for (let d = this.dupOp(); d; d = this.dupOp()) this.i += d.len;
      return node;
    }
    const d = this.dupOp();
    if (d && a === 'bol') this.warnings.push(`${d.name} at start of expression`);
    return this.repeats(node);
  }

  /** The duplication operators after an atom. */
  private repeats(atom: Node): Node {
    let x = atom;
    let depth = 0;
    for (;;) {
      const d = this.dupOp();
      if (!d) break;
      this.i += d.len;
      if (x.t === 'rep' && x.max === -1 && x.min <= 1 && d.max !== 0) x = { t: 'rep', x: x.x, min: x.min * d.min, max: -1 }; // a**, a+*, (a+){2}
      else if (++depth > MAX_NEST) throw new RegexError(MSG.ESIZE);
      else x = { t: 'rep', x, min: d.min, max: d.max };
    }
    return x;
  }

  /** BRE: `$` is an anchor at the end of the pattern, before `\)` or before `\|`. */
  private dollarIsAnchor(): boolean {
    const k = this.i + 1;
    if (k >= this.p.length) return true;
    return this.p[k] === BS && (this.p[k + 1] === ch(')') || this.p[k + 1] === ch('|'));
  }

  /** parse_bracket_exp() after the `[`. */
  private bracket(): CharSet {
    const p = this.p;
    const set: CharSet = { neg: false, ranges: [], classes: [] };
    if (this.eof()) throw new RegexError(MSG.BADPAT);
    if (this.peek() === ch('^')) {
      set.neg = true;
      this.i++;
      if (this.eof()) throw new RegexError(MSG.BADPAT);
    }
    const bodyStart = this.i;
    let first = true;
    type Elem = { kind: 'char'; cp: number } | { kind: 'class'; name: string } | { kind: 'equiv'; cp: number };
    // one element: a character, [:class:], [=c=] or [.c.]
    const element = (acceptHyphen: boolean): Elem => {
      const c = p[this.i];
      if (c === ch('[') && this.i + 1 < p.length && [ch('.'), ch('='), ch(':')].includes(p[this.i + 1])) {
        const delim = p[this.i + 1];
        this.i += 2;
        if (this.eof()) throw new RegexError(MSG.EBRACK);
        const name: number[] = [];
        for (let n = 0; ; n++) {
          if (n >= 32) throw new RegexError(MSG.EBRACK); // BRACKET_NAME_BUF_SIZE
          const x = p[this.i++];
          if (this.eof()) throw new RegexError(MSG.EBRACK);
          if (x === delim && p[this.i] === ch(']')) break;
          name.push(x);
        }
        this.i++;
        const text = String.fromCodePoint(...name);
        if (delim === ch(':')) {
          if (!(text in CLASS_RE)) throw new RegexError(MSG.ECTYPE);
          return { kind: 'class', name: text };
        }
        if (name.length !== 1) throw new RegexError(MSG.ECOLLATE);
        return delim === ch('=') ? { kind: 'equiv', cp: name[0] } : { kind: 'char', cp: name[0] };
      }
      if (c === ch('-') && !acceptHyphen && p[this.i + 1] !== ch(']')) throw new RegexError(MSG.ERANGE);
      this.i++;
      return { kind: 'char', cp: c };
    };
    for (;;) {
      if (this.eof()) throw new RegexError(MSG.EBRACK);
      const start = element(first);
      first = false;
      if (this.eof()) throw new RegexError(MSG.EBRACK);
      let isRange = false;
      if (start.kind !== 'class' && start.kind !== 'equiv' && p[this.i] === ch('-')) {
        if (this.i + 1 >= p.length) throw new RegexError(MSG.EBRACK);
        if (p[this.i + 1] !== ch(']')) {
          isRange = true;
          this.i++;
        }
      }
      if (isRange) {
        const end = element(true);
        if (start.kind !== 'char' || end.kind !== 'char') throw new RegexError(MSG.ERANGE);
        if (start.cp > end.cp) throw new RegexError(MSG.ERANGE);
        set.ranges.push(start.cp, end.cp);
      } else if (start.kind === 'class') set.classes.push(start.name);
      else set.ranges.push(start.cp, start.cp);
      if (this.eof()) throw new RegexError(MSG.EBRACK);
      if (p[this.i] === ch(']')) {
        // dfa.c: [:space:] without the inner brackets is an error in grep
        const body = p.slice(bodyStart, this.i);
        if (body.length >= 2 && body[0] === ch(':') && body[body.length - 1] === ch(':') && body.some((x) => x !== ch(':')))
          throw new RegexError('character class syntax is [[:space:]], not [:space:]');
        this.i++;
        return set;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Program (Thompson NFA) and Pike VM

const OP_CHAR = 0;
const OP_ANY = 1;
const OP_SET = 2;
const OP_ASSERT = 3;
const OP_SPLIT = 4;
const OP_JMP = 5;
const OP_MATCH = 6;

interface Inst {
  op: number;
  cp: number;
  /** -i: the other case of cp (or cp). */
  cp2: number;
  set: CharSet | null;
  a: Assertion | null;
  x: number;
  y: number;
}

function fold(cp: number): number {
  const s = String.fromCodePoint(cp);
  const l = s.toLowerCase();
  const u = s.toUpperCase();
  const other = l !== s ? l : u;
  return [...other].length === 1 ? other.codePointAt(0)! : cp;
}

class Compiler {
  readonly prog: Inst[] = [];
  private icase: boolean;
  constructor(icase: boolean) {
    this.icase = icase;
  }

  private emit(op: number, fields: Partial<Inst> = {}): number {
    if (this.prog.length >= MAX_PROGRAM) throw new RegexError(MSG.ESIZE);
    this.prog.push({ op, cp: 0, cp2: 0, set: null, a: null, x: 0, y: 0, ...fields });
    return this.prog.length - 1;
  }

  /** The size of a node's code, to refuse an oversized program before building it. */
  static size(n: Node): number {
    switch (n.t) {
      case 'empty':
        return 0;
      case 'char':
      case 'any':
      case 'set':
      case 'assert':
        return 1;
      case 'cat':
        return n.xs.reduce((s, x) => s + Compiler.size(x), 0);
      case 'alt':
        return n.xs.reduce((s, x) => s + Compiler.size(x) + 2, 0);
      case 'rep': {
        const k = Compiler.size(n.x) + 2;
        return n.max === -1 ? k * Math.max(1, n.min + 1) : k * Math.max(1, n.max);
      }
    }
  }

  gen(n: Node): void {
    switch (n.t) {
      case 'empty':
        return;
      case 'char':
        this.emit(OP_CHAR, { cp: n.cp, cp2: this.icase ? fold(n.cp) : n.cp });
        return;
      case 'any':
        this.emit(OP_ANY);
        return;
      case 'set':
        this.emit(OP_SET, { set: n.set });
        return;
      case 'assert':
        this.emit(OP_ASSERT, { a: n.a });
        return;
      case 'cat':
        for (const x of n.xs) this.gen(x);
        return;
      case 'alt': {
        // split L1, next; L1: x0; jmp end; next: split ... ; last
        const jumps: number[] = [];
        for (let k = 0; k < n.xs.length - 1; k++) {
          const s = this.emit(OP_SPLIT);
          this.prog[s].x = this.prog.length;
          this.gen(n.xs[k]);
          jumps.push(this.emit(OP_JMP));
          this.prog[s].y = this.prog.length;
        }
        this.gen(n.xs[n.xs.length - 1]);
        for (const j of jumps) this.prog[j].x = this.prog.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) this.gen(n.x);
        if (n.max === -1) {
          // L: split body, end; body; jmp L
          const s = this.emit(OP_SPLIT);
          this.prog[s].x = this.prog.length;
          this.gen(n.x);
          const j = this.emit(OP_JMP);
          this.prog[j].x = s;
          this.prog[s].y = this.prog.length;
        } else {
          // (x(x(x)?)?)? for the optional copies
          const splits: number[] = [];
          for (let k = n.min; k < n.max; k++) {
            const s = this.emit(OP_SPLIT);
            this.prog[s].x = this.prog.length;
            splits.push(s);
            this.gen(n.x);
          }
          for (const s of splits) this.prog[s].y = this.prog.length;
        }
        return;
      }
    }
  }
}

/** A compiled grep pattern: test(line) says whether the line contains a match. */
export class GrepRegex {
  private prog: Inst[];
  private icase: boolean;
  /** Threads added so far, over every test() (the work done: at most program × text). */
  steps = 0;
  /** Warnings grep 3.8 prints for the pattern (`grep: warning: ...`). */
  readonly warnings: string[];
  // Pike VM state, reused between lines
  private mark: Int32Array;
  private gen = 0;
  private clist: Int32Array;
  private nlist: Int32Array;

  constructor(patterns: string, opts: RegexOptions = {}) {
    this.icase = !!opts.ignoreCase;
    const warnings: string[] = [];
    const alts: Node[] = [];
    // grep: each line of PATTERNS is a pattern of its own
    for (const pat of patterns.split('\n')) {
      let n: Node;
      if (opts.fixed) n = { t: 'cat', xs: codePoints(pat).map((cp): Node => ({ t: 'char', cp })) };
      else {
        const parser = new Parser(pat, !!opts.extended);
        n = parser.parse();
        warnings.push(...parser.warnings);
      }
      if (opts.lines) n = { t: 'cat', xs: [{ t: 'assert', a: 'bol' }, n, { t: 'assert', a: 'eol' }] };
      else if (opts.words) n = { t: 'cat', xs: [{ t: 'assert', a: 'wstart' }, n, { t: 'assert', a: 'wend' }] };
      alts.push(n);
    }
    const root: Node = alts.length === 1 ? alts[0] : { t: 'alt', xs: alts };
    if (Compiler.size(root) >= MAX_PROGRAM) throw new RegexError(MSG.ESIZE);
    const c = new Compiler(this.icase);
    c.gen(root);
    c.prog.push({ op: OP_MATCH, cp: 0, cp2: 0, set: null, a: null, x: 0, y: 0 });
    this.prog = c.prog;
    this.warnings = warnings;
    this.mark = new Int32Array(this.prog.length);
    this.clist = new Int32Array(this.prog.length);
    this.nlist = new Int32Array(this.prog.length);
  }

  /** Whether the line (no newline) contains a match. */
  test(line: string): boolean {
    const text = codePoints(line);
    const prog = this.prog;
    const len = text.length;
    let clist = this.clist;
    let nlist = this.nlist;
    let cn = 0;
    let found = false;
    // add pc and everything reachable by empty transitions at position i to list (DFS with a stack)
    const stack: number[] = [];
    const add = (list: Int32Array, n: number, pc0: number, i: number): number => {
      stack.push(pc0);
      while (stack.length) {
        const pc = stack.pop()!;
        if (this.mark[pc] === this.gen) continue;
        this.mark[pc] = this.gen;
        this.steps++;
        const inst = prog[pc];
        switch (inst.op) {
          case OP_JMP:
            stack.push(inst.x);
            break;
          case OP_SPLIT:
            stack.push(inst.y, inst.x);
            break;
          case OP_ASSERT:
            if (this.assertAt(inst.a!, text, i)) stack.push(pc + 1);
            break;
          case OP_MATCH:
            found = true;
            break;
          default:
            list[n++] = pc;
        }
      }
      return n;
    };
    this.gen++;
    cn = add(clist, 0, 0, 0);
    for (let i = 0; i < len && !found; i++) {
      const c = text[i];
      this.gen++;
      let nn = 0;
      for (let k = 0; k < cn; k++) {
        const pc = clist[k];
        const inst = prog[pc];
        let ok: boolean;
        if (inst.op === OP_CHAR) ok = c === inst.cp || c === inst.cp2;
        else if (inst.op === OP_ANY) ok = true;
        else ok = setHas(inst.set!, c) || (this.icase && setHas(inst.set!, fold(c)));
        if (ok) nn = add(nlist, nn, pc + 1, i + 1);
        if (found) break;
      }
      // unanchored search: a new thread starts at every position
      if (!found) nn = add(nlist, nn, 0, i + 1);
      const t = clist;
      clist = nlist;
      nlist = t;
      cn = nn;
    }
    this.clist = clist;
    this.nlist = nlist;
    if (this.gen > 0x3fffffff) {
      this.mark.fill(0);
      this.gen = 0;
    }
    return found;
  }

  private assertAt(a: Assertion, text: number[], i: number): boolean {
    const prev = i > 0 ? isWordCp(text[i - 1]) : false;
    const next = i < text.length ? isWordCp(text[i]) : false;
    switch (a) {
      case 'bol':
        return i === 0;
      case 'eol':
        return i === text.length;
      case 'wordb':
        return prev !== next;
      case 'notwordb':
        return prev === next;
      case 'wordstart':
        return !prev && next;
      case 'wordend':
        return prev && !next;
      case 'wstart':
        return !prev;
      case 'wend':
        return !next;
    }
  }
}
