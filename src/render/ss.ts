/**
 * `ss` (iproute2) output, byte for byte, from a socket table.
 *
 * Two layouts:
 *  - iproute2 4.3 (Ubuntu 16.04): fixed widths computed once in main() from the terminal
 *    width (80 when stdout is not a tty), `*` for 0.0.0.0 and port 0.
 *  - iproute2 >= 4.15 column model (6.1 as recorded on Debian 12): every column as wide as its
 *    widest cell (header included) when stdout is not a tty; 0.0.0.0 printed; users: and
 *    timer: share the "Process" column (the enum/array mismatch fixed in 6.7). '6.11' adds the
 *    print_ms_timer fix (3e807112: "1.076sec" instead of "1.076ms").
 */
import { ip4str } from '../model/seq.ts';
import {
  TCP_CLOSE, TCP_LISTEN, TCP_SYN_RECV, TCP_TIME_WAIT, type FdOwner, type SockDiag, type SocketTable,
} from '../model/types.ts';

export type SsVersion = '4.3' | '6.1' | '6.11';

export interface SsOptions {
  numeric: boolean;
  processes: boolean;
  timers: boolean;
  /** Which TCP states to show: 'connected' (default), 'all' (-a), 'listening' (-l), or a set. */
  states: 'connected' | 'all' | 'listening' | number[];
}

export interface SsFormat {
  iproute2: SsVersion;
  /** Terminal width when stdout is a tty; null when piped (4.3 then assumes 80). */
  columns: number | null;
}

/** sstate_name[] */
const STATE_NAME: Record<number, string> = {
  0: 'UNKNOWN', 1: 'ESTAB', 2: 'SYN-SENT', 3: 'SYN-RECV', 4: 'FIN-WAIT-1', 5: 'FIN-WAIT-2', 6: 'TIME-WAIT',
  7: 'UNCONN', 8: 'CLOSE-WAIT', 9: 'LAST-ACK', 10: 'LISTEN', 11: 'CLOSING',
};
const STATE_BY_NAME: Record<string, number> = {
  established: 1, 'syn-sent': 2, 'syn-recv': 3, 'fin-wait-1': 4, 'fin-wait-2': 5, 'time-wait': 6,
  closed: 7, 'close-wait': 8, 'last-ack': 9, listening: 10, closing: 11,
};
const TIMER_NAME = ['off', 'on', 'keepalive', 'timewait', 'persist', 'unknown'];

const USAGE_HINT = 'Usage: ss [ OPTIONS ]\n       ss [ OPTIONS ] [ FILTER ]\n';

export function parseSsArgs(argv: string[]): { ok: true; opts: SsOptions } | { ok: false; message: string } {
  const o: SsOptions = { numeric: false, processes: false, timers: false, states: 'connected' };
  let all = false;
  let listening = false;
  const longs: Record<string, string> = { numeric: 'n', all: 'a', tcp: 't', listening: 'l', processes: 'p', options: 'o', ipv4: '4' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === 'state') {
      const s = argv[++i];
      if (s === undefined) return { ok: false, message: 'ss: missing state name\n' + USAGE_HINT };
      if (s === 'all') o.states = 'all';
      else if (s === 'connected') o.states = 'connected';
      else if (STATE_BY_NAME[s] !== undefined) o.states = [...(Array.isArray(o.states) ? o.states : []), STATE_BY_NAME[s]];
      else return { ok: false, message: `ss: wrong state name: ${s}\n` };
      continue;
    }
    const flags = a.startsWith('--') ? longs[a.slice(2)] : a.startsWith('-') ? a.slice(1) : null;
    if (flags === undefined || flags === null || flags === '') {
      if (a.startsWith('-')) return { ok: false, message: `ss: unrecognized option '${a}'\n${USAGE_HINT}` };
      return { ok: false, message: `ss: filter expressions are not modelled here: ${a}\n` };
    }
    for (const c of flags) {
      if (c === 'n') o.numeric = true;
      else if (c === 'a') all = true;
      else if (c === 'l') listening = true;
      else if (c === 'p') o.processes = true;
      else if (c === 'o') o.timers = true;
      else if (c === 't' || c === '4') continue;
      else return { ok: false, message: `ss: invalid option -- '${c}'\n${USAGE_HINT}` };
    }
  }
  if (!Array.isArray(o.states)) o.states = all ? 'all' : listening ? 'listening' : o.states;
  return { ok: true, opts: o };
}

function shown(row: SockDiag, states: SsOptions['states']): boolean {
  if (states === 'all') return true;
  if (states === 'listening') return row.state === TCP_LISTEN || row.state === TCP_CLOSE;
  if (states === 'connected')
    return ![TCP_LISTEN, TCP_CLOSE, TCP_TIME_WAIT, TCP_SYN_RECV].includes(row.state);
  return states.includes(row.state);
}

/**
 * print_ms_timer(): minutes, then seconds ("." when milliseconds follow, else "sec"),
 * then "%03dms". So 1076 ms prints "1.076ms" before iproute2 6.11 and "1.076sec" after.
 */
export function printMsTimer(ms: number, version: SsVersion = '4.3'): string {
  if (ms < 0) ms = 0;
  let secs = Math.floor(ms / 1000);
  const min = Math.floor(secs / 60);
  secs %= 60;
  let msecs = ms % 1000;
  let out = '';
  if (min) {
    msecs = 0;
    out += `${min}min`;
    if (min > 9) secs = 0;
  }
  if (secs) {
    if (secs > 9) msecs = 0;
    out += `${secs}${msecs ? '.' : 'sec'}`;
  }
  if (msecs) out += `${String(msecs).padStart(3, '0')}${version === '6.11' && secs ? 'sec' : 'ms'}`;
  return out;
}

