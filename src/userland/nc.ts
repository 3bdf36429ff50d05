/**
 * netcat-openbsd as Ubuntu 16.04 (1.105-7ubuntu1) and Debian 12 (1.219-1) ship it: every option
 * a user types is parsed as the real getopt string of its version; the options of the support
 * table (src/userland/cmdline.ts: -4 -h -k -l -N -n -v -z -p -q -s -w, port ranges) are
 * implemented, the others say they are not modelled. The syscall sequences follow the sources
 * (main(), build_ports(), remote_connect(), local_listen(), report_sock(), readwrite());
 * messages and exit statuses were checked against the real 1.219 on Linux 6.18 (notes in
 * test/userland/nc.test.ts), 1.105's against its source with Debian's patches.
 *
 * Where the model differs: connect() without -w is a blocking connect (nc makes it
 * non-blocking and select()s without a timeout: the same packets and results); resolution
 * knows localhost (127.0.0.1, from /etc/hosts), dotted quads, and the reverse name of
 * 127.0.0.1 only.
 */
import { STRERROR } from '../model/kernel.ts';
import { POLLOUT, type PollResult, type Program, type ProgramCtx, type Sys } from '../model/process.ts';
import { EINPROGRESS } from '../model/errno.ts';
import { ip4str } from '../model/seq.ts';
import { NC_NOT_MODELLED } from './cmdline.ts';
import { readwrite105, readwrite219, type RwOptions } from './nc-readwrite.ts';
import { TCP_SERVICES } from './services.ts';

export type NcVersion = '1.105' | '1.219';

/** The getopt strings of main() (1.105 with Debian's patches; 1.219-1 as Debian builds it, without TLS). */
const GETOPT: Record<NcVersion, string> = {
  '1.105': '46bCDdhI:i:jklnO:P:p:q:rSs:tT:UuV:vw:X:x:Zz',
  '1.219': '46bCDdFhI:i:klM:m:NnO:P:p:q:rSs:T:tUuV:vW:w:X:x:Zz',
};

const USAGE: Record<NcVersion, string> = {
  '1.105': 'usage: nc [-46bCDdhjklnrStUuvZz] [-I length] [-i interval] [-O length]\n\t  [-P proxy_username] [-p source_port] [-q seconds] [-s source]\n\t  [-T toskeyword] [-V rtable] [-w timeout] [-X proxy_protocol]\n\t  [-x proxy_address[:port]] [destination] [port]\n',
  '1.219': 'usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n',
};

