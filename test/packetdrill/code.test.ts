/**
 * The `%{ }%` blocks: the subset of Python the kernel's selftests write (assert statements over
 * integer expressions), evaluated as Python 3 evaluates it (each expectation below is what
 * python3 prints for the same statement), and every block of the 160 selftests parses.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeNames, CodeError, runCode } from '../../src/packetdrill/code.ts';

const SUITE = new URL('../../../shared/peer-suites/linux-selftests-packetdrill/', import.meta.url).pathname;

describe('%{ }% assertions', () => {
  it('passes when every assertion holds, and reports the first that fails with its message', () => {
    expect(runCode('assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd', { tcpi_snd_cwnd: 10 })).toBeNull();
    expect(runCode('assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd', { tcpi_snd_cwnd: 7 })).toBe('AssertionError: 7');
    expect(runCode("assert 5000 <= tcpi_rtt <= 20000, 'srtt=%d us' % tcpi_rtt", { tcpi_rtt: 20001 })).toBe('AssertionError: srtt=20001 us');
    expect(runCode('assert tcpi_lost == 0', { tcpi_lost: 1 })).toBe('AssertionError');
  });
  it('statements separated by newlines and `;`, with \\ continuations; the first failure wins', () => {
    const src = 'assert tcpi_state == TCP_CLOSE, tcpi_state; \\\n assert tcpi_backoff == 0, 1\nassert tcpi_backoff == 0, 2';
    expect(runCode(src, { tcpi_state: 7, TCP_CLOSE: 7, tcpi_backoff: 3 })).toBe('AssertionError: 1');
  });
  it('Python semantics: chained comparisons, and/or/not, bit operations, floor division and modulo of negatives', () => {
    const ok = (e: string, env: Record<string, number> = {}) => runCode(`assert ${e}`, env) === null;
    expect(ok('(tcpi_options & TCPI_OPT_SACK) != 0', { tcpi_options: 0b0110, TCPI_OPT_SACK: 2 })).toBe(true);
    expect(ok('1 < 2 < 2')).toBe(false); // python3: False
    expect(ok('-7 // 2 == -4 and -7 % 2 == 1')).toBe(true); // python3: -4, 1
    expect(ok('not 0 and (0 or 5) == 5 and 1 << 3 == 8 and ~0 == -1 and 6 ^ 3 == 5')).toBe(true);
    expect(ok('0x10 == 16 and 7 / 2 == 3.5')).toBe(true);
  });
  it('refuses what it does not implement, and names it (the runner skips such a script)', () => {
    expect(() => runCode('x = 1', {})).toThrow(CodeError);
    expect(() => runCode('assert tcpi_nope == 1', {})).toThrow("NameError: name 'tcpi_nope' is not defined");
    expect(() => runCode('assert (1, 2)', {})).toThrow('tuples are not supported');
    expect(() => runCode('assert 1 / 0', {})).toThrow('ZeroDivisionError');
  });
  it('lists the names a block reads', () => {
    expect(codeNames("assert 0 <= tcpi_rtt, 'srtt=%d' % tcpi_rtt; assert tcpi_state == TCP_CLOSE")).toEqual(['tcpi_rtt', 'tcpi_state', 'TCP_CLOSE']);
  });
  it.skipIf(!existsSync(SUITE))('parses every %{ }% block of the kernel selftests', () => {
    const failures: string[] = [];
    let blocks = 0;
    for (const f of readdirSync(SUITE).filter((x) => x.endsWith('.pkt'))) {
      for (const m of readFileSync(SUITE + f, 'utf8').matchAll(/%\{([\s\S]*?)\}%/g)) {
        blocks++;
        const env = Object.fromEntries(codeNames(m[1]).map((n) => [n, 1]));
        try {
          runCode(m[1], env);
        } catch (e) {
          failures.push(`${f}: ${(e as Error).message}`);
        }
      }
    }
    expect(blocks).toBe(154);
    expect(failures).toEqual([]);
  });
});
