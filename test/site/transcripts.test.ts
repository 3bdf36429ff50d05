import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  commandsOf,
  toAnsi,
  loadTranscript,
  missingError,
  PROMPT_RE,
  foldTranscript,
  fullOutputFiles,
  fullOutputPath,
  FULL_INLINE_MAX_LINES,
  FULL_INLINE_MAX_BYTES,
  type StatusEntry,
} from '../../src/site/transcripts.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = 'test/site/fixtures/experiments';

describe('commandsOf', () => {
  test('keeps the commands typed after the seed prompt, drops output and bare prompts', () => {
    const text = [
      '[#157#root@ubuntu-1604 ~]$nc -l 12345',
      '^Z',
      '[1]+  Stopped                 nc -l 12345',
      '[#158#root@ubuntu-1604 ~]$',
    ].join('\n');
    expect(commandsOf(text)).toEqual(['nc -l 12345']);
  });
  test('handles several prompts and other prompt styles', () => {
    const text = '[#158#root@ubuntu-1604 ~]$nc localhost 12345\n^C\n[#159#root@ubuntu-1604 ~]$ nc -v -p 39836 localhost 12345\nConnection to localhost 12345 port [tcp/*] succeeded!\nuser@debian:~$ ss -natpo\n$ echo hi\nhi';
    expect(commandsOf(text)).toEqual(['nc localhost 12345', 'nc -v -p 39836 localhost 12345', 'ss -natpo', 'echo hi']);
  });
  test('ss output is never mistaken for a prompt', () => {
    const ss = 'LISTEN     0      1            *:12345                    *:*                   users:(("nc",pid=11637,fd=3))\n---';
    expect(commandsOf(ss)).toEqual([]);
    expect(PROMPT_RE.test('[1]+  Stopped                 nc -l 12345')).toBe(false);
  });
});

test('toAnsi colours prompt and command and neutralises embedded escapes', () => {
  const out = toAnsi('[#1#root@h ~]$ls\nout\u001b[31m');
  expect(out.split('\n')[0]).toBe('\u001b[32m[#1#root@h ~]$\u001b[0m\u001b[1mls\u001b[0m');
  expect(out.split('\n')[1]).toBe('out␛[31m');
});

describe('loadTranscript', () => {
  test('reads the generated block, its status and the recorded original', () => {
    process.env.TCP_LAB_EXPERIMENTS_DIR = FIXTURES;
    try {
      const d = loadTranscript({ experiment: 'seed-collision', block: 'client-connect', profile: 'linux-4.4', root: ROOT });
      expect(d.kind).toBe('ok');
      if (d.kind !== 'ok') return;
      expect(d.text).toContain('nc localhost 12345');
      expect(d.text.endsWith('\n')).toBe(false);
      expect(d.status?.status).toBe('match');
      expect(d.recordedFile).toBe(`${FIXTURES}/seed-collision/recorded/seed/client-connect.txt`);
      expect(d.recordedText).toBe(d.text);
    } finally {
      delete process.env.TCP_LAB_EXPERIMENTS_DIR;
    }
  });
  test('a missing block is reported with its path, and the error names the file', () => {
    process.env.TCP_LAB_EXPERIMENTS_DIR = FIXTURES;
    try {
      const d = loadTranscript({ experiment: 'seed-collision', block: 'no-such-block', profile: 'linux-4.4', root: ROOT });
      expect(d).toMatchObject({ kind: 'missing', file: `${FIXTURES}/seed-collision/generated/linux-4.4/no-such-block.txt` });
      expect(missingError(d.file).message).toContain('no-such-block.txt');
      expect(missingError(d.file).message).toContain('TCP_LAB_ALLOW_MISSING_TRANSCRIPTS=1');
    } finally {
      delete process.env.TCP_LAB_EXPERIMENTS_DIR;
    }
  });
  test('path traversal in props is rejected', () => {
    expect(() => loadTranscript({ experiment: '../x', block: 'a', profile: 'linux-4.4', root: ROOT })).toThrow(/invalid experiment/);
  });
});