/** help(): the version line, usage(0) and the command summary, on stderr; exit(0). */
const HELP: Record<NcVersion, string> = {
  '1.105': 'OpenBSD netcat (Debian patchlevel 1.105-7ubuntu1)\n' + USAGE['1.105'] + '\tCommand Summary:\n' + [
    '-4\t\tUse IPv4', '-6\t\tUse IPv6', '-b\t\tAllow broadcast', '-C\t\tSend CRLF as line-ending', '-D\t\tEnable the debug socket option',
    '-d\t\tDetach from stdin', '-h\t\tThis help text', '-I length\tTCP receive buffer length', '-i secs\t\tDelay interval for lines sent, ports scanned',
    '-j\t\tUse jumbo frame', '-k\t\tKeep inbound sockets open for multiple connects', '-l\t\tListen mode, for inbound connects',
    '-n\t\tSuppress name/port resolutions', '-O length\tTCP send buffer length', '-P proxyuser\tUsername for proxy authentication',
    '-p port\t\tSpecify local port for remote connects', '-q secs\t\tquit after EOF on stdin and delay of secs', '-r\t\tRandomize remote ports',
    '-S\t\tEnable the TCP MD5 signature option', '-s addr\t\tLocal source address', '-T toskeyword\tSet IP Type of Service',
    '-t\t\tAnswer TELNET negotiation', '-U\t\tUse UNIX domain socket', '-u\t\tUDP mode', '-V rtable\tSpecify alternate routing table',
    '-v\t\tVerbose', '-w secs\t\tTimeout for connects and final net reads', '-X proto\tProxy protocol: "4", "5" (SOCKS) or "connect"',
    '-x addr[:port]\tSpecify proxy address and port', '-Z\t\tDCCP mode', '-z\t\tZero-I/O mode [used for scanning]',
  ].map((l) => `\t\t${l}\n`).join('') + '\tPort numbers can be individual or ranges: lo-hi [inclusive]\n',
  '1.219': 'OpenBSD netcat (Debian patchlevel 1.219-1)\n' + USAGE['1.219'] + '\tCommand Summary:\n' + [
    '-4\t\tUse IPv4', '-6\t\tUse IPv6', '-b\t\tAllow broadcast', '-C\t\tSend CRLF as line-ending', '-D\t\tEnable the debug socket option',
    '-d\t\tDetach from stdin', '-F\t\tPass socket fd', '-h\t\tThis help text', '-I length\tTCP receive buffer length',
    '-i interval\tDelay interval for lines sent, ports scanned', '-k\t\tKeep inbound sockets open for multiple connects',
    '-l\t\tListen mode, for inbound connects', '-M ttl\t\tOutgoing TTL / Hop Limit', '-m minttl\tMinimum incoming TTL / Hop Limit',
    '-N\t\tShutdown the network socket after EOF on stdin', '-n\t\tSuppress name/port resolutions', '-O length\tTCP send buffer length',
    '-P proxyuser\tUsername for proxy authentication', '-p port\t\tSpecify local port for remote connects',
    '-q secs\t\tquit after EOF on stdin and delay of secs', '-r\t\tRandomize remote ports', '-S\t\tEnable the TCP MD5 signature option',
    '-s sourceaddr\tLocal source address', '-T keyword\tTOS value', '-t\t\tAnswer TELNET negotiation', '-U\t\tUse UNIX domain socket',
    '-u\t\tUDP mode', '-V rtable\tSpecify alternate routing table', '-v\t\tVerbose', '-W recvlimit\tTerminate after receiving a number of packets',
    '-w timeout\tTimeout for connects and final net reads', '-X proto\tProxy protocol: "4", "5" (SOCKS) or "connect"',
    '-x addr[:port]\tSpecify proxy address and port', '-Z\t\tDCCP mode', '-z\t\tZero-I/O mode [used for scanning]',
  ].map((l) => `\t\t${l}\n`).join('') + '\tPort numbers can be individual or ranges: lo-hi [inclusive]\n',
};

/** Options a Linux build refuses at parse time (errx in the getopt switch). */
const LINUX_ERRX: Record<NcVersion, Record<string, string>> = {
  '1.105': { j: 'no jumbo frame support available', V: 'no alternate routing table support available' },
  '1.219': { V: 'no alternate routing table support available' },
};

export interface NcArgs {
  listen: boolean;
  keep: boolean;
  verbose: boolean;
  numeric: boolean;
  zero: boolean;
  /** -N: shutdown(SHUT_WR) after end of input (1.219; -q SECS >= 0 sets it too). */
  shutWr: boolean;
  /** -4: the address family is AF_INET (1.105 prints it in "Listening on"). */
  inet: boolean;
  /** -q: seconds to linger after end of input; 1.105's default is 0, 1.219's -1 (never). */
  quit: number;
  /** -w in ms, -1 without. */
  timeoutMs: number;
  sourcePort: string | null;
  sourceAddr: string | null;
  host: string | null;
  /** The port operand(s): `12345`, `12344-12346` or several operands (1.219 tries each). */
  ports: string[];
}

/** What nc prints before exiting when its arguments are refused: the text (stderr) and status. */
export interface NcExit {
  stderr: string;
  status: number;
}

/** strtonum(3)'s verdict on `s` within [lo, hi]: the number, or "invalid" / "too small" / "too large". */
export function strtonum(s: string, lo: number, hi: number): number | 'invalid' | 'too small' | 'too large' {
  if (!/^\s*[+-]?\d+$/.test(s)) return 'invalid';
  const n = Number(s);
  if (!Number.isSafeInteger(n)) return n < 0 ? 'too small' : 'too large';
  return n < lo ? 'too small' : n > hi ? 'too large' : n;
}

const INT_MAX = 2147483647;
const PORT_MAX = 65535;

/** glibc getopt(): options in any order (it permutes), `--` ends them; one callback per option. */
function getopt(argv: string[], spec: string, on: (c: string, arg: string | undefined) => NcExit | null): { operands: string[] } | NcExit {
  const operands: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i];
    if (w === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (!w.startsWith('-') || w === '-') {
      operands.push(w);
      continue;
    }
    for (let j = 1; j < w.length; j++) {
      const c = w[j];
      const at = c === ':' ? -1 : spec.indexOf(c);
      if (at < 0) return { stderr: `nc: invalid option -- '${c}'\n`, status: -1 };
      let arg: string | undefined;
      if (spec[at + 1] === ':') {
        arg = w.slice(j + 1) || argv[++i];
        if (arg === undefined) return { stderr: `nc: option requires an argument -- '${c}'\n`, status: -1 };
        j = w.length;
      }
      const e = on(c, arg);
      if (e) return e;
    }
  }
  return { operands };
}

