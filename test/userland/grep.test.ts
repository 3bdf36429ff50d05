/**
 * grep on a linear-time engine (src/userland/regex.ts) with GNU grep 3.8's syntax and messages
 * (Debian 12, grep 3.8-5, C.UTF-8). Each expected value below was checked against the real grep:
 * `printf '%s\n' LINES | grep [-E] PATTERN; echo $?`. The parser follows gnulib's regcomp.c
 * (parse_expression, parse_dup_op, parse_bracket_exp, parse_bracket_element; messages from
 * __re_error_msgid) and dfa.c (the `[:space:]` error and the "at start of expression" warnings).
 * When real grep is installed, one test compares every case with it directly.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { GrepRegex, RegexError } from '../../src/userland/regex.ts';
import { createHost } from '../../src/model/index.ts';
import { installUserland } from '../../src/userland/index.ts';
import { grep } from '../../src/userland/tools.ts';
import { findTool } from '../helpers/tools.ts';

const LINES = ['a(b)c{1}*a+a d9 .-/', 'xa', '*a', '+', '?', '{1', 'xxx', 'aaa d', 'abc!', '', '  x !', 'tcp  ESTAB 0 0 127.0.0.1:12345', 'a.', 'Abc', ')', '{1}', 'bc', 'ab'];

type Flags = '' | 'E' | 'i' | 'w' | 'x' | 'F' | 'wi' | 'Ew';

/** What our grep prints for the lines (stdout, then `rc=N`), with stderr lines first. */
function model(flags: Flags, pattern: string, lines = LINES): string {
  try {
    const re = new GrepRegex(pattern, { extended: flags.includes('E'), ignoreCase: flags.includes('i'), words: flags.includes('w'), lines: flags.includes('x'), fixed: flags.includes('F') });
    const out = lines.filter((l) => re.test(l));
    return [...re.warnings.map((w) => `grep: warning: ${w}`), ...out, `rc=${out.length ? 0 : 1}`].join('\n');
  } catch (e) {
    if (e instanceof RegexError) return `grep: ${e.message}\nrc=2`;
    throw e;
  }
}

