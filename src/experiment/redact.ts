/**
 * Turn a real-kernel recording's output into the expected side of a transcript check.
 *
 * A real run leaves some values to chance: the client's ephemeral port, the ISNs, the TCP
 * timestamp values, the pids and the wall-clock time of every packet. Those are replaced by the
 * named redactions of match.ts ([PORT] [ISN] [TS] [PID] [TIME]); everything else — flags,
 * relative sequence numbers, windows, options, lengths, states, queue counts, program messages —
 * stays literal and must be reproduced by the simulator byte for byte.
 *
 * Pure: no I/O. The recorder (src/recorder/record.ts) applies it to the blocks it writes.
 */

import type { Experiment } from './types.ts';

/**
 * Ports written in the experiment's commands (the listening port, below the ephemeral range; a
 * port a client binds with -p): what a real run does not choose by chance, so recordings keep
 * them literal.
 */
export function experimentPorts(exp: Experiment): number[] {
  const lines = exp.steps.flatMap((s) => (s.action.kind === 'command' ? [s.action.line] : []));
  // numbers below the ephemeral range (the listening port 12345), and a port a client binds
  // itself with `-p`, unless it reuses the ephemeral port an earlier step got (pinned with
  // {port=N}: the recorder substitutes the real one, a chance value)
  const pinned = new Set(exp.steps.flatMap((s) => (s.pins.ephemeralPort !== undefined ? [s.pins.ephemeralPort] : [])));
  const low = lines.flatMap((l) => [...l.matchAll(/\b(\d{4,5})\b/g)].map((m) => Number(m[1]))).filter((p) => p < 32768);
  const bound = lines.flatMap((l) => [...l.matchAll(/(?:^|\s)-p\s*(\d{1,5})\b/g)].map((m) => Number(m[1]))).filter((p) => !pinned.has(p));
  return [...new Set([...low, ...bound])].sort((a, b) => a - b);
}

export interface RedactOptions {
  /** Ports that are part of the experiment's text (e.g. the listening port 12345): kept literal. */
  keepPorts: readonly number[];
}

const isKept = (port: string, o: RedactOptions) => o.keepPorts.includes(Number(port));

/** One line of `tcpdump -nn -r FILE` output. */
export function redactTcpdumpLine(line: string, o: RedactOptions): string {
  let l = line.replace(/^\d{2}:\d{2}:\d{2}\.\d{6} /, '[TIME] ');
  // addresses are a.b.c.d.port
  l = l.replace(/(\d+\.\d+\.\d+\.\d+)\.(\d+)(?=[ :])/g, (m, a: string, p: string) => (isKept(p, o) ? m : `${a}.[PORT]`));
  // absolute sequence numbers (SYNs, RSTs answering a challenge ACK, the first segment of a
  // new connection); relative ones (`ack 1`, `seq 1`, `ack 2`) are what the simulator must match
  // (a data range `seq A:B` first: the single-number rule would stop at the colon)
  l = l.replace(/\bseq (\d{6,10}):(\d{6,10})\b/g, 'seq [ISN]:[ISN]');
  l = l.replace(/\b(seq|ack) (\d{6,10})\b/g, '$1 [ISN]');
  l = l.replace(/\bTS val \d+ ecr (\d+)/g, (_m, ecr: string) => `TS val [TS] ecr ${ecr === '0' ? '0' : '[TS]'}`);
  return l;
}

/** A terminal screen: prompts, program messages, `ss` lines. */
export function redactTerminalLine(line: string, o: RedactOptions): string {
  let l = line.replace(/\bpid=\d+/g, 'pid=[PID]');
  // bash's line for a job started with `&`: `[1] 4242`
  l = l.replace(/^\[(\d+)\] \d+$/, '[$1] [PID]');
  // ip:port and ip.port pairs (ss, tcpdump lines inside a terminal), and netcat's
  // "Connection received on localhost 43242"
  l = l.replace(/(\d+\.\d+\.\d+\.\d+)([:.])(\d{4,5})\b/g, (m, a: string, sep: string, p: string) => (isKept(p, o) ? m : `${a}${sep}[PORT]`));
  l = l.replace(/^(Connection received on \S+ )(\d+)$/, (m, pre: string, p: string) => (isKept(p, o) ? m : `${pre}[PORT]`));
  l = l.replace(/^\d{2}:\d{2}:\d{2}\.\d{6} /, '[TIME] ');
  // a source port the experiment pinned with `nc -p` is replaced by one this kernel chose
  l = l.replace(/(\bnc\b.*\s-p )(\d+)\b/, (m, pre: string, p: string) => (isKept(p, o) ? m : `${pre}[PORT]`));
  return l;
}

export function redactText(text: string, kind: 'tcpdump' | 'terminal', o: RedactOptions): string {
  const f = kind === 'tcpdump' ? redactTcpdumpLine : redactTerminalLine;
  return text
    .split('\n')
    .map((l) => f(l, o))
    .join('\n');
}