/**
 * main()'s option parsing and its "cruft to make sure options are clean" for each version. A
 * refusal gives nc's message and status (usage(1) adds the usage text; -h prints help, status 0).
 */
export function parseNcArgs(argv: string[], version: NcVersion): NcArgs | NcExit {
  const a: NcArgs = { listen: false, keep: false, verbose: false, numeric: false, zero: false, shutWr: false, inet: false, quit: version === '1.105' ? 0 : -1, timeoutMs: -1, sourcePort: null, sourceAddr: null, host: null, ports: [] };
  const r = getopt(argv, GETOPT[version], (c, arg) => {
    const linux = LINUX_ERRX[version][c];
    if (linux) return { stderr: `nc: ${linux}\n`, status: 1 };
    switch (c) {
      case '4': a.inet = true; return null;
      case 'h': return { stderr: HELP[version], status: 0 };
      case 'k': a.keep = true; return null;
      case 'l': a.listen = true; return null;
      case 'N': a.shutWr = true; return null;
      case 'n': a.numeric = true; return null;
      case 'v': a.verbose = true; return null;
      case 'z': a.zero = true; return null;
      case 'p': a.sourcePort = arg!; return null;
      case 's': a.sourceAddr = arg!; return null;
      case 'q': {
        const q = strtonum(arg!, -INT_MAX - 1, INT_MAX);
        if (typeof q !== 'number') return { stderr: `nc: quit timer ${q}: ${arg}\n`, status: 1 };
        a.quit = q;
        // Debian's 1.219: "if (qflag >= 0) Nflag = 1"
        if (version === '1.219' && q >= 0) a.shutWr = true;
        return null;
      }
      case 'w': {
        const t = strtonum(arg!, 0, Math.floor(INT_MAX / 1000));
        if (typeof t !== 'number') return { stderr: `nc: timeout ${t}: ${arg}\n`, status: 1 };
        a.timeoutMs = t * 1000;
        return null;
      }
    }
    return { stderr: `nc: ${NC_NOT_MODELLED[c] ?? `-${c}`} is not modelled by tcp-lab's simulator\n`, status: 1 };
  });
  if ('stderr' in r) return r.status < 0 ? { stderr: r.stderr + USAGE[version], status: 1 } : r;
  return version === '1.105' ? operands105(a, r.operands) : operands219(a, r.operands);
}

const usage = (v: NcVersion): NcExit => ({ stderr: USAGE[v], status: 1 });

/** 1.219's cruft: `nc -l PORT`, `nc -l [-s ADDR] -p PORT`, `nc HOST PORT...`, `nc -l HOST PORT`. */
function operands219(a: NcArgs, argv: string[]): NcArgs | NcExit {
  if (argv.length === 0 && a.listen) {
    a.host = a.sourceAddr;
    a.ports = a.sourcePort === null ? [] : [a.sourcePort];
  } else if (argv.length === 1 && a.sourcePort === null && a.sourceAddr === null) {
    if (a.listen) a.ports = [argv[0]];
  } else if (argv.length >= 2) {
    if (a.listen && (a.sourcePort !== null || a.sourceAddr !== null || argv.length > 2)) return usage('1.219');
    a.host = argv[0];
    a.ports = argv.slice(1);
  } else return usage('1.219');
  if (!a.ports.length) return { stderr: 'nc: missing port number\n', status: 1 };
  if (a.listen && a.zero) return { stderr: 'nc: cannot use -z and -l\n', status: 1 };
  if (!a.listen && a.keep) return { stderr: 'nc: must use -l with -k\n', status: 1 };
  return a;
}

