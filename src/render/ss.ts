/**
 * `ss` (iproute2) output, byte for byte, from a socket table.
 *
 * Two layouts:
 *  - iproute2 4.3 (Ubuntu 16.04): fixed widths computed once in main() from the terminal
 *    width (80 when stdout is not a tty), `*` for 0.0.0.0 and port 0.
 *  - iproute2 >= 4.15 column model (6.1 as recorded on Debian 12): buffered tokens, one per
 *    column (render()); every column as wide as its widest token plus its left delimiter
 *    (render_calc_width()), and on a tty the leftover width spread over the columns of each
 *    line; 0.0.0.0 printed. users:, timer: and the -i line (`\n\t` and tcp_show_info()) are all
 *    written into the column headed "Process" (columns[] has "Process" where enum col_id has
 *    COL_EXT, and an empty last column where it has COL_PROC). '6.11' adds the print_ms_timer
 *    fix (3e807112: "1.076sec" instead of "1.076ms").
 *
 * `-i` prints tcp_show_info()/tcp_stats_print() of each version from the dump's tcp_info
 * (inet_diag INET_DIAG_INFO, the model's tcp_get_info()) and INET_DIAG_CONG.
 */
import { ip4str } from '../model/seq.ts';
import {
  TCP_CLOSE, TCP_LISTEN, TCP_SYN_RECV, TCP_TIME_WAIT, type FdOwner, type SockDiag, type SocketTable,
} from '../model/types.ts';
import { TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE, TCPI_RATE_UNLIMITED, type TcpInfo } from '../model/tcp.ts';

export type SsVersion = '4.3' | '6.1' | '6.11';