describe('foldTranscript: where the whole output of a folded block goes', () => {
  const match: StatusEntry = { status: 'match', recorded: 'recorded/x.txt' };
  // n lines of output; the recording keeps the first and last and elides the rest.
  const block = (n: number, width = 10) => Array.from({ length: n }, (_, i) => `line ${i}`.padEnd(width, '.')).join('\n');
  const recording = (text: string) => {
    const l = text.split('\n');
    return [l[0], '...', l[l.length - 1]].join('\n');
  };

  test('a block whose recording elides nothing, or that does not match, is shown whole', () => {
    const text = block(100);
    expect(foldTranscript({ text, status: match, recordedText: text })).toMatchObject({ full: 'none', totalLines: 0, shown: text });
    expect(foldTranscript({ text, status: { status: 'mismatch', recorded: 'r' }, recordedText: recording(text) }).full).toBe('none');
    expect(foldTranscript({ text, status: null, recordedText: null }).full).toBe('none');
  });
  test(`up to ${FULL_INLINE_MAX_LINES} lines the whole output stays inline; one more and it is a file`, () => {
    const short = block(FULL_INLINE_MAX_LINES);
    const f = foldTranscript({ text: short, status: match, recordedText: recording(short) });
    expect(f).toMatchObject({ full: 'inline', totalLines: FULL_INLINE_MAX_LINES });
    expect(f.shown).toBe(['line 0....', '...', `line ${FULL_INLINE_MAX_LINES - 1}`.padEnd(10, '.')].join('\n'));
    const long = block(FULL_INLINE_MAX_LINES + 1);
    const g = foldTranscript({ text: long, status: match, recordedText: recording(long) });
    expect(g).toMatchObject({ full: 'file', totalLines: FULL_INLINE_MAX_LINES + 1, bytes: long.length + 1 });
    expect(g.shown.split('\n')).toHaveLength(3);
  });
  test(`a few very long lines (over ${FULL_INLINE_MAX_BYTES / 1024} KB) are a file too`, () => {
    const wide = block(20, 500);
    expect(foldTranscript({ text: wide, status: match, recordedText: recording(wide) })).toMatchObject({ full: 'file', totalLines: 20 });
    const narrow = block(20, 300);
    expect(foldTranscript({ text: narrow, status: match, recordedText: recording(narrow) }).full).toBe('inline');
  });
  test('runs shorter than 8 lines are not folded', () => {
    const text = block(9);
    const rec = ['line 0....', '...', 'line 8....'].join('\n'); // elides 7 lines
    expect(foldTranscript({ text, status: match, recordedText: rec }).full).toBe('none');
  });
  test("the seed's watch loop is a file, its first watch inline, a short block neither", () => {
    const get = (block: string) => {
      const d = loadTranscript({ experiment: 'seed-collision', block, profile: 'linux-4.4', root: ROOT });
      if (d.kind !== 'ok') throw new Error(d.reason);
      return { d, f: foldTranscript(d) };
    };
    const states = get('watch-states');
    expect(states.f.full).toBe('file');
    expect(states.f.totalLines).toBe(states.d.text.split('\n').length);
    expect(states.f.totalLines).toBeGreaterThan(500);
    expect(states.f.shown.split('\n').length).toBeLessThan(100);
    const listen = get('watch-listen');
    expect(listen.f.full).toBe('inline');
    expect(listen.f.totalLines).toBeGreaterThan(listen.f.shown.split('\n').length);
    expect(get('client-connect').f.full).toBe('none');
  });
});

describe('full output files', () => {
  test('paths are per experiment, profile and block, and refuse traversal', () => {
    expect(fullOutputPath({ experiment: 'seed-collision', profile: 'linux-4.4', block: 'watch-states' })).toBe(
      'transcripts/seed-collision/linux-4.4/watch-states.txt',
    );
    expect(() => fullOutputPath({ experiment: 'seed-collision', profile: '..', block: 'x' })).toThrow(/invalid/);
  });
  test('one file per long folded block, holding the generated text exactly', () => {
    const files = fullOutputFiles(ROOT);
    const names = files.map((f) => `${f.experiment}/${f.profile}/${f.block}`);
    expect(names).toContain('seed-collision/linux-4.4/watch-states');
    expect(names).toContain('seed-collision/linux-4.4/watch-reuse');
    expect(names).not.toContain('seed-collision/linux-4.4/watch-listen');
    expect(names).not.toContain('seed-collision/linux-4.4/client-connect');
    for (const f of files) {
      expect(f.text, names[files.indexOf(f)]).toBe(readFileSync(resolve(ROOT, `content/experiments/${f.experiment}/generated/${f.profile}/${f.block}.txt`), 'utf8'));
    }
  });
});

describe('wrapped lines, laid out as the browser wraps them', () => {
  test('lineRows: breaks after spaces (which hang) and hyphens, a continuation is indented, a long word is broken', async () => {
    const { lineRows, extraRows } = await import('../../src/site/transcripts.ts');
    expect(lineRows('', 39)).toBe(1);
    expect(lineRows('x'.repeat(39), 39)).toBe(1);
    // 39 cells, then 35 a continuation row (4 cells of hanging indent)
    expect(lineRows('x'.repeat(100), 39)).toBe(3);
    // spaces at the end of a row hang: 'aaa' fills the row exactly and the spaces after it take no room
    expect(lineRows('a'.repeat(39) + '      b', 39)).toBe(2);
    // an ss row of 118 cells in a phone's column and a desktop's
    const ss = 'LISTEN     0      1            *:12345                    *:*                   users:(("nc",pid=11637,fd=3))';
    expect(lineRows(ss, 39)).toBe(3);
    expect(lineRows(ss, 76)).toBe(2);
    // a hyphen before a letter is a break: 'SYN-' ends the first row, the rest fits the second
    expect(lineRows('xx SYN-SENT', 8)).toBe(2);
    // the copy button's corner narrows the first two lines only
    expect(extraRows('x'.repeat(39) + '\n' + 'y'.repeat(39) + '\n' + 'z'.repeat(39), 39, true)).toBe(2);
    expect(extraRows('x'.repeat(39), 39, false)).toBe(0);
  });
});