/** 1.105's cruft (with Debian's "-l addr -p port" fix). */
function operands105(a: NcArgs, argv: string[]): NcArgs | NcExit {
  if (argv.length === 1 && a.listen) {
    if (a.sourcePort !== null) {
      a.host = argv[0];
      a.ports = [a.sourcePort];
    } else a.ports = [argv[0]];
  } else if (argv.length === 0 && a.listen && a.sourcePort !== null) a.ports = [a.sourcePort];
  else if (argv.length >= 2) {
    a.host = argv[0];
    a.ports = argv.slice(1);
  } else return usage('1.105');
  if (a.listen) {
    if (a.sourceAddr !== null) return { stderr: 'nc: cannot use -s and -l\n', status: 1 };
    if (a.zero) return { stderr: 'nc: cannot use -z and -l\n', status: 1 };
    if (a.sourcePort !== null) a.ports = [a.sourcePort];
  } else if (a.keep) return { stderr: 'nc: cannot use -k without -l\n', status: 1 };
  return a;
}

/** build_ports(): a range lo-hi (swapped into order; hi is checked first) or the operands as given. */
export function buildPorts(ports: string[], version: NcVersion): string[] | NcExit {
  const p = ports[0];
  if (version === '1.105') {
    const sv = serviceByName(p);
    if (sv !== null) return [String(sv)];
  }
  const dash = p.indexOf('-');
  if (dash >= 0) {
    const lo = p.slice(0, dash);
    const hiS = p.slice(dash + 1);
    const hi = strtonum(hiS, 1, PORT_MAX);
    if (typeof hi !== 'number') return { stderr: `nc: port number ${hi}: ${hiS}\n`, status: 1 };
    const l = strtonum(lo, 1, PORT_MAX);
    if (typeof l !== 'number') return { stderr: `nc: port number ${l}: ${lo}\n`, status: 1 };
    const out: string[] = [];
    for (let x = Math.min(l, hi); x <= Math.max(l, hi); x++) out.push(String(x));
    return out;
  }
  const one = strtonum(p, 1, PORT_MAX);
  if (typeof one !== 'number') return { stderr: `nc: port number ${one}: ${p}\n`, status: 1 };
  return [...ports];
}

function serviceByName(name: string): number | null {
  for (const [port, n] of TCP_SERVICES) if (n === name) return port;
  return null;
}

/**
 * getaddrinfo()'s numeric service: digits are taken modulo 2^16 (glibc's gaih_inet_serv keeps a
 * 16-bit port), a name from /etc/services; else EAI_SERVICE.
 */
function servicePort(s: string): number | null {
  if (/^\d+$/.test(s)) return Number(BigInt(s) & 0xffffn);
  return serviceByName(s);
}

/** inet_aton() as getaddrinfo's numeric path reads it (decimal parts; `a`, `a.b`, `a.b.c`, `a.b.c.d`). */
function inetAton(s: string): number | null {
  const parts = s.split('.');
  if (parts.length > 4 || parts.some((p) => !/^\d{1,10}$/.test(p))) return null;
  const n = parts.map(Number);
  const last = n.pop()!;
  if (n.some((x) => x > 255) || last >= 2 ** (8 * (4 - n.length))) return null;
  let v = 0;
  n.forEach((x, i) => (v += x * 2 ** (24 - 8 * i)));
  return (v + last) >>> 0;
}

type Resolved = { addr: number } | { error: string };

/** getaddrinfo(host): a dotted address, or localhost from /etc/hosts (not with -n: AI_NUMERICHOST). */
function resolveHost(ctx: ProgramCtx, host: string, numeric: boolean): Resolved {
  const a = inetAton(host);
  if (a !== null) return { addr: a };
  if (host === 'localhost' && !numeric) return { addr: 0x7f000001 };
  return { error: numeric || ctx.procs.env.dns ? 'Name or service not known' : 'Temporary failure in name resolution' };
}

/** getnameinfo(addr): `localhost` for 127.0.0.1 (/etc/hosts), numeric with -n; others need DNS. */
function nameOf(ctx: ProgramCtx, addr: number, numeric: boolean): string | { error: string } {
  if (numeric) return ip4str(addr);
  if (addr === 0x7f000001) return 'localhost';
  return ctx.procs.env.dns ? ip4str(addr) : { error: 'Temporary failure in name resolution' };
}

const errln = (text: string): Sys => ({ op: 'write', fd: 2, data: text });
const strerror = (e: number) => STRERROR[-e] ?? `Unknown error ${-e}`;

