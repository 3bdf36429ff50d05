/**
 * netcat-openbsd as Ubuntu 16.04 (1.105-7ubuntu1) and Debian 12 (1.219-1) ship it, reduced to
 * what these experiments use: `nc [-v] [-n] [-p port] host port` and `nc [-v] [-k] -l port`.
 * The syscall sequences follow the sources (local_listen(), remote_connect(), readwrite()).
 */
import { STRERROR } from '../model/kernel.ts';
import type { Program, ProgramCtx, Sys } from '../model/process.ts';
import { POLLIN } from '../model/process.ts';
import { ip4str, LOOPBACK } from '../model/seq.ts';

export type NcVersion = '1.105' | '1.219';

interface NcArgs {
  listen: boolean;
  verbose: boolean;
  keep: boolean;
  numeric: boolean;
  sourcePort: number;
  host: string;
  port: number;
}

const USAGE_1105 = 'usage: nc [-46bCDdhjklnrStUuvZz] [-I length] [-i interval] [-O length]\n\t  [-P proxy_username] [-p source_port] [-q seconds] [-s source]\n\t  [-T toskeyword] [-V rtable] [-w timeout] [-X proxy_protocol]\n\t  [-x proxy_address[:port]] [destination] [port]\n';
const USAGE_1219 = 'usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n';

export function parseNcArgs(argv: string[]): NcArgs | { error: string } {
  const a: NcArgs = { listen: false, verbose: false, keep: false, numeric: false, sourcePort: 0, host: '', port: 0 };
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i];
    if (w.startsWith('-') && w.length > 1) {
      for (let j = 1; j < w.length; j++) {
        const c = w[j];
        if (c === 'l') a.listen = true;
        else if (c === 'v') a.verbose = true;
        else if (c === 'k') a.keep = true;
        else if (c === 'n') a.numeric = true;
        else if (c === '4') continue;
        else if (c === 'p') {
          const v = w.slice(j + 1) || argv[++i];
          const n = Number(v);
          if (!v || !Number.isInteger(n) || n < 1 || n > 65535) return { error: `nc: port number invalid: ${v ?? ''}\n` };
          a.sourcePort = n;
          break;
        } else return { error: `nc: invalid option -- '${c}'\n` };
      }
    } else rest.push(w);
  }
  if (a.listen) {
    if (rest.length !== 1) return { error: 'usage' };
    a.port = Number(rest[0]);
  } else {
    if (rest.length !== 2) return { error: 'usage' };
    a.host = rest[0];
    a.port = Number(rest[1]);
  }
  if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) return { error: `nc: port number invalid: ${rest.at(-1)}\n` };
  return a;
}

function resolve(host: string): number | null {
  if (host === 'localhost' || host === '127.0.0.1') return LOOPBACK;
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (m) return ((+m[1] << 24) | (+m[2] << 16) | (+m[3] << 8) | +m[4]) >>> 0;
  return null;
}

function* write(fd: number, text: string): Generator<Sys, void, any> {
  yield { op: 'write', fd, data: text };
}

/**
 * readwrite(): shuttle between stdin and the socket.
 *  - 1.105: the loop runs while the network fd is open, so EOF from the peer ends nc.
 *  - 1.219: "listen and net in gone, queues empty, done" ends a listener, but a client keeps
 *    reading stdin after the peer's EOF (it half-closes with shutdown(SHUT_RD)) until stdin
 *    ends; a read or write error on the socket ends it.
 */
function* readwrite(net: number, version: NcVersion, listening: boolean): Generator<Sys, number, any> {
  let stdinOpen = true;
  let netOpen = true;
  for (;;) {
    if (!netOpen && (version === '1.105' || listening || !stdinOpen)) return 0;
    const fds: { fd: number; events: number }[] = [];
    if (netOpen) fds.push({ fd: net, events: POLLIN });
    if (stdinOpen) fds.push({ fd: 0, events: POLLIN });
    if (!fds.length) return 0;
    const r = yield { op: 'poll', fds, timeoutMs: -1 };
    if (typeof r === 'number') return 1;
    let i = 0;
    if (netOpen) {
      if (r.revents[i]) {
        const d = yield { op: 'read', fd: net };
        if (typeof d === 'number') return 1; // read error (ECONNRESET): done
        if (d === '') {
          yield { op: 'shutdown', fd: net, how: 0 };
          netOpen = false;
        } else yield* write(1, d);
      }
      i++;
    }
    if (stdinOpen && r.revents[i]) {
      const d = yield { op: 'read', fd: 0 };
      if (typeof d === 'number') return 1;
      if (d === '') {
        yield { op: 'shutdown', fd: net, how: 1 };
        stdinOpen = false;
      } else {
        const w = yield { op: 'write', fd: net, data: d };
        if (typeof w === 'number' && w < 0) return 1;
      }
    }
  }
}