function usersText(owners: FdOwner[] | undefined): string {
  if (!owners?.length) return '';
  return `users:(${owners.map((o) => `("${o.comm}",pid=${o.pid},fd=${o.fd})`).join(',')})`;
}

function timerText(row: SockDiag, version: SsVersion): string {
  if (!row.timer) return '';
  return `timer:(${TIMER_NAME[Math.min(row.timer, 5)]},${printMsTimer(row.expiresMs, version)},${row.retrans})`;
}

export function renderSs(table: SocketTable, opts: SsOptions, fmt: SsFormat): string {
  const rows = table.rows.filter((r) => shown(r, opts.states));
  return fmt.iproute2 === '4.3' ? render43(rows, table, opts, fmt) : renderModern(rows, table, opts, fmt);
}

// ─────────────────────────── iproute2 4.3 ───────────────────────────

function render43(rows: SockDiag[], table: SocketTable, opts: SsOptions, fmt: SsFormat): string {
  const W = fmt.columns && fmt.columns > 0 ? fmt.columns : 80;
  const netidWidth = 0;
  let stateWidth = 10;
  let a = W - (netidWidth + 1) - (stateWidth + 1) - 14;
  if (a & 1) stateWidth++;
  a = Math.floor(a / 2) - 1;
  let servWidth = opts.numeric ? 5 : 7;
  if (a < 15 + servWidth + 1) a = 21;
  let addrWidth = a - servWidth - 1;
  // the widths are shifted by 13 before the header is printed (measured with a 4.3 build)
  addrWidth -= 13;
  servWidth += 13;
  let out = `${'State'.padEnd(stateWidth)} ${'Recv-Q'.padEnd(6)} ${'Send-Q'.padEnd(6)} `;
  out += `${'Local Address'.padStart(addrWidth)}:${'Port'.padEnd(servWidth)} ${'Peer Address'.padStart(addrWidth)}:${'Port'.padEnd(servWidth)}\n`;
  const addr = (ip: number): string => (ip >>> 24 === 0 ? '*' : ip4str(ip));
  const port = (p: number): string => (p === 0 ? '*' : String(p));
  for (const r of rows) {
    let line = `${STATE_NAME[r.state].padEnd(stateWidth)} ${String(r.rqueue).padEnd(6)} ${String(r.wqueue).padEnd(6)} `;
    line += `${addr(r.saddr).padStart(addrWidth)}:${port(r.sport).padEnd(servWidth)} `;
    line += `${addr(r.daddr).padStart(addrWidth)}:${port(r.dport).padEnd(servWidth)} `;
    if (opts.processes) {
      const u = usersText(table.owners.get(r.inode));
      if (u) line += ` ${u}`;
    }
    if (opts.timers) {
      const t = timerText(r, '4.3');
      if (t) line += ` ${t}`;
    }
    out += line + '\n';
  }
  return out;
}

// ─────────────────────── iproute2 >= 4.15 column model ───────────────────────

interface Col {
  align: 'left' | 'right';
  header: string;
  ldelim: string;
}

function renderModern(rows: SockDiag[], table: SocketTable, opts: SsOptions, fmt: SsFormat): string {
  const cols: Col[] = [
    { align: 'left', header: 'State', ldelim: '' },
    { align: 'left', header: 'Recv-Q', ldelim: ' ' },
    { align: 'left', header: 'Send-Q', ldelim: ' ' },
    { align: 'right', header: 'Local Address:', ldelim: ' ' },
    { align: 'left', header: 'Port', ldelim: '' },
    { align: 'right', header: 'Peer Address:', ldelim: ' ' },
    { align: 'left', header: 'Port', ldelim: '' },
    { align: 'left', header: 'Process', ldelim: ' ' },
  ];
  const cells: string[][] = rows.map((r) => {
    const proc = [opts.processes ? usersText(table.owners.get(r.inode)) : '', opts.timers ? timerText(r, fmt.iproute2) : '']
      .filter(Boolean)
      .join(' ');
    return [
      STATE_NAME[r.state],
      String(r.rqueue).padEnd(6),
      String(r.wqueue).padEnd(6),
      `${ip4str(r.saddr)}:`,
      r.sport === 0 ? '*' : String(r.sport),
      `${ip4str(r.daddr)}:`,
      r.dport === 0 ? '*' : String(r.dport),
      proc,
    ];
  });
  const widths = cols.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  if (fmt.columns && fmt.columns > 0) distribute(widths, cols, fmt.columns);
  const fmtRow = (vals: string[], header: boolean): string =>
    vals
      .map((v, i) => {
        const c = cols[i];
        // the header has no delimiter before Process (prints "...PortProcess")
        const delim = header && i === 7 ? '' : c.ldelim;
        return delim + (c.align === 'right' ? v.padStart(widths[i]) : v.padEnd(widths[i]));
      })
      .join('');
  let out = fmtRow(cols.map((c) => c.header), true) + '\n';
  for (const r of cells) out += fmtRow(r, false) + '\n';
  return out;
}

/** render_calc_width() for a tty: spread the leftover width over the columns of each line. */
function distribute(widths: number[], cols: Col[], W: number): void {
  let start = 0;
  while (start < widths.length) {
    let used = 0;
    let end = start;
    while (end < widths.length && used + widths[end] + cols[end].ldelim.length <= W) {
      used += widths[end] + cols[end].ldelim.length;
      end++;
    }
    if (end === start) end = start + 1;
    const n = end - start;
    const left = Math.max(0, W - used);
    const each = Math.floor(left / n);
    const rem = left - each * n;
    for (let i = start; i < end; i++) widths[i] += each + (i >= end - rem ? 1 : 0);
    start = end;
  }
}