export function netcat(version: NcVersion, startupNs: number): Program {
  return function* nc(ctx: ProgramCtx) {
    yield { op: 'cpu', ns: startupNs };
    // 1.219: signal(SIGPIPE, SIG_IGN) first thing in main()
    if (version === '1.219') ctx.ignores = new Set(['SIGPIPE']);
    const a = parseNcArgs(ctx.argv, version);
    if ('stderr' in a) {
      yield errln(a.stderr);
      return a.status;
    }
    return a.listen ? yield* listenMain(ctx, a, version) : yield* connectMain(ctx, a, version);
  };
}

function rwOptions(a: NcArgs, listening: boolean): RwOptions {
  return { listening, quitSecs: a.quit, timeoutMs: a.timeoutMs, shutWr: a.shutWr };
}

/** local_listen() and the accept loop of main(). */
function* listenMain(ctx: ProgramCtx, a: NcArgs, version: NcVersion): Generator<Sys, number, any> {
  const port = servicePort(a.ports[0]);
  const host = a.host === null ? { addr: 0 } : resolveHost(ctx, a.host, a.numeric);
  if (port === null || 'error' in host) {
    yield errln(`nc: getaddrinfo: ${port === null ? 'Servname not supported for ai_socktype' : (host as { error: string }).error}\n`);
    return 1;
  }
  const s: number = yield { op: 'socket' };
  yield { op: 'setsockopt', fd: s, opt: 'SO_REUSEADDR', val: 1 };
  yield { op: 'setsockopt', fd: s, opt: 'SO_REUSEPORT', val: 1 };
  const b: number = yield { op: 'bind', fd: s, addr: host.addr, port };
  if (b < 0) {
    // err(1, NULL) after the loop over addresses closed the socket
    yield { op: 'close', fd: s };
    yield errln(`nc: ${strerror(b)}\n`);
    return 1;
  }
  // netcat always asks for a backlog of 1; a widget knob may change it (what-if)
  yield { op: 'listen', fd: s, backlog: ctx.procs.env.ncBacklog };
  if (a.verbose) {
    if (version === '1.105') yield errln(`Listening on [${a.host ?? '0.0.0.0'}] (family ${a.inet ? 2 : 0}, port ${a.ports[0]})\n`);
    else {
      // report_sock("Listening on", getsockname()): a failed getnameinfo() is only a warning here
      const name = nameOf(ctx, host.addr, a.numeric);
      yield errln(typeof name === 'string' ? `Listening on ${name} ${port}\n` : `nc: getnameinfo: ${name.error}\n`);
    }
  }
  let listening = true;
  for (;;) {
    const c: number = yield { op: 'accept', fd: s };
    if (c < 0) {
      yield errln(`nc: accept: ${strerror(c)}\n`);
      return 1;
    }
    if (a.verbose) yield* reportAccept(ctx, a, version, c, port);
    // 1.105 (Debian's "do not continue to listen after accepting"): the listener closes first
    if (version === '1.105' && !a.keep) {
      yield { op: 'close', fd: s };
      listening = false;
    }
    const rw = version === '1.105' ? yield* readwrite105(ctx, c, rwOptions(a, true)) : yield* readwrite219(ctx, c, rwOptions(a, true));
    if (rw.exit !== undefined) return rw.exit;
    yield { op: 'close', fd: c };
    if (version === '1.105' && a.verbose && a.keep) yield errln('Connection closed, listening again.\n');
    if (!a.keep) break;
  }
  if (listening) yield { op: 'close', fd: s };
  return 0;
}

function* reportAccept(ctx: ProgramCtx, a: NcArgs, version: NcVersion, c: number, port: number): Generator<Sys, void, any> {
  const f = ctx.procs.tasks.get(ctx.pid)?.fds.get(c);
  const peer = f?.kind === 'sock' ? f.sk : null;
  const paddr = peer?.daddr ?? 0;
  const pport = peer?.dport ?? 0;
  if (version === '1.105') {
    const sv = a.numeric ? undefined : TCP_SERVICES.get(port);
    yield errln(`Connection from [${ip4str(paddr)}] port ${a.ports[0]} [tcp/${sv ?? '*'}] accepted (family 2, sport ${pport})\n`);
    return;
  }
  const name = nameOf(ctx, paddr, a.numeric);
  yield errln(typeof name === 'string' ? `Connection received on ${name} ${pport}\n` : `nc: getnameinfo: ${name.error}\n`);
}