/** [flags, pattern, expected lines of LINES (indices) or an error message] as real grep 3.8 gives them. */
const CASES: [Flags, string, number[] | string, string?][] = [
  // BRE: ( ) { } | + ? are literals; \( \) \{ \} \| \+ \? operators
  ['', '(', [0]],
  ['', ')', [0, 14]],
  ['', '\\(', 'Unmatched ( or \\('],
  ['', '\\)', 'Unmatched ) or \\)'],
  ['', 'a\\{1', 'Unmatched \\{'],
  ['', 'a\\{1,2', 'Unmatched \\{'],
  ['', 'a\\{2,1\\}', 'Invalid content of \\{\\}'],
  ['', 'a\\{1,2,3\\}', 'Invalid content of \\{\\}'],
  ['', 'a\\{1a\\}', 'Invalid content of \\{\\}'],
  ['', 'a\\{\\}', 'Invalid content of \\{\\}'],
  ['', 'a\\{99999\\}', 'Regular expression too big'],
  ['', '[', 'Invalid regular expression'],
  ['', '[a', 'Unmatched [, [^, [:, [., or [='],
  ['', '[]', 'Unmatched [, [^, [:, [., or [='],
  ['', '[[:alpha:]', 'Unmatched [, [^, [:, [., or [='],
  ['', '[[:foo:]]', 'Invalid character class name'],
  ['', '[z-a]', 'Invalid range end'],
  ['', '[a-b-c]', 'Invalid range end'],
  ['', '[[:alpha:]-z]', 'Invalid range end'],
  ['', '[[.ab.]]', 'Invalid collation character'],
  ['', '[:space:]', 'character class syntax is [[:space:]], not [:space:]'],
  ['', 'a\\', 'Trailing backslash'],
  ['', '\\1', 'Invalid back reference'],
  ['', '\\(a\\)\\2', 'Invalid back reference'],
  ['', 'a\\{,\\}', LINES.map((_, i) => i)], // a{0,}: every line
  ['', '*a', [0, 2]], // a leading * is literal
  ['', '\\{1\\}', [0, 15]], // so is a leading \{
  ['', '^*', [2]], // and a * after ^
  ['', 'a^', []],
  ['', '$a', []],
  ['', 'a\\{1\\}\\{2\\}', [7]],
  ['', '\\(^a\\)', [0, 7, 8, 12, 17]],
  ['', 'ESTAB\\|LISTEN', [11]],
  ['', 'b\\+', [0, 8, 13, 16, 17]],
  ['', 'c\\{1\\}', [0, 8, 11, 13, 16]],
  ['', '[[:digit:]]\\+', [0, 5, 11, 15]],
  ['', '\\<d', [0, 7]],
  ['', '9\\>', [0]],
  ['', '[--/]', [0, 11, 12]],
  ['', '[[.a.]]', [0, 1, 2, 7, 8, 12, 17]],
  ['', '^(\\s*\\S*)*!$', []],
  // ERE
  ['E', '(', 'Unmatched ( or \\('],
  ['E', ')', [0, 14]],
  ['E', 'a(*)', 'Unmatched ( or \\('],
  ['E', 'a{2,1}', 'Invalid content of \\{\\}'],
  ['E', 'a{}', 'Invalid content of \\{\\}'],
  ['E', 'x{32768}', 'Regular expression too big'],
  ['E', 'x{32767}', []],
  ['E', 'a{1', []], // an invalid interval is literal text
  ['E', '{1', [0, 5, 15]],
  ['E', '*a', 'W* at start of expression', 'a'],
  ['E', '{1}a', 'W{...} at start of expression', 'a'],
  ['E', '(+a)', 'W+ at start of expression', 'a'],
  ['E', '^*a', 'W* at start of expression', 'a'], // dfa.c repeats the anchor: an a anywhere
  ['E', 'a{1}{2}', [7]],
  ['E', '[]a]', [0, 1, 2, 7, 8, 12, 17]],
  ['E', '(a|b)+c', [8, 13, 16]],
  ['E', 'ESTAB|LISTEN', [11]],
  ['E', '\\(', [0]],
  ['E', '^(\\s*\\S*)*!$', [8, 10]],
  ['i', 'A[[:upper:]]', [7, 8, 11, 13, 17]],
  ['w', 'a', [0, 2, 12]],
  ['x', 'd9', []],
  ['F', '(b)', [0]],
  ['wi', 'D9', [0]],
];

function expected(c: (typeof CASES)[number]): string {
  const [, , exp, extra] = c;
  if (typeof exp === 'string' && exp.startsWith('W')) {
    const out = LINES.filter((l) => l.includes(extra!));
    return [`grep: warning: ${exp.slice(1)}`, ...out, `rc=${out.length ? 0 : 1}`].join('\n');
  }
  if (typeof exp === 'string') return `grep: ${exp}\nrc=2`;
  return [...exp.map((i) => LINES[i]), `rc=${exp.length ? 0 : 1}`].join('\n');
}

