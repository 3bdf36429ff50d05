/**
 * ss byte-exactness: given the socket table a real ss saw, our renderer prints the same bytes.
 * 4.3 rows come from the 2016 blog (published without trailing spaces); 6.1 rows from every
 * sample of the shared Linux 6.18 recording (`ss -natp -o | grep -E ":12345..."`, not a tty).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseSsArgs, printMsTimer, renderSs, type SsOptions } from '../../src/render/ss.ts';
import { ip4 } from '../../src/model/seq.ts';
import type { FdOwner, SockDiag, SocketTable } from '../../src/model/types.ts';

const NAMES: Record<string, number> = { ESTAB: 1, 'SYN-SENT': 2, 'SYN-RECV': 3, 'FIN-WAIT-1': 4, 'FIN-WAIT-2': 5, 'TIME-WAIT': 6, 'CLOSE-WAIT': 8, 'LAST-ACK': 9, LISTEN: 10, CLOSING: 11 };
const TIMERS: Record<string, number> = { on: 1, keepalive: 2, timewait: 3, persist: 4 };

/** Undo print_ms_timer for fixture building ("59sec" is ambiguous: any 59000..59999 prints it). */
function msOf(t: string): number {
  if (!t) return 0;
  let m = /^(\d+)sec$/.exec(t);
  if (m) return +m[1] * 1000;
  m = /^(\d+)\.(\d{3})(ms|sec)$/.exec(t);
  if (m) return +m[1] * 1000 + +m[2];
  m = /^(\d{3})ms$/.exec(t);
  if (m) return +m[1];
  throw new Error(`timer ${t}`);
}

/** Parse ss rows (either layout) back into the table ss was given. */
function tableOf(lines: string[]): SocketTable {
  const rows: SockDiag[] = [];
  const owners = new Map<number, FdOwner[]>();
  lines.forEach((l, i) => {
    const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\S+):(\S+)\s+(\S+):(\S+)\s*(.*)$/.exec(l)!;
    const addr = (s: string) => (s === '*' ? 0 : ip4(s));
    const port = (s: string) => (s === '*' ? 0 : Number(s));
    const users = /users:\(\("(\w+)",pid=(\d+),fd=(\d+)\)\)/.exec(m[8]);
    const timer = /timer:\((\w+),([^,]*),(\d+)\)/.exec(m[8]);
    const inode = users ? 1000 + i : 0;
    if (users) owners.set(inode, [{ comm: users[1], pid: +users[2], fd: +users[3] }]);
    rows.push({
      state: NAMES[m[1]], rqueue: +m[2], wqueue: +m[3], saddr: addr(m[4]), sport: port(m[5]), daddr: addr(m[6]), dport: port(m[7]),
      timer: timer ? TIMERS[timer[1]] : 0, expiresMs: timer ? msOf(timer[2]) : 0, retrans: timer ? +timer[3] : 0,
      inode, uid: 0, sockId: i,
    });
  });
  return { t: 0, rows, owners };
}

const NATPO: SsOptions = { numeric: true, processes: true, timers: true, states: 'all' };

describe('ss, iproute2 4.3 layout (80 columns, not a tty)', () => {
  const seed = readFileSync(new URL('../../../shared/seed/000_43450f0ee4aae662.txt', import.meta.url), 'utf8');
  const rows = [...new Set(seed.split('\n').filter((l) => /^(LISTEN|ESTAB|CLOSE-WAIT|FIN-WAIT-2|SYN-SENT) /.test(l)))];

  it('reproduces every distinct row of the blog (trailing spaces aside, which the blog dropped)', () => {
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const out = renderSs(tableOf([row]), NATPO, { iproute2: '4.3', columns: null }).split('\n')[1];
      expect(out.trimEnd()).toBe(row);
    }
  });

  it('pads the port column to 18 and right-aligns addresses in 7 (`*` is padded, 127.0.0.1 overflows)', () => {
    const out = renderSs(tableOf(['CLOSE-WAIT 1      0      127.0.0.1:12345              127.0.0.1:39836']), NATPO, { iproute2: '4.3', columns: null });
    expect(out.split('\n')[1]).toBe('CLOSE-WAIT 1      0      127.0.0.1:12345              127.0.0.1:39836              ');
    expect(out.split('\n')[0]).toBe('State      Recv-Q Send-Q Local Address:Port               Peer Address:Port              ');
  });
});

