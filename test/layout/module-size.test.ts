// Issue 16's limits, kept true: the model and the userland stay readable file by file.
// No file in src/model or src/userland is over 800 lines, and no function (declaration,
// method, arrow or function expression, generator) is over 120 lines. A reader who comes
// from net/ipv4/ finds a kernel function in one screenful or two, in the module named
// after the kernel file that holds it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const MAX_FILE_LINES = 800;
const MAX_FUNCTION_LINES = 120;
const DIRS = ['src/model', 'src/userland'];

function files(): string[] {
  return DIRS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.ts')).map((f) => join(d, f)));
}

/** Every function-like node longer than `max` lines, as `file:line name (N lines)`. */
export function longFunctions(file: string, text: string, max: number): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max) {
        const name = n.name && ts.isIdentifier(n.name) ? n.name.text : '(anonymous)';
        out.push(`${file}:${start + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('module size (issue 16)', () => {
  it(`no file in ${DIRS.join(' or ')} is over ${MAX_FILE_LINES} lines`, () => {
    const long = files()
      .map((f) => ({ f, n: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter(({ n }) => n > MAX_FILE_LINES)
      .map(({ f, n }) => `${f}: ${n} lines`);
    expect(long).toEqual([]);
  });

  it(`no function is over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files().flatMap((f) => longFunctions(f, readFileSync(f, 'utf8'), MAX_FUNCTION_LINES));
    expect(long).toEqual([]);
  });

  it('the measure sees a long function, nested or not', () => {
    const body = Array.from({ length: 130 }, (_, i) => `  x += ${i};`).join('\n');
    const text = `function outer() {\n  let x = 0;\n  const inner = function* () {\n${body}\n  };\n}\n`;
    expect(longFunctions('t.ts', text, MAX_FUNCTION_LINES)).toEqual(['t.ts:1 outer (135 lines)', 't.ts:3 (anonymous) (132 lines)']);
  });
});