describe('grep: GNU grep 3.8 syntax on a Pike VM', () => {
  for (const c of CASES) {
    it(`grep ${c[0] ? `-${c[0]} ` : ''}'${c[1]}'`, () => {
      expect(model(c[0], c[1])).toBe(expected(c));
    });
  }

  const real = findTool('grep');
  it.skipIf(!real || !/GNU grep\) 3\.8/.test(spawnSync(real, ['--version'], { encoding: 'utf8' }).stdout ?? ''))('agrees with the real grep 3.8 on every case', () => {
    for (const [flags, pattern] of CASES) {
      const r = spawnSync('grep', [...(flags ? [`-${flags}`] : []), '--', pattern], { input: LINES.join('\n') + '\n', encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8', PATH: `${real!.replace(/\/grep$/, '')}:${process.env.PATH}` } });
      const realOut = [...r.stderr.split('\n').filter(Boolean), ...r.stdout.split('\n').slice(0, -1), `rc=${r.status}`].join('\n');
      expect(model(flags, pattern), `grep -${flags} '${pattern}'`).toBe(realOut);
    }
  });

  it('matches a pathological pattern on a long line in O(pattern × text) steps', () => {
    // (\s*\S*)*!$ backtracks exponentially in a backtracking engine (JavaScript's RegExp)
    const line = 'x'.repeat(10_000);
    for (const [pattern, extended] of [['^(\\s*\\S*)*!$', true], ['^\\(\\s*\\S*\\)*!$', false], ['(a*)*(a*)*(a*)*b', true], ['(x|x)*y', true]] as const) {
      const re = new GrepRegex(pattern, { extended });
      expect(re.test(line)).toBe(false);
      const program = (re as unknown as { prog: unknown[] }).prog.length;
      // every position adds each instruction at most once
      expect(re.steps).toBeLessThanOrEqual(program * (line.length + 1));
    }
  });

  it('refuses a program too big to run in linear time', () => {
    expect(() => new GrepRegex('(x{1000}){1000}', { extended: true })).toThrow('Regular expression too big');
    expect(() => new GrepRegex('('.repeat(5000), { extended: true })).toThrow(RegexError);
    expect(() => new GrepRegex('a' + '\\{1\\}'.repeat(5000))).toThrow(RegexError);
    expect(new GrepRegex('a' + '*'.repeat(100_000)).test('b')).toBe(true);
  });
});

describe('grep as a program', () => {
  /** Run `grep ARGS` with stdin text, returning what it wrote and its exit status. */
  function run(argv: string[], input: string): { out: string; err: string; status: number } {
    const { k, procs } = createHost({ profile: 'linux-6.x', seed: 1 });
    installUserland(procs, k.profile, { user: 'root', hostname: 'lab' });
    let out = '';
    let err = '';
    const gen = grep({ pid: 1, argv: ['grep', ...argv], k, procs, tty: null, catches: new Set(), ignores: new Set(), pendingSignals: [] });
    let r = gen.next();
    let fed = false;
    while (!r.done) {
      const s = r.value;
      if (s.op === 'write') (s.fd === 1 ? (out += s.data) : (err += s.data)), (r = gen.next(s.data.length));
      else if (s.op === 'read') (r = gen.next(fed ? '' : input)), (fed = true);
      else throw new Error(`unexpected ${s.op}`);
    }
    return { out, err, status: r.value };
  }

  it('prints grep 3.8 messages with exit status 2 and never throws', () => {
    expect(run(['('], 'a(b\n')).toEqual({ out: 'a(b\n', err: '', status: 0 });
    expect(run(['-E', '('], 'a(b\n')).toEqual({ out: '', err: 'grep: Unmatched ( or \\(\n', status: 2 });
    expect(run(['-E', '-F', 'a'], 'a\n')).toEqual({ out: '', err: 'grep: conflicting matchers specified\n', status: 2 });
    expect(run(['-Q', 'a'], 'a\n').err).toBe("grep: invalid option -- 'Q'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n");
    expect(run([], 'a\n')).toEqual({ out: '', err: "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n", status: 2 });
    expect(run(['a', 'nofile'], 'a\n')).toEqual({ out: '', err: 'grep: nofile: No such file or directory\n', status: 2 });
    expect(run(['-vE', '^(x|y)$'], 'x\nz\ny\n')).toEqual({ out: 'z\n', err: '', status: 0 });
    expect(run(['-iw', 'ESTAB'], 'estab 1\nestablished\n')).toEqual({ out: 'estab 1\n', err: '', status: 0 });
    expect(run(['-E', '*x'], 'x\n')).toEqual({ out: 'x\n', err: 'grep: warning: * at start of expression\n', status: 0 });
  });
});