export interface SsOptions {
  numeric: boolean;
  processes: boolean;
  timers: boolean;
  /** -i: the tcp_info line of each socket (absent: no). */
  info?: boolean;
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

/** Options real ss accepts (6.1's getopt string) that the model does not: what they would show. */
const NOT_MODELLED: Record<string, string> = {
  s: 'the summary (-s: /proc/net/sockstat and the socket counts of every family)',
  m: 'socket memory (-m)', e: 'extended socket details (-e)', d: 'DCCP sockets (-d)', u: 'UDP sockets (-u)', w: 'raw sockets (-w)',
  x: 'Unix sockets (-x)', '0': 'packet sockets (-0)', '6': 'IPv6 (-6)', r: 'name resolution (-r)', b: 'BPF filters (-b)',
  E: 'socket events (-E)', Z: 'SELinux contexts (-Z)', z: 'SELinux contexts (-z)', K: 'killing sockets (-K)', N: 'network namespaces (-N)',
  f: 'other families (-f)', A: 'socket tables (-A)', D: 'dumps to a file (-D)', F: 'filter files (-F)', M: 'MPTCP sockets (-M)',
  S: 'SCTP sockets (-S)', T: 'threads (-T)', H: 'no header (-H)', O: 'one line per socket (-O)', h: 'the help text (-h)',
  v: 'the version (-v)', V: 'the version (-V)',
};

export function parseSsArgs(argv: string[]): { ok: true; opts: SsOptions } | { ok: false; message: string } {
  const o: SsOptions = { numeric: false, processes: false, timers: false, info: false, states: 'connected' };
  let all = false;
  let listening = false;
  const longs: Record<string, string> = { numeric: 'n', all: 'a', tcp: 't', listening: 'l', processes: 'p', options: 'o', ipv4: '4', info: 'i', summary: 's' };
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
      else if (c === 'i') o.info = true;
      else if (c === 't' || c === '4') continue;
      else if (Object.hasOwn(NOT_MODELLED, c)) return { ok: false, message: `ss: ${NOT_MODELLED[c]} is not modelled by tcp-lab's simulator\n` };
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

/**
 * C's printf("%.<prec>g"): `prec` significant digits, trailing zeros dropped, the exponent form
 * when the exponent is below -4 or at least `prec` (what ss prints rtt:%g and sprint_bw's %.3g with).
 */
export function printfG(x: number, prec = 6): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const [mant, expStr] = x.toExponential(prec - 1).split('e');
  const exp = Number(expStr);
  const strip = (t: string) => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (exp < -4 || exp >= prec) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(x.toFixed(Math.max(0, prec - 1 - exp)));
}

/** sprint_bw(): 6.1 prints the number (`-n`) or %.3g with T/G/M/k; 4.3 %.1f with M or K. */
function sprintBw(bw: number, version: SsVersion, numeric: boolean): string {
  if (version === '4.3') {
    if (bw > 1000000) return `${(bw / 1000000).toFixed(1)}M`;
    if (bw > 1000) return `${(bw / 1000).toFixed(1)}K`;
    return printfG(bw);
  }
  if (numeric) return bw.toFixed(0);
  if (bw >= 1e12) return `${printfG(bw / 1e12, 3)}T`;
  if (bw >= 1e9) return `${printfG(bw / 1e9, 3)}G`;
  if (bw >= 1e6) return `${printfG(bw / 1e6, 3)}M`;
  if (bw >= 1e3) return `${printfG(bw / 1e3, 3)}k`;
  return printfG(bw);
}

/**
 * tcp_show_info() and tcp_stats_print() of iproute2 4.3 or 6.1 (6.11 prints the same fields):
 * the fields in the version's order, each only when non-zero (ts/sack only with -o).
 */
export function tcpInfoText(row: SockDiag, version: SsVersion, opts: Pick<SsOptions, 'numeric' | 'timers'>): string {
  if (!row.info) return '';
  const i: TcpInfo = row.info.tcp;
  const v43 = version === '4.3';
  const bw = (x: number) => sprintBw(x, version, opts.numeric);
  const parts: string[] = [];
  const add = (cond: unknown, text: () => string) => {
    if (cond) parts.push(text());
  };
  if (opts.timers) {
    add(i.tcpi_options & TCPI_OPT_TIMESTAMPS, () => 'ts');
    add(i.tcpi_options & TCPI_OPT_SACK, () => 'sack');
  }
  add(row.info.cong, () => row.info!.cong);
  add(i.tcpi_options & TCPI_OPT_WSCALE, () => `wscale:${i.tcpi_snd_wscale},${i.tcpi_rcv_wscale}`);
  add(i.tcpi_rto && i.tcpi_rto !== 3000000, () => `rto:${printfG(i.tcpi_rto / 1000)}`);
  add(i.tcpi_backoff, () => `backoff:${i.tcpi_backoff}`);
  add(i.tcpi_rtt, () => `rtt:${printfG(i.tcpi_rtt / 1000)}/${printfG(i.tcpi_rttvar / 1000)}`);
  add(i.tcpi_ato, () => `ato:${printfG(i.tcpi_ato / 1000)}`);
  add(i.tcpi_snd_mss, () => `mss:${i.tcpi_snd_mss}`);
  if (!v43) {
    add(i.tcpi_pmtu, () => `pmtu:${i.tcpi_pmtu}`);
    add(i.tcpi_rcv_mss, () => `rcvmss:${i.tcpi_rcv_mss}`);
    add(i.tcpi_advmss, () => `advmss:${i.tcpi_advmss}`);
  }
  add(i.tcpi_snd_cwnd, () => `cwnd:${i.tcpi_snd_cwnd}`);
  add(i.tcpi_snd_ssthresh < 0xffff && i.tcpi_snd_ssthresh, () => `ssthresh:${i.tcpi_snd_ssthresh}`);
  if (!v43) {
    add(i.tcpi_bytes_sent, () => `bytes_sent:${i.tcpi_bytes_sent}`);
    add(i.tcpi_bytes_retrans, () => `bytes_retrans:${i.tcpi_bytes_retrans}`);
  }
  add(i.tcpi_bytes_acked, () => `bytes_acked:${i.tcpi_bytes_acked}`);
  add(i.tcpi_bytes_received, () => `bytes_received:${i.tcpi_bytes_received}`);
  add(i.tcpi_segs_out, () => `segs_out:${i.tcpi_segs_out}`);
  add(i.tcpi_segs_in, () => `segs_in:${i.tcpi_segs_in}`);
  if (!v43) {
    add(i.tcpi_data_segs_out, () => `data_segs_out:${i.tcpi_data_segs_out}`);
    add(i.tcpi_data_segs_in, () => `data_segs_in:${i.tcpi_data_segs_in}`);
  }
  // send: cwnd x mss x 8 per tcpi_rtt (µs), in bits per second
  add(i.tcpi_rtt > 0 && i.tcpi_snd_mss && i.tcpi_snd_cwnd, () => `send ${bw((i.tcpi_snd_cwnd * i.tcpi_snd_mss * 8000000) / i.tcpi_rtt)}bps`);
  add(i.tcpi_last_data_sent, () => `lastsnd:${i.tcpi_last_data_sent}`);
  add(i.tcpi_last_data_recv, () => `lastrcv:${i.tcpi_last_data_recv}`);
  add(i.tcpi_last_ack_recv, () => `lastack:${i.tcpi_last_ack_recv}`);
  if (i.tcpi_pacing_rate && i.tcpi_pacing_rate !== TCPI_RATE_UNLIMITED) {
    let t = `pacing_rate ${bw(i.tcpi_pacing_rate * 8)}bps`;
    if (i.tcpi_max_pacing_rate && i.tcpi_max_pacing_rate !== TCPI_RATE_UNLIMITED) t += `/${bw(i.tcpi_max_pacing_rate * 8)}bps`;
    parts.push(t);
  }
  if (!v43) {
    add(i.tcpi_delivery_rate, () => `delivery_rate ${bw(i.tcpi_delivery_rate * 8)}bps`);
    add(i.tcpi_delivered, () => `delivered:${i.tcpi_delivered}`);
    add(i.tcpi_delivered_ce, () => `delivered_ce:${i.tcpi_delivered_ce}`);
    add(i.tcpi_delivery_rate_app_limited, () => 'app_limited');
    if (i.tcpi_busy_time) {
      const pct = (x: number) => ((100 * x) / i.tcpi_busy_time).toFixed(1);
      parts.push(`busy:${Math.floor(i.tcpi_busy_time / 1000)}ms`);
      add(i.tcpi_rwnd_limited, () => `rwnd_limited:${Math.floor(i.tcpi_rwnd_limited / 1000)}ms(${pct(i.tcpi_rwnd_limited)}%)`);
      add(i.tcpi_sndbuf_limited, () => `sndbuf_limited:${Math.floor(i.tcpi_sndbuf_limited / 1000)}ms(${pct(i.tcpi_sndbuf_limited)}%)`);
    }
  }
  add(i.tcpi_unacked, () => `unacked:${i.tcpi_unacked}`);
  add(i.tcpi_retrans || i.tcpi_total_retrans, () => `retrans:${i.tcpi_retrans}/${i.tcpi_total_retrans}`);
  add(i.tcpi_lost, () => `lost:${i.tcpi_lost}`);
  add(i.tcpi_sacked && row.state !== TCP_LISTEN, () => `sacked:${i.tcpi_sacked}`);
  if (!v43) add(i.tcpi_dsack_dups, () => `dsack_dups:${i.tcpi_dsack_dups}`);
  add(i.tcpi_fackets, () => `fackets:${i.tcpi_fackets}`);
  add(i.tcpi_reordering !== 3, () => `reordering:${i.tcpi_reordering}`);
  if (!v43) add(i.tcpi_reord_seen, () => `reord_seen:${i.tcpi_reord_seen}`);
  add(i.tcpi_rcv_rtt, () => `rcv_rtt:${printfG(i.tcpi_rcv_rtt / 1000)}`);
  add(i.tcpi_rcv_space, () => `rcv_space:${i.tcpi_rcv_space}`);
  if (!v43) {
    add(i.tcpi_rcv_ssthresh, () => `rcv_ssthresh:${i.tcpi_rcv_ssthresh}`);
    add(i.tcpi_notsent_bytes, () => `notsent:${i.tcpi_notsent_bytes}`);
    add(i.tcpi_min_rtt && i.tcpi_min_rtt !== 0xffffffff, () => `minrtt:${printfG(i.tcpi_min_rtt / 1000)}`);
    add(i.tcpi_rcv_ooopack, () => `rcv_ooopack:${i.tcpi_rcv_ooopack}`);
    add(i.tcpi_snd_wnd, () => `snd_wnd:${i.tcpi_snd_wnd}`);
  }
  return parts.map((p) => ` ${p}`).join('');
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
    // inet_show_sock(): "\n\t" for every socket, then tcp_show_info() (nothing without tcp_info)
    if (opts.info) line += `\n\t${tcpInfoText(r, '4.3', opts)}`;
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

/** columns[] of ss.c (6.1), Netid disabled (TCP only): the last one is the empty COL_PROC slot. */
const COLUMNS: Col[] = [
  { align: 'left', header: 'State', ldelim: ' ' },
  { align: 'left', header: 'Recv-Q', ldelim: ' ' },
  { align: 'left', header: 'Send-Q', ldelim: ' ' },
  { align: 'right', header: 'Local Address:', ldelim: ' ' },
  { align: 'left', header: 'Port', ldelim: '' },
  { align: 'right', header: 'Peer Address:', ldelim: ' ' },
  { align: 'left', header: 'Port', ldelim: '' },
  { align: 'left', header: 'Process', ldelim: '' },
  { align: 'left', header: '', ldelim: '' },
];

function renderModern(rows: SockDiag[], table: SocketTable, opts: SsOptions, fmt: SsFormat): string {
  // one token per column and line, as out()/field_next() buffer them; print_header() leaves
  // the last column empty
  const lines: string[][] = [COLUMNS.map((c) => c.header)];
  for (const r of rows) {
    let proc = '';
    if (opts.processes) {
      const u = usersText(table.owners.get(r.inode));
      if (u) proc += ` ${u}`;
    }
    if (opts.timers) {
      const t = timerText(r, fmt.iproute2);
      if (t) proc += ` ${t}`;
    }
    if (opts.info) proc += `\n\t${tcpInfoText(r, fmt.iproute2, opts)}`;
    lines.push([
      STATE_NAME[r.state],
      String(r.rqueue).padEnd(6),
      String(r.wqueue).padEnd(6),
      `${ip4str(r.saddr)}:`,
      r.sport === 0 ? '*' : String(r.sport),
      `${ip4str(r.daddr)}:`,
      r.dport === 0 ? '*' : String(r.dport),
      proc,
      '',
    ]);
  }
  // field_flush() records a token's length as the column's max_len; the last socket's tokens
  // from COL_EXT on are never flushed (no next socket's field_set() walks past them), so its
  // users:/timer:/-i text does not widen the column (the others of that line were flushed)
  const flushed = (l: number, i: number) => l < lines.length - 1 || i < 7;
  const widths = renderCalcWidth(
    COLUMNS.map((_, i) => Math.max(0, ...lines.filter((_l, n) => flushed(n, i)).map((l) => l[i].length))),
    fmt.columns && fmt.columns > 0 ? fmt.columns : null,
  );
  let out = '';
  for (const l of lines) {
    l.forEach((tok, i) => {
      const c = COLUMNS[i];
      // render(): the left delimiter only once a line has started, then the padding
      const delim = i === 0 ? '' : c.ldelim;
      const pad = Math.max(0, widths[i] - tok.length - delim.length);
      out += c.align === 'right' ? delim + ' '.repeat(pad) + tok : delim + tok + ' '.repeat(pad);
    });
    out += '\n';
  }
  return out;
}

/**
 * render_calc_width(): each column as wide as its longest token plus its left delimiter (the
 * first non-empty column without it), at most the screen; when stdout is a tty, the leftover
 * width of each screen line spread over its columns (one more to the last `rem` of them).
 */
function renderCalcWidth(maxLen: number[], screen: number | null): number[] {
  const W = screen ?? Number.MAX_SAFE_INTEGER;
  let first = true;
  const w = maxLen.map((m, i) => {
    let x = !first && m ? m + COLUMNS[i].ldelim.length : m;
    x = Math.min(x, W);
    if (x) first = false;
    return x;
  });
  if (screen === null) return w;
  let len = 0;
  let linecols = 0;
  let eol = -1;
  for (let c = 0; c < w.length; c++) {
    if (!w[c]) continue;
    linecols++;
    len += w[c];
    const last = !w.slice(c + 1).some((x) => x);
    if (!last && len < W) continue;
    if (len !== W) {
      if (len > W) {
        // screen width exceeded: go back one column
        len -= w[c];
        c--;
        linecols--;
      }
      if (linecols > 0) {
        const pad = W - len;
        const spacing = Math.floor(pad / linecols);
        let rem = pad % linecols;
        for (let t = c; t > eol; t--) {
          if (!w[t]) continue;
          w[t] += spacing;
          if (rem) {
            w[t]++;
            rem--;
          }
        }
      }
    }
    eol = c;
    len = 0;
    linecols = 0;
  }
  return w;
}
