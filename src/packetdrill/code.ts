/**
 * The `%{ }%` blocks of packetdrill scripts: Python that packetdrill runs after the script over
 * a TCP_INFO snapshot taken when the block's time came (code.c: `tcpi_*` variables and the
 * symbolic names it emits). The kernel's selftests only ever write `assert` statements over
 * integer expressions, so this is the subset of Python they use, evaluated here instead of by a
 * Python interpreter: statements `assert EXPR[, MESSAGE]` separated by newlines or `;` (with `\`
 * continuations); expressions with `or`, `and`, `not`, chained comparisons, `| ^ & << >>`,
 * `+ - * // / %`, unary `- + ~`, parentheses, integers and floats, names and strings, and `'fmt' % value`
 * for messages. Anything else is a CodeError (the script skips, naming the construct).
 *
 * Pure.
 */

export class CodeError extends Error {}

type Tok = { kind: 'num'; value: number } | { kind: 'name'; value: string } | { kind: 'str'; value: string } | { kind: 'op'; value: string } | { kind: 'end' };

const OPS = ['//', '<<', '>>', '<=', '>=', '==', '!=', '(', ')', ',', '|', '^', '&', '+', '-', '*', '/', '%', '~', '<', '>'];

function tokenize(src: string): Tok[][] {
  const stmts: Tok[][] = [[]];
  let depth = 0;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if ((c === '\n' && depth === 0) || c === ';') {
      stmts.push([]);
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const cur = stmts[stmts.length - 1];
    const num = /^(0[xX][0-9a-fA-F]+|\d+\.\d*|\.\d+|\d+)/.exec(src.slice(i));
    if (num) {
      cur.push({ kind: 'num', value: Number(num[1]) });
      i += num[1].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (name) {
      cur.push({ kind: 'name', value: name[0] });
      i += name[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new CodeError('unterminated string');
      cur.push({ kind: 'str', value: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CodeError(`unsupported Python: '${c}'`);
    if (op === '(') depth++;
    if (op === ')') depth--;
    cur.push({ kind: 'op', value: op });
    i += op.length;
  }
  return stmts.filter((s) => s.length);
}

type Value = number | string | boolean;

class Eval {
  private i = 0;
  private readonly t: Tok[];
  private readonly env: (name: string) => number;
  constructor(t: Tok[], env: (name: string) => number) {
    this.t = t;
    this.env = env;
  }
  private peek(): Tok {
    return this.t[this.i] ?? { kind: 'end' };
  }
  private isOp(v: string): boolean {
    const p = this.peek();
    return p.kind === 'op' && p.value === v;
  }
  private isName(v: string): boolean {
    const p = this.peek();
    return p.kind === 'name' && p.value === v;
  }
  private next(): Tok {
    return this.t[this.i++] ?? { kind: 'end' };
  }
  atEnd(): boolean {
    return this.i >= this.t.length;
  }
  expectName(v: string): void {
    if (!this.isName(v)) throw new CodeError(`unsupported Python: expected '${v}'`);
    this.i++;
  }
  acceptOp(v: string): boolean {
    if (!this.isOp(v)) return false;
    this.i++;
    return true;
  }

  expr(): Value {
    let v = this.and();
    while (this.isName('or')) {
      this.i++;
      const r = this.and();
      v = truthy(v) ? v : r;
    }
    return v;
  }
  private and(): Value {
    let v = this.not();
    while (this.isName('and')) {
      this.i++;
      const r = this.not();
      v = truthy(v) ? r : v;
    }
    return v;
  }
  private not(): Value {
    if (this.isName('not')) {
      this.i++;
      return !truthy(this.not());
    }
    return this.comparison();
  }
  private comparison(): Value {
    let left = this.bitor();
    let result: Value | null = null;
    for (;;) {
      const p = this.peek();
      if (p.kind !== 'op' || !['<', '>', '<=', '>=', '==', '!='].includes(p.value)) break;
      this.i++;
      const right = this.bitor();
      const ok = compare(p.value, left, right);
      result = result === null ? ok : result && ok;
      left = right;
    }
    return result === null ? left : result;
  }
  private binary(next: () => Value, ops: string[]): Value {
    let v = next();
    for (;;) {
      const p = this.peek();
      if (p.kind !== 'op' || !ops.includes(p.value)) return v;
      this.i++;
      v = arith(p.value, v, next());
    }
  }
  private bitor = (): Value => this.binary(this.bitxor, ['|']);
  private bitxor = (): Value => this.binary(this.bitand, ['^']);
  private bitand = (): Value => this.binary(this.shift, ['&']);
  private shift = (): Value => this.binary(this.sum, ['<<', '>>']);
  private sum = (): Value => this.binary(this.term, ['+', '-']);
  private term = (): Value => this.binary(this.unary, ['*', '/', '//', '%']);
  private unary = (): Value => {
    if (this.acceptOp('-')) return -num(this.unary());
    if (this.acceptOp('+')) return num(this.unary());
    if (this.acceptOp('~')) return ~num(this.unary());
    return this.atom();
  };
  private atom(): Value {
    const t = this.next();
    if (t.kind === 'num' || t.kind === 'str') return t.value;
    if (t.kind === 'name') {
      if (t.value === 'True') return true;
      if (t.value === 'False') return false;
      return this.env(t.value);
    }
    if (t.kind === 'op' && t.value === '(') {
      const v = this.expr();
      if (!this.acceptOp(')')) throw new CodeError("unsupported Python: expected ')' (tuples are not supported)");
      return v;
    }
    throw new CodeError(`unsupported Python: unexpected ${t.kind === 'end' ? 'end of statement' : `'${t.value}'`}`);
  }
}

const truthy = (v: Value) => (typeof v === 'string' ? v.length > 0 : !!v);
const num = (v: Value): number => {
  if (typeof v === 'string') throw new CodeError('unsupported Python: arithmetic on a string');
  return Number(v);
};

function compare(op: string, a: Value, b: Value): boolean {
  const x = typeof a === 'boolean' ? Number(a) : a;
  const y = typeof b === 'boolean' ? Number(b) : b;
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
  }
  if (typeof x !== typeof y) throw new CodeError("TypeError: '<' not supported between a string and a number");
  switch (op) {
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    default:
      return x >= y;
  }
}

function arith(op: string, a: Value, b: Value): Value {
  if (op === '%' && typeof a === 'string') return format(a, b);
  const x = num(a);
  const y = num(b);
  switch (op) {
    case '|':
      return x | y;
    case '^':
      return x ^ y;
    case '&':
      return x & y;
    case '<<':
      return x * 2 ** y;
    case '>>':
      return Math.floor(x / 2 ** y);
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      if (y === 0) throw new CodeError('ZeroDivisionError: division by zero');
      return x / y;
    case '//':
      if (y === 0) throw new CodeError('ZeroDivisionError: integer division or modulo by zero');
      return Math.floor(x / y);
    default:
      if (y === 0) throw new CodeError('ZeroDivisionError: integer modulo by zero');
      return x - y * Math.floor(x / y);
  }
}

/** printf-style `'fmt' % value` with one value (%d %u %i %s %x, %%). */
function format(fmt: string, v: Value): string {
  return fmt.replace(/%([%dusix])/g, (_, c: string) => (c === '%' ? '%' : c === 'x' ? num(v).toString(16) : c === 's' ? String(v) : String(Math.trunc(num(v)))));
}

/** The names a block reads (to tell what of TCP_INFO a script needs before running it). */
export function codeNames(src: string): string[] {
  const names = new Set<string>();
  for (const stmt of tokenize(src)) for (const t of stmt) if (t.kind === 'name' && !['assert', 'and', 'or', 'not', 'True', 'False'].includes(t.value)) names.add(t.value);
  return [...names];
}

/**
 * Run a block's statements against `env` (the TCP_INFO snapshot and packetdrill's symbols).
 * Returns null when every assertion holds, or `AssertionError: message` for the first that
 * does not; throws a CodeError for Python outside the supported subset or an unknown name.
 */
export function runCode(src: string, env: Record<string, number>): string | null {
  const lookup = (name: string) => {
    const v = env[name];
    if (v === undefined) throw new CodeError(`NameError: name '${name}' is not defined`);
    return v;
  };
  for (const stmt of tokenize(src)) {
    const e = new Eval(stmt, lookup);
    e.expectName('assert');
    const v = e.expr();
    let msg: Value | null = null;
    if (e.acceptOp(',')) msg = e.expr();
    if (!e.atEnd()) throw new CodeError('unsupported Python: more after the assertion');
    if (!truthy(v)) return `AssertionError${msg === null ? '' : `: ${String(msg)}`}`;
  }
  return null;
}

/** The names code.c's write_symbols() defines for every block (Linux values). */
export const CODE_SYMBOLS: Record<string, number> = {
  TCP_ESTABLISHED: 1, TCP_SYN_SENT: 2, TCP_SYN_RECV: 3, TCP_FIN_WAIT1: 4, TCP_FIN_WAIT2: 5, TCP_TIME_WAIT: 6, TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8, TCP_LAST_ACK: 9, TCP_LISTEN: 10, TCP_CLOSING: 11,
  TCP_CA_Open: 0, TCP_CA_Disorder: 1, TCP_CA_CWR: 2, TCP_CA_Recovery: 3, TCP_CA_Loss: 4,
  TCPI_OPT_TIMESTAMPS: 1, TCPI_OPT_SACK: 2, TCPI_OPT_WSCALE: 4, TCPI_OPT_ECN: 8, TCPI_OPT_ECN_SEEN: 16, TCPI_OPT_SYN_DATA: 32,
  TCPI_OPT_USEC_TS: 64, TCPI_OPT_TFO_CHILD: 128,
};