describe('ss, iproute2 6.1 column model (not a tty)', () => {
  const text = readFileSync(new URL('../../../shared/recordings/linux-6.18/seed-collision/snapshots-all.txt', import.meta.url), 'utf8');
  const samples = text.split(/^--- t=.*\n/m).slice(1).map((s) => s.split('\n').filter((l) => l && l !== '(no sockets)'));

  it('reproduces every sample of the 6.18 recording byte for byte', () => {
    let checked = 0;
    for (const lines of samples) {
      if (!lines.length) continue;
      const out = renderSs(tableOf(lines), NATPO, { iproute2: '6.1', columns: null });
      const grepped = out.split('\n').filter((l) => /:12345([^0-9]|$)/.test(l));
      expect(grepped).toEqual(lines);
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });
});

describe('ss, iproute2 6.1 on a tty (render_calc_width() spreads the free width)', () => {
  // the reuseport recording's watcher terminal: a real bash in an 80-column pty, real ss 6.1
  const screen = readFileSync(new URL('../../content/experiments/reuseport/recorded/linux-6.18/terminal-watcher.txt', import.meta.url), 'utf8');
  const blocks = screen.split(/^\[#\d+#root@lab ~\]\$ss .*\n/m).slice(1).map((b) => b.split('\n').filter((l) => l && !l.startsWith('[#')));

  it('prints ss -tln and ss -tn of the recording byte for byte, trailing spaces included (header: `State   Recv-Q   Send-Q`)', () => {
    expect(blocks).toHaveLength(2);
    for (const [i, lines] of blocks.entries()) {
      const argv = i === 0 ? ['-tln'] : ['-tn'];
      const out = renderSs(tableOf(lines.slice(1)), (parseSsArgs(argv) as { opts: SsOptions }).opts, { iproute2: '6.1', columns: 80 });
      expect(out.split('\n').slice(0, -1)).toEqual(lines);
    }
    expect(blocks[0][0]).toMatch(/^State   Recv-Q   Send-Q /);
  });
});

describe('print_ms_timer', () => {
  it('follows iproute2 before and after 6.11', () => {
    const cases: [number, string, string][] = [
      [59000, '59sec', '59sec'], [59999, '59sec', '59sec'], [10500, '10sec', '10sec'], [9076, '9.076ms', '9.076sec'],
      [1076, '1.076ms', '1.076sec'], [52, '052ms', '052ms'], [696, '696ms', '696ms'], [61000, '1min1sec', '1min1sec'],
      [61500, '1min1sec', '1min1sec'], [0, '', ''], [-8, '', ''],
    ];
    for (const [ms, old, neu] of cases) {
      expect(printMsTimer(ms, '4.3')).toBe(old);
      expect(printMsTimer(ms, '6.11')).toBe(neu);
    }
  });
});

describe('ss arguments', () => {
  it('parses -natp -o and rejects unknown options with ss\'s message', () => {
    const r = parseSsArgs(['-natp', '-o']);
    expect(r).toEqual({ ok: true, opts: { numeric: true, processes: true, timers: true, info: false, states: 'all' } });
    const bad = parseSsArgs(['-y']);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/^ss: invalid option -- 'y'/);
  });
  it('says "not modelled" for the options real ss has and the model lacks (issue 18: ss -s said "invalid option")', () => {
    for (const [argv, what] of [[['-s'], 'the summary'], [['-tz'], 'SELinux'], [['--summary'], 'the summary'], [['-tm'], 'socket memory']] as const) {
      const r = parseSsArgs([...argv]);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.message).toMatch(new RegExp(`^ss: ${what}.* is not modelled by tcp-lab's simulator\n$`));
    }
    expect(parseSsArgs(['-tni'])).toMatchObject({ ok: true, opts: { info: true, numeric: true } });
    expect(parseSsArgs(['--info'])).toMatchObject({ ok: true, opts: { info: true } });
  });
  it('without -a hides LISTEN and TIME-WAIT; -l shows only listeners', () => {
    const t = tableOf(['LISTEN     0      1            *:12345                    *:*', 'ESTAB      0      0      127.0.0.1:1              127.0.0.1:2']);
    const plain = renderSs(t, (parseSsArgs(['-nt']) as { opts: SsOptions }).opts, { iproute2: '4.3', columns: null });
    expect(plain).not.toMatch(/LISTEN/);
    const l = renderSs(t, (parseSsArgs(['-lnt']) as { opts: SsOptions }).opts, { iproute2: '4.3', columns: null });
    expect(l).toMatch(/LISTEN/);
    expect(l).not.toMatch(/ESTAB/);
  });
});