export function netcat(version: NcVersion, startupNs: number): Program {
  return function* nc(ctx: ProgramCtx) {
    yield { op: 'cpu', ns: startupNs };
    const a = parseNcArgs(ctx.argv);
    if ('error' in a) {
      yield* write(2, a.error === 'usage' ? (version === '1.105' ? USAGE_1105 : USAGE_1219) : a.error);
      return 1;
    }
    if (a.listen) {
      // local_listen(): Debian adds SO_REUSEADDR before upstream's SO_REUSEPORT; listen(s, 1)
      const s: number = yield { op: 'socket' };
      yield { op: 'setsockopt', fd: s, opt: 'SO_REUSEADDR', val: 1 };
      yield { op: 'setsockopt', fd: s, opt: 'SO_REUSEPORT', val: 1 };
      const b: number = yield { op: 'bind', fd: s, addr: 0, port: a.port };
      if (b < 0) {
        yield* write(2, `nc: ${version === '1.105' ? 'Address already in use' : 'Address already in use'}\n`);
        return 1;
      }
      // netcat-openbsd always asks for a backlog of 1; a widget knob may change it (what-if)
      yield { op: 'listen', fd: s, backlog: ctx.procs.env.ncBacklog };
      if (a.verbose) {
        if (version === '1.105') yield* write(2, `Listening on [0.0.0.0] (family 0, port ${a.port})\n`);
        // 1.219 report_sock() resolves the address; without a reachable resolver that fails
        else if (!ctx.procs.env.dns) yield* write(2, 'nc: getnameinfo: Temporary failure in name resolution\n');
        else yield* write(2, `Listening on 0.0.0.0 ${a.port}\n`);
      }
      for (;;) {
        const c: number = yield { op: 'accept', fd: s };
        if (c < 0) {
          yield* write(2, `nc: accept: ${STRERROR[-c] ?? -c}\n`);
          return 1;
        }
        if (a.verbose) {
          const sk = ctx.procs.tasks.get(ctx.pid)?.fds.get(c);
          const peer = sk?.kind === 'sock' ? sk.sk : null;
          const pport = peer?.dport ?? 0;
          const paddr = peer ? ip4str(peer.daddr) : '0.0.0.0';
          yield* write(2, version === '1.105'
            ? `Connection from [${paddr}] port ${a.port} [tcp/*] accepted (family 2, sport ${pport})\n`
            : `Connection received on ${a.numeric ? paddr : 'localhost'} ${pport}\n`);
        }
        yield* readwrite(c, version, true);
        yield { op: 'close', fd: c };
        if (!a.keep) break;
      }
      yield { op: 'close', fd: s };
      return 0;
    }
    const addr = resolve(a.host);
    if (addr === null) {
      yield* write(2, `nc: getaddrinfo for host "${a.host}" port ${a.port}: Name or service not known\n`);
      return 1;
    }
    // remote_connect(): socket, bind when -p (no SO_REUSEADDR), connect
    const s: number = yield { op: 'socket' };
    if (a.sourcePort) {
      const b: number = yield { op: 'bind', fd: s, addr: 0, port: a.sourcePort };
      if (b < 0) {
        yield* write(2, `nc: bind failed: ${STRERROR[-b]}\n`);
        return 1;
      }
    }
    const r: number = yield { op: 'connect', fd: s, addr, port: a.port };
    const shown = version === '1.105' ? a.host : `${a.host} (${ip4str(addr)})`;
    if (r < 0) {
      yield { op: 'close', fd: s };
      if (a.verbose) yield* write(2, `nc: connect to ${shown} port ${a.port} (tcp) failed: ${STRERROR[-r]}\n`);
      return 1;
    }
    if (a.verbose) yield* write(2, `Connection to ${shown} ${a.port} port [tcp/*] succeeded!\n`);
    yield* readwrite(s, version, false);
    yield { op: 'close', fd: s };
    return 0;
  };
}