/** main()'s client: build_ports(), then remote_connect() to each port in turn. */
function* connectMain(ctx: ProgramCtx, a: NcArgs, version: NcVersion): Generator<Sys, number, any> {
  const ports = buildPorts(a.ports, version);
  if ('stderr' in ports) {
    yield errln(ports.stderr);
    return ports.status;
  }
  const host = a.host!;
  let ret = 1;
  let s = -1;
  for (const port of ports) {
    if (s >= 0) yield { op: 'close', fd: s };
    s = yield* remoteConnect(ctx, a, version, host, port);
    if (s === -2) return 1;
    if (s < 0) continue;
    ret = 0;
    if (a.verbose) {
      const sv = a.numeric ? undefined : TCP_SERVICES.get(Number(port));
      const addr = (resolveHost(ctx, host, a.numeric) as { addr: number }).addr;
      const shown = version === '1.105' || a.numeric || host === ip4str(addr) ? host : `${host} (${ip4str(addr)})`;
      yield errln(`Connection to ${shown} ${port} port [tcp/${sv ?? '*'}] succeeded!\n`);
    }
    if (!a.zero) {
      const rw = version === '1.105' ? yield* readwrite105(ctx, s, rwOptions(a, false)) : yield* readwrite219(ctx, s, rwOptions(a, false));
      if (rw.exit !== undefined) return rw.exit;
    }
  }
  if (s >= 0) yield { op: 'close', fd: s };
  return ret;
}

/**
 * connect_with_timeout() (Debian's connect-timeout patch, both versions): O_NONBLOCK, connect()
 * (-EINPROGRESS), select() for writing with the -w timeout, then SO_ERROR.
 */
function* connectWithTimeout(s: number, addr: number, port: number, ms: number): Generator<Sys, number | 'timeout', any> {
  const c: number = yield { op: 'connect', fd: s, addr, port, nonblock: true };
  if (c !== -EINPROGRESS) return c;
  const p: PollResult | number = yield { op: 'poll', fds: [{ fd: s, events: POLLOUT }], timeoutMs: ms };
  if (typeof p === 'number') return p;
  if (p.ready === 0) return 'timeout';
  const err: number = yield { op: 'getsockopt', fd: s, opt: 'SO_ERROR' };
  return err ? -err : 0;
}

/**
 * remote_connect(): a socket, bind() when -s or -p, connect() (with -w, a timeout); -1 when
 * this port failed (reported with -v), -2 when nc exits (errx), else the fd.
 */
function* remoteConnect(ctx: ProgramCtx, a: NcArgs, version: NcVersion, host: string, port: string): Generator<Sys, number, any> {
  const r = resolveHost(ctx, host, a.numeric);
  const portNo = servicePort(port) ?? 0;
  if ('error' in r) {
    yield errln(version === '1.105' ? `nc: getaddrinfo: ${r.error}\n` : `nc: getaddrinfo for host "${host}" port ${port}: ${r.error}\n`);
    return -2;
  }
  const s: number = yield { op: 'socket' };
  if (a.sourceAddr !== null || a.sourcePort !== null) {
    const src = a.sourceAddr === null ? { addr: 0 } : resolveHost(ctx, a.sourceAddr, true);
    const sport = a.sourcePort === null ? 0 : servicePort(a.sourcePort);
    if ('error' in src || sport === null) {
      yield errln(`nc: getaddrinfo: ${sport === null ? 'Servname not supported for ai_socktype' : (src as { error: string }).error}\n`);
      return -2;
    }
    const b: number = yield { op: 'bind', fd: s, addr: src.addr, port: sport };
    if (b < 0) {
      yield errln(`nc: bind failed: ${strerror(b)}\n`);
      return -2;
    }
  }
  const c = a.timeoutMs > 0 ? yield* connectWithTimeout(s, r.addr, portNo, a.timeoutMs) : ((yield { op: 'connect', fd: s, addr: r.addr, port: portNo }) as number);
  if (c === 0) return s;
  if (a.verbose) {
    const shown = version === '1.105' || a.numeric || host === ip4str(r.addr) ? host : `${host} (${ip4str(r.addr)})`;
    // warn() appends strerror(errno): after a timeout errno is still connect()'s EINPROGRESS
    yield errln(`nc: connect to ${shown} port ${port} (tcp) ${c === 'timeout' ? `timed out: ${strerror(-EINPROGRESS)}` : `failed: ${strerror(c)}`}\n`);
  }
  yield { op: 'close', fd: s };
  return -1;
}
