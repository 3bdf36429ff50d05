/**
 * Match a generated transcript against a recorded one.
 *
 * In the recorded (expected) text:
 *  - a line that is exactly `...` elides zero or more lines (as the seed's blocks do);
 *  - `[..]` inside a line matches any run of characters within that line;
 *  - named redactions match one token of their kind: [PORT] [PID] [ISN] [TS] [MS] [TIME] [NUM].
 * A mismatch yields a unified diff between the expected text and the actual text aligned to it
 * (lines consumed by `...` appear as context), so the reader sees what differs, not an avalanche.
 */
import { createTwoFilesPatch } from 'diff';
import type { MatchOptions } from './types.ts';

export const REDACTIONS: Record<string, string> = {
  PORT: '\\d{1,5}',
  PID: '\\d{1,7}',
  ISN: '\\d{1,10}',
  TS: '\\d{1,10}',
  NUM: '\\d+',
  MS: '(?:\\d+min)?(?:\\d+(?:sec|\\.))?(?:\\d{3}(?:ms|sec))?',
  TIME: '\\d{2}:\\d{2}:\\d{2}\\.\\d{6}',
};

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function normalize(line: string, o: MatchOptions): string {
  let l = line;
  if (o.trimTrailing) l = l.replace(/\s+$/, '');
  if (o.squashSpaces) l = l.replace(/ {2,}/g, ' ');
  return l;
}

/** One expected line as a regular expression (wildcards and redactions), or null for a literal. */
export function linePattern(expected: string, o: MatchOptions = {}): RegExp | null {
  const allowed = o.redact;
  const re = /\[\.\.\]|\[([A-Z]+)\]/g;
  if (!re.test(expected)) return null;
  re.lastIndex = 0;
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(expected))) {
    out += escape(expected.slice(last, m.index));
    if (m[0] === '[..]') out += '.*?';
    else if (REDACTIONS[m[1]] && (!allowed || allowed.includes(m[1]))) out += `(?:${REDACTIONS[m[1]]})`;
    else out += escape(m[0]);
    last = m.index + m[0].length;
  }
  out += escape(expected.slice(last));
  return new RegExp(`^${out}$`);
}

function lineMatches(exp: string, act: string, o: MatchOptions): boolean {
  const e = normalize(exp, o);
  const a = normalize(act, o);
  if (e === a) return true;
  const p = linePattern(e, o);
  return p ? p.test(a) : false;
}

function split(text: string, o: MatchOptions = {}): string[] {
  let lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (o.ignoreBlankLines) lines = lines.filter((l) => l.trim() !== '');
  // an elision line may be indented like the text around it
  return lines.map((l) => (/^\s*\.\.\.\s*$/.test(l) ? '...' : l));
}

/**
 * Backtracking match with memoisation: `...` may swallow any number of actual lines.
 * Returns the alignment (for each expected line, the actual lines it covered) or null.
 */
function align(exp: string[], act: string[], o: MatchOptions): number[][] | null {
  const memo = new Map<number, number[][] | null>();
  const go = (i: number, j: number): number[][] | null => {
    const key = i * (act.length + 1) + j;
    if (memo.has(key)) return memo.get(key)!;
    let res: number[][] | null = null;
    if (i === exp.length) res = j === act.length ? [] : null;
    else if (exp[i] === '...') {
      for (let k = j; k <= act.length && !res; k++) {
        const rest = go(i + 1, k);
        if (rest) res = [Array.from({ length: k - j }, (_, n) => j + n), ...rest];
      }
    } else if (j < act.length && lineMatches(exp[i], act[j], o)) {
      const rest = go(i + 1, j + 1);
      if (rest) res = [[j], ...rest];
    }
    memo.set(key, res);
    return res;
  };
  return go(0, 0);
}

/**
 * The runs of actual lines that the expected text's `...` lines stand for, as [start, end)
 * line indices into `actual`, or null when the texts do not align (or blank lines are ignored,
 * which renumbers them). Lets a page show a long transcript folded the way its recording is.
 */
export function elidedRuns(expected: string, actual: string, o: MatchOptions = {}): Array<[number, number]> | null {
  if (o.ignoreBlankLines) return null;
  const exp = split(expected, o);
  const act = split(actual, o).map((l) => (l === '...' ? ' ...' : l));
  const al = align(exp, act, o);
  if (!al) return null;
  const runs: Array<[number, number]> = [];
  exp.forEach((l, i) => {
    if (l === '...' && al[i].length) runs.push([al[i][0], al[i][al[i].length - 1] + 1]);
  });
  return runs;
}

export function matchTranscript(expected: string, actual: string, o: MatchOptions = {}, names = { expected: 'recorded', actual: 'simulated' }): { ok: boolean; diff?: string } {
  const exp = split(expected, o);
  const act = split(actual, o).map((l) => (l === '...' ? ' ...' : l));
  if (align(exp, act, o)) return { ok: true };
  // Greedy alignment for a readable diff: show the actual text with the elided runs folded
  // back into `...` where the next expected line can be found again.
  const shown: string[] = [];
  let j = 0;
  for (let i = 0; i < exp.length; i++) {
    if (exp[i] === '...') {
      const next = exp.slice(i + 1).find((l) => l !== '...');
      let k = j;
      while (k < act.length && !(next !== undefined && lineMatches(next, act[k], o))) k++;
      if (next === undefined) k = act.length;
      shown.push('...');
      j = k;
    } else if (j < act.length) {
      shown.push(lineMatches(exp[i], act[j], o) ? exp[i] : act[j]);
      j++;
    }
  }
  while (j < act.length) shown.push(act[j++]);
  const diff = createTwoFilesPatch(names.expected, names.actual, exp.join('\n') + '\n', shown.join('\n') + '\n', '', '', { context: 3 });
  return { ok: false, diff };
}
