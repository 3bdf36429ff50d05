import { describe, expect, test } from 'vitest';
import { resolve } from 'node:path';
import { commandsOf, toAnsi, loadTranscript, missingError, PROMPT_RE } from '../../src/site/transcripts.ts';

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
