/**
 * GNU coreutils 9.1 programs that feed data into a pipeline: `yes`.
 *
 * yes [STRING]...: the operands joined by spaces (or `y`) and a newline, copied into a buffer
 * of at least BUFSIZ (8192) bytes as whole lines, written with full_write() until a write fails
 * (src/yes.c). Into a pipe that is 8192-byte writes (`y\n` x 4096) at the pace the reader drains
 * it; when the reader is gone the write raises SIGPIPE, which ends yes silently (bash prints
 * nothing for a pipeline stage killed by SIGPIPE). Options are only --help and --version
 * (parse_gnu_standard_options_only(), which also takes their prefixes); anything else that
 * starts with `-` is getopt's error.
 */
import type { Program, Sys } from '../model/process.ts';

/** glibc's BUFSIZ. */
const BUFSIZ = 8192;

const YES_TRY = "Try 'yes --help' for more information.\n";

export const YES_HELP = `Usage: yes [STRING]...
  or:  yes OPTION
Repeatedly output a line with all specified STRING(s), or 'y'.

      --help        display this help and exit
      --version     output version information and exit

GNU coreutils online help: <https://www.gnu.org/software/coreutils/>
Report any translation bugs to <https://translationproject.org/team/>
Full documentation <https://www.gnu.org/software/coreutils/yes>
or available locally via: info '(coreutils) yes invocation'
`;

export const YES_VERSION = `yes (GNU coreutils) 9.1
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by David MacKenzie.
`;

/** What one write of yes carries: whole lines, at least BUFSIZ bytes when a line is short. */
export function yesBuffer(operands: string[]): string {
  const line = `${(operands.length ? operands : ['y']).join(' ')}\n`;
  const bytes = new TextEncoder().encode(line).length;
  // bufalloc <= BUFSIZ / 2: the buffer is BUFSIZ, filled with as many copies as fit
  return bytes <= BUFSIZ / 2 ? line.repeat(Math.floor(BUFSIZ / bytes)) : line;
}

/**
 * getopt_long() over {--help, --version} as parse_gnu_standard_options_only() calls it with
 * scan_all: options are taken anywhere on the line (`yes a -x` is an invalid option), `--`
 * ends them, `-` alone is an operand; returns the operands, or what to print and the status.
 */
export function yesArgs(args: string[]): { operands: string[] } | { out: 1 | 2; text: string; status: number } {
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      operands.push(a);
      continue;
    }
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=')[0];
      const hits = ['help', 'version'].filter((o) => o.startsWith(name));
      if (hits.length === 1 && a.includes('=')) return { out: 2, text: `yes: option '--${hits[0]}' doesn't allow an argument\n${YES_TRY}`, status: 1 };
      if (hits.length === 1) return hits[0] === 'help' ? { out: 1, text: YES_HELP, status: 0 } : { out: 1, text: YES_VERSION, status: 0 };
      return { out: 2, text: `yes: unrecognized option '${a}'\n${YES_TRY}`, status: 1 };
    }
    return { out: 2, text: `yes: invalid option -- '${a[1]}'\n${YES_TRY}`, status: 1 };
  }
  return { operands };
}

export const yes: Program = function* (ctx): Generator<Sys, number, any> {
  const r = yesArgs(ctx.argv.slice(1));
  if ('text' in r) {
    yield { op: 'write', fd: r.out, data: r.text };
    return r.status;
  }
  const buf = yesBuffer(r.operands);
  for (;;) {
    const n: number = yield { op: 'write', fd: 1, data: buf };
    if (n < 0) break;
  }
  // only when SIGPIPE is ignored or the output is not a pipe: error (0, errno, "standard output")
  yield { op: 'write', fd: 2, data: 'yes: standard output: Broken pipe\n' };
  return 1;
};
