import { describe, expect, it } from 'vitest';
import { matchTranscript, linePattern } from '../../src/experiment/match.ts';

describe('matchTranscript', () => {
  it('`...` on its own line elides zero or more lines', () => {
    expect(matchTranscript('a\n...\nd\n', 'a\nb\nc\nd\n').ok).toBe(true);
    expect(matchTranscript('a\n...\nb\n', 'a\nb\n').ok).toBe(true);
    expect(matchTranscript('...\n', '').ok).toBe(true);
    expect(matchTranscript('a\n...\nd\n', 'a\nb\nc\n').ok).toBe(false);
  });
  it('an indented `...` (as in the seed\'s Wireshark blocks) is an elision too', () => {
    expect(matchTranscript('Frame 6\n     ...\n    [iRTT]\n', 'Frame 6\n    x\n    y\n    [iRTT]\n').ok).toBe(true);
  });
  it('`[..]` matches within a line only', () => {
    expect(matchTranscript('[..]$nc -l 12345\n', '[#157#root@box ~]$nc -l 12345\n').ok).toBe(true);
    expect(matchTranscript('a[..]c\n', 'a\nc\n').ok).toBe(false);
  });
  it('named redactions match one token of their kind', () => {
    expect(matchTranscript('users:(("nc",pid=[PID],fd=3))\n', 'users:(("nc",pid=11637,fd=3))\n').ok).toBe(true);
    expect(matchTranscript('127.0.0.1:[PORT]\n', '127.0.0.1:39836\n').ok).toBe(true);
    expect(matchTranscript('127.0.0.1:[PORT]\n', '127.0.0.1:*\n').ok).toBe(false);
    expect(matchTranscript('timer:(timewait,[MS],0)\n', 'timer:(timewait,1.076ms,0)\n').ok).toBe(true);
    expect(matchTranscript('[TIME] IP\n', '22:19:39.718277 IP\n').ok).toBe(true);
    expect(linePattern('Flags [S], seq [ISN]')!.test('Flags [S], seq 4022035446')).toBe(true);
    expect(linePattern('Flags [S], seq [ISN]')!.test('Flags [R], seq 1')).toBe(false);
  });
  it('a redaction not allowed by the block options stays literal', () => {
    expect(matchTranscript('pid=[PID]\n', 'pid=1\n', { redact: ['PORT'] }).ok).toBe(false);
  });
  it('trimTrailing and ignoreBlankLines only apply when asked', () => {
    expect(matchTranscript('ESTAB 0 0\n', 'ESTAB 0 0   \n').ok).toBe(false);
    expect(matchTranscript('ESTAB 0 0\n', 'ESTAB 0 0   \n', { trimTrailing: true }).ok).toBe(true);
    expect(matchTranscript('a\n\n\nb\n', 'a\nb\n', { ignoreBlankLines: true }).ok).toBe(true);
  });
  it('reports a readable unified diff with the elided lines folded back into `...`', () => {
    const r = matchTranscript('---\n...\nLISTEN 2 1\n---\n', '---\nx\ny\nLISTEN 1 1\n---\n');
    expect(r.ok).toBe(false);
    expect(r.diff).toContain('--- recorded');
    expect(r.diff).toContain('+++ simulated');
    expect(r.diff).toContain('-LISTEN 2 1');
  });
});
