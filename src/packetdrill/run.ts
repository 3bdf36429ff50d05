/**
 * The packetdrill runner: plays a parsed script against the model as packetdrill plays it
 * against a kernel. The stack under test is 192.168.0.1, the script the remote 192.0.2.1:
 * `<` lines are injected with kernel.inject() at their times, `>` lines are matched against
 * what the stack sends (kernel.onXmit), system calls run from one scripted task, blocking
 * calls (`...END`) in the background as packetdrill's syscall thread runs them.
 *
 * Before running, analyze() lists what the script needs that the model does not have
 * (a system call, a socket option, a sysctl, a TCP option, an interface...). A script with
 * such a need is skipped with the first one and its line, never run half-way.
 *
 * Pure: no Node APIs; files (the script, defaults.sh) come in as text.
 */
import { createHost, PROFILES, type Kernel, type Segment } from '../model/index.ts';
import type { ProcessTable, Program, Sys, SysOf, Task } from '../model/process.ts';
import { SysctlError } from '../model/profiles.ts';
import type { ProfileName, Signal } from '../model/types.ts';
import type { Expr, PacketSpec, Script, ScriptEvent, SyscallSpec } from './ast.ts';
import { INERT_SYSCTLS, shellSteps, sysctlRefused, sysctlValue } from './shell.ts';
import { CODE_SYMBOLS, CodeError, codeNames, runCode } from './code.ts';
import { grep, nstat } from './nstat.ts';
import { tcpGetInfo, TCP_INFO_FIELDS } from '../model/tcp.ts';
import { devSetMtu } from '../model/route.ts';
import { encodeOptions } from '../render/inet.ts';
import {
  adjustTimes,
  DEFAULT_TOLERANCE,
  liveText,
  mapInbound,
  localSeqScriptToLiveOffset,
  newSeqState,
  scriptFlagBits,
  scriptText,
  TH_ACK,
  TH_SYN,
  verifyOutbound,
  verifyTime,
  type EventTimes,
  type LiveSegment,
  type SeqState,
  type Tolerance,
} from './match.ts';

export const LOCAL_IP = 0xc0a80001; // 192.168.0.1
export const REMOTE_IP = 0xc0000201; // 192.0.2.1
export const BIND_PORT = 8080;
export const CONNECT_PORT = 8080;
/** The remote port of the first passive connection (packetdrill picks an ephemeral port). */
const FIRST_REMOTE_PORT = 40000;

export type Outcome = 'pass' | 'fail' | 'skip';

/**
 * A verdict file of the real tool (`script<TAB>ip_version<TAB>exit_code<TAB>seconds`, as in
 * ../shared/peer-suites and reports/packetdrill-real-*.tsv): exit 0 is pass, SKIP or
 * kselftest's 4 is skip, anything else fail. Only .pkt rows count (not TOTAL_SECONDS).
 */
export function parseVerdicts(text: string): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  for (const line of text.split('\n').slice(1)) {
    const [script, , code] = line.split('\t');
    if (script?.endsWith('.pkt')) out.set(script, code === '0' ? 'pass' : code === 'SKIP' || code === '4' ? 'skip' : 'fail');
  }
  return out;
}
export interface Verdict {
  outcome: Outcome;
  /** The first mismatch or the skip reason (empty on pass). */
  reason: string;
  /** Script line of the mismatch or need. */
  line: number | null;
  /** Every need the model lacks (for a skip), in line order. */
  needs: Need[];
}

export interface Need {
  line: number;
  /** A short name of the capability (the key gaps are ranked by). */
  need: string;
  /** Details for the reason line. */
  detail: string;
}

export interface RunOptions {
  profile?: ProfileName;
  /** The text of defaults.sh (what `./defaults.sh` runs). */
  defaultsSh?: string;
  /** --tolerance_usecs from the command line (overrides the script's). */
  toleranceUsecs?: number;
  /** Run even if analyze() finds needs (for diagnosis). */
  force?: boolean;
  /** Called with each event as it is handled (--verbose). */
  log?: (line: string) => void;
  seed?: number;
  /** CONFIG_HZ of the simulated kernel (default: the selftests' config, 1000). */
  hz?: number;
}

/** The kernel's packetdrill selftests ask for CONFIG_HZ=1000 (tools/testing/selftests/net/packetdrill/config). */
export const SELFTESTS_HZ = 1000;

// ─────────────────────────── what the model has ───────────────────────────

/** System calls the scripted task can make, with the argument forms the model accepts. */
const SYSCALLS = new Set(['socket', 'setsockopt', 'getsockopt', 'bind', 'listen', 'accept', 'connect', 'write', 'send', 'sendto', 'sendmsg', 'read', 'recv', 'recvfrom', 'close', 'shutdown', 'fcntl', 'ioctl']);

/** Socket options the model sets (setsockopt) and reads (getsockopt), as `LEVEL, NAME`. */
const SETSOCKOPTS = ['SOL_SOCKET, SO_REUSEADDR', 'SOL_SOCKET, SO_REUSEPORT', 'SOL_SOCKET, SO_RCVBUF', 'SOL_SOCKET, SO_SNDBUF', 'SOL_TCP, TCP_NODELAY', 'IPPROTO_TCP, TCP_NODELAY', 'SOL_TCP, TCP_CORK', 'IPPROTO_TCP, TCP_CORK', 'SOL_TCP, TCP_USER_TIMEOUT', 'IPPROTO_TCP, TCP_USER_TIMEOUT',
  'SOL_SOCKET, SO_KEEPALIVE', 'SOL_SOCKET, SO_LINGER', 'SOL_TCP, TCP_KEEPIDLE', 'IPPROTO_TCP, TCP_KEEPIDLE', 'SOL_TCP, TCP_KEEPINTVL', 'IPPROTO_TCP, TCP_KEEPINTVL', 'SOL_TCP, TCP_KEEPCNT', 'IPPROTO_TCP, TCP_KEEPCNT'];
const GETSOCKOPTS = ['SOL_SOCKET, SO_ERROR', 'SOL_SOCKET, SO_RCVBUF', 'SOL_SOCKET, SO_SNDBUF', 'SOL_TCP, TCP_MAXSEG', 'IPPROTO_TCP, TCP_MAXSEG', 'SOL_TCP, TCP_USER_TIMEOUT', 'IPPROTO_TCP, TCP_USER_TIMEOUT'];

/** The lengths of a msghdr's iovecs (`[{..., 100}, {..., 200}]`), or null for anything else. */
function iovLens(e: Expr): number[] | null {
  if (e.kind !== 'list') return null;
  const out: number[] = [];
  for (const x of e.items) {
    if (x.kind !== 'iovec' || x.len.kind !== 'int') return null;
    out.push(x.len.value);
  }
  return out;
}

/** A data buffer argument the model takes: `...` (packetdrill's own buffer) or NULL (EFAULT when touched). */
function bufferOk(e: Expr | undefined): boolean {
  return e?.kind === 'ellipsis' || (e?.kind === 'word' && e.name === 'NULL');
}

/** The flags fcntl(F_SETFL) may name that the model keeps or ignores (setfl() ignores the access mode). */
const FCNTL_FLAGS = new Set(['O_RDWR', 'O_RDONLY', 'O_WRONLY', 'O_NONBLOCK']);

/** The words of a `|` union (`O_RDWR|O_NONBLOCK`), or null if it holds anything else. */
function unionWords(e: Expr | undefined): string[] | null {
  if (!e) return null;
  if (e.kind === 'word') return [e.name];
  if (e.kind === 'binary' && e.op === '|') {
    const l = unionWords(e.lhs);
    const r = unionWords(e.rhs);
    return l && r ? [...l, ...r] : null;
  }
  return null;
}

interface ModelFacts {
  sysctls: Set<string>;
}

const FACTS = new Map<ProfileName, ModelFacts>();
function modelFacts(profile: ProfileName): ModelFacts {
  let f = FACTS.get(profile);
  if (!f) FACTS.set(profile, (f = { sysctls: new Set(Object.keys(PROFILES[profile].sysctl)) }));
  return f;
}

function exprText(e: Expr): string {
  switch (e.kind) {
    case 'ellipsis':
      return '...';
    case 'int':
      return e.hex ? `0x${e.value.toString(16)}` : String(e.value);
    case 'word':
      return e.name;
    case 'binary':
      return `${exprText(e.lhs)}${e.op === '.' ? ' ' : e.op}${exprText(e.rhs)}`;
    case 'list':
      return `[${e.items.map(exprText).join(', ')}]`;
    case 'string':
      return JSON.stringify(e.value);
    default:
      return `{${e.kind}}`;
  }
}

/** What a system call line needs beyond what the model has, or null. */
function syscallNeed(sc: SyscallSpec): { need: string; detail: string } | null {
  const a = sc.args;
  const word = (i: number) => (a[i]?.kind === 'word' ? (a[i] as { name: string }).name : a[i] ? exprText(a[i]) : '');
  if (!SYSCALLS.has(sc.name)) return { need: `${sc.name}()`, detail: `${sc.name}()` };
  switch (sc.name) {
    case 'fcntl': {
      const flags = unionWords(a[2]);
      if (word(1) === 'F_GETFL' && a.length === 2) return null;
      if (word(1) === 'F_SETFL' && flags?.every((f) => FCNTL_FLAGS.has(f))) return null;
      return { need: `fcntl(${word(1)})`, detail: `fcntl(${a.map(exprText).join(', ')})` };
    }
    case 'ioctl':
      return word(1) === 'SIOCINQ' ? null : { need: `ioctl(${word(1)})`, detail: `ioctl ${word(1)}` };
    case 'socket': {
      const type = unionWords(a[1]);
      if (!type || type[0] !== 'SOCK_STREAM' || !type.slice(1).every((t) => t === 'SOCK_NONBLOCK')) return { need: `socket type ${exprText(a[1])}`, detail: `socket(${exprText(a[1])})` };
      return null;
    }
    case 'setsockopt':
    case 'getsockopt': {
      const opt = `${word(1)}, ${word(2)}`;
      const ok = sc.name === 'setsockopt' ? SETSOCKOPTS : GETSOCKOPTS;
      if (!ok.includes(opt)) return { need: `${sc.name}(${word(2)})`, detail: `${sc.name}(${opt})` };
      return null;
    }
    case 'bind':
    case 'connect':
    case 'accept':
      if (a[1]?.kind !== 'ellipsis') return { need: `${sc.name}() with an explicit address`, detail: `${sc.name}(${exprText(a[1])})` };
      return null;
    case 'sendmsg': {
      // sendmsg(fd, {msg_name(...)=..., msg_iov(N)=[{..., len}...], msg_flags=0}, 0 | MSG_MORE): the iovecs' bytes in one tcp_sendmsg()
      const m = a[1];
      if (m?.kind !== 'msghdr' || m.control || !(m.flags.kind === 'int' && m.flags.value === 0) || iovLens(m.iov) === null) return { need: 'sendmsg() with this msghdr', detail: `sendmsg(${a[1] ? exprText(a[1]) : ''})` };
      if (!(a[2]?.kind === 'int' && a[2].value === 0) && exprText(a[2]) !== 'MSG_MORE') return { need: `sendmsg() flags ${exprText(a[2])}`, detail: `sendmsg(..., ${exprText(a[2])})` };
      return null;
    }
    case 'sendto':
    case 'recvfrom':
      if (a[4]?.kind !== 'ellipsis') return { need: `${sc.name}() with an explicit address`, detail: `${sc.name}(${exprText(a[4])})` };
    // fallthrough
    case 'send':
    case 'recv':
      // send(..., MSG_MORE | MSG_EOR): the model's write with `more` / `eor` (tcp_sendmsg()'s flags)
      if (!(a[3]?.kind === 'int' && a[3].value === 0) && !(sc.name === 'send' && (exprText(a[3]) === 'MSG_MORE' || exprText(a[3]) === 'MSG_EOR')) && !(sc.name.startsWith('recv') && exprText(a[3]) === 'MSG_PEEK')) return { need: `${sc.name}() flags ${exprText(a[3])}`, detail: `${sc.name}(..., ${exprText(a[3])})` };
    // fallthrough
    case 'write':
    case 'read':
      if (!bufferOk(a[1])) return { need: `${sc.name}() with a given buffer`, detail: `${sc.name}(${exprText(a[1])})` };
      return null;
    case 'shutdown':
      if (!['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR'].includes(word(1))) return { need: `shutdown(${word(1)})`, detail: `shutdown(${word(1)})` };
      return null;
  }
  return null;
}

/**
 * The SO_MEMINFO values (sk_get_meminfo()) a %{ }% block may read: the buffer sizes and
 * sk_wmem_queued (truesize-charged on 6.x). The others (SK_MEMINFO_RMEM_ALLOC, ...) are not kept.
 */
const MEMINFO_FIELDS = ['SK_MEMINFO_RCVBUF', 'SK_MEMINFO_SNDBUF', 'SK_MEMINFO_WMEM_QUEUED'];

/** What a %{ }% block needs beyond the model's TCP_INFO and the assert statements code.ts runs, or null. */
function codeNeed(text: string): { need: string; detail: string } | null {
  let names: string[];
  try {
    names = codeNames(text);
  } catch (e) {
    if (e instanceof CodeError) return { need: 'Python beyond assert statements', detail: e.message };
    throw e;
  }
  for (const n of names) {
    if (n.startsWith('tcpi_') && !(TCP_INFO_FIELDS as readonly string[]).includes(n)) return { need: `TCP_INFO field ${n}`, detail: `%{ }% reads ${n}` };
    if (!n.startsWith('tcpi_') && CODE_SYMBOLS[n] === undefined && !MEMINFO_FIELDS.includes(n)) return { need: `Python name ${n}`, detail: `%{ }% reads ${n}` };
  }
  return null;
}

/** What a packet line needs beyond what the model has, or null. */
function packetNeed(p: PacketSpec, f: ModelFacts): { need: string; detail: string } | null {
  if (p.proto !== 'tcp') return { need: p.proto === 'icmp' ? 'ICMP (PMTU, errors)' : 'UDP', detail: `${p.proto} packet` };
  if (p.layers.length || p.pspSpi !== null) return { need: 'encapsulation (GRE/MPLS/IPv6/PSP)', detail: 'encapsulated packet' };
  if (p.ipInfo.tos || p.ipInfo.flowLabel !== undefined || p.ipInfo.ttl !== undefined) return { need: 'ECN/TOS/TTL in the IP header', detail: 'IP header check' };
  const t = p.tcp!;
  if (/[EWA0-7]/.test(t.flags)) return { need: 'ECN/AccECN flags', detail: `flags ${t.flags}` };
  if (t.flags.includes('U') || t.urg) return { need: 'urgent data', detail: 'URG' };
  for (const o of t.options ?? []) {
    if (o.kind === 'fo' || o.kind === 'foexp') return { need: 'TCP Fast Open', detail: `FO option` };
    if (o.kind === 'md5') return { need: 'TCP-MD5', detail: 'md5 option' };
    if (o.kind === 'accecn') return { need: 'ECN/AccECN flags', detail: 'AccECN option' };
    // SACK blocks the stack sends come from its out-of-order queue (tcp_input-ofo.ts)
    // inbound SACK blocks go to the scoreboard (tcp_sacktag_write_queue(), tcp_input-sack.ts)
  }
  // the windows of outbound segments are checked: tcp_select_window() over the tun packets'
  // truesize (tunTruesize()) and 6.x's scaling_ratio
  return null;
}

/** Everything the script needs that the model lacks, in line order. */
export function analyze(script: Script, o: RunOptions = {}): Need[] {
  const f = modelFacts(o.profile ?? 'linux-6.x');
  const needs: Need[] = [];
  for (const opt of script.options) {
    if (opt.name === 'ip_version' && opt.value !== 'ipv4') needs.push({ line: opt.line, need: 'IPv6', detail: `--ip_version=${opt.value}` });
    if (['send_omit_free', 'so_filename', 'wire_client', 'wire_server'].includes(opt.name)) needs.push({ line: opt.line, need: `--${opt.name}`, detail: `--${opt.name}` });
  }
  const command = (cmd: string, line: number) => {
    for (const st of shellSteps(cmd, o.defaultsSh)) {
      if (st.kind === 'other') needs.push({ line, need: `shell command ${st.text.split(/\s+/)[0]}`, detail: `\`${st.text}\`` });
      else if (st.kind === 'sysctl' && !f.sysctls.has(st.name) && !INERT_SYSCTLS[st.name])
        needs.push({ line, need: `sysctl ${st.name}`, detail: `sysctl ${st.name}=${st.value}` });
    }
  };
  if (script.initCommand) command(script.initCommand.command, script.initCommand.line);
  for (const ev of script.events) {
    const a = ev.action;
    if (a.kind === 'command') command(a.command, ev.line);
    else if (a.kind === 'code') {
      const n = codeNeed(a.text);
      if (n) needs.push({ line: ev.line, ...n });
    }
    else if (a.kind === 'syscall') {
      const n = syscallNeed(a);
      if (n) needs.push({ line: ev.line, ...n });
    } else {
      const n = packetNeed(a, f);
      if (n) needs.push({ line: ev.line, ...n });
    }
  }
  if (script.cleanupCommand) command(script.cleanupCommand.command, script.cleanupCommand.line);
  return needs;
}

// ─────────────────────────── running ───────────────────────────

const ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EAGAIN: 11, EWOULDBLOCK: 11, ENOMEM: 12, EFAULT: 14, EINVAL: 22, EPIPE: 32,
  ENOTSOCK: 88, EMSGSIZE: 90, ENOPROTOOPT: 92, EOPNOTSUPP: 95, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETUNREACH: 101,
  ECONNABORTED: 103, ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111,
  EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
};
const STRERROR: Record<number, string> = {
  0: 'Success', 1: 'Operation not permitted', 2: 'No such file or directory', 4: 'Interrupted system call', 9: 'Bad file descriptor',
  11: 'Resource temporarily unavailable', 12: 'Cannot allocate memory', 14: 'Bad address', 22: 'Invalid argument', 32: 'Broken pipe',
  88: 'Socket operation on non-socket', 90: 'Message too long', 92: 'Protocol not available', 95: 'Operation not supported',
  98: 'Address already in use', 99: 'Cannot assign requested address', 101: 'Network is unreachable', 103: 'Software caused connection abort',
  104: 'Connection reset by peer', 105: 'No buffer space available', 106: 'Transport endpoint is already connected',
  107: 'Transport endpoint is not connected', 110: 'Connection timed out', 111: 'Connection refused', 113: 'No route to host',
  114: 'Operation already in progress', 115: 'Operation now in progress',
};
const SYMBOLS: Record<string, number> = { ...ERRNO, SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_NONBLOCK: 0o4000 };

/**
 * What a data packet written to tun0 costs the receiver (skb->truesize, as tun_get_user()
 * allocates it) and its gso_size. A packet under a page is linear: a kmalloc() bucket for the
 * data (NET_SKB_PAD + the packet, aligned, + skb_shared_info) + struct sk_buff; a larger one is
 * paged (alloc_skb_with_frags(), order-3 pages at most, each chunk the smallest order that
 * holds the rest) + struct sk_buff. Checked on Linux 6.18.44 with SO_MEMINFO's rmem_alloc in
 * packetdrill runs: 1000 bytes 2304, 4000 bytes 8448, 9000 and 10000 bytes 12544.
 */
export function tunTruesize(len: number, hdrLen: number, mss: number): { truesize?: number; gsoSize?: number } {
  if (!len) return {};
  const PAGE = 4096;
  const SKB = 256; // SKB_DATA_ALIGN(sizeof(struct sk_buff))
  const SHINFO = 320; // SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
  const gso = mss && len > mss ? { gsoSize: mss } : {};
  let data = len + hdrLen;
  if (data < PAGE) {
    const need = Math.ceil((64 + data) / 64) * 64 + SHINFO;
    let bucket = 512;
    while (bucket < need) bucket *= 2;
    return { truesize: bucket + SKB, ...gso }; // SKB_TRUESIZE(bucket - shinfo)
  }
  let truesize = SKB;
  let order = 3;
  while (data > 0) {
    while (order && Math.ceil(data / PAGE) * PAGE < PAGE << order) order--;
    truesize += PAGE << order;
    data -= Math.min(data, PAGE << order);
  }
  return { truesize, ...gso };
}

class ScriptFailure extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

/** The socket under test (packetdrill's state->socket_under_test). */
interface PdSocket {
  state: 'new' | 'listening' | 'connecting' | 'passive' | 'active';
  scriptFd: number;
  liveFd: number;
  seq: SeqState;
  /** Live 4-tuple once known: local (the stack) port/address and remote port. */
  livePort: number;
  liveAddr: number;
  remotePort: number;
  synAckSeen: boolean;
}

/** The scripted task: a program that runs the system calls the runner hands it. */
class ScriptTask {
  mailbox: Sys | null = null;
  inflight: { sys: Sys; line: number; onResult: (r: unknown) => void } | null = null;
  private waitingCall = false;
  task: Task | null = null;
  readonly program: Program = (ctx) => {
    ctx.catches = new Set<Signal>(['SIGHUP']);
    return {
      next: (v: unknown) => {
        if (this.waitingCall && this.inflight) {
          const c = this.inflight;
          this.inflight = null;
          this.waitingCall = false;
          c.onResult(v);
        }
        ctx.pendingSignals = [];
        if (this.mailbox) {
          const s = this.mailbox;
          this.mailbox = null;
          this.waitingCall = true;
          return { done: false, value: s };
        }
        return { done: false, value: { op: 'pause' } as Sys };
      },
    };
  };
  get busy(): boolean {
    return this.inflight !== null;
  }
}

/**
 * The sysctl writes of every shell line, applied before the script starts (the model's own
 * sysctls; a write the kernel refuses leaves the value), and each line's status: that of its
 * last command, as system(3) returns it. `failed`: the failing command lines by script line.
 */
function scriptSysctls(script: Script, o: RunOptions): { sysctl: Record<string, number | number[] | string>; mtus: [string, number][]; failed: Map<number, string> } {
  const profile = o.profile ?? 'linux-6.x';
  const hz = o.hz ?? SELFTESTS_HZ;
  const sysctl: Record<string, number | number[] | string> = {};
  const mtus: [string, number][] = [];
  const failed = new Map<number, string>();
  const known = modelFacts(profile).sysctls;
  const lines: [string, number][] = [];
  if (script.initCommand) lines.push([script.initCommand.command, script.initCommand.line]);
  for (const e of script.events) if (e.action.kind === 'command') lines.push([e.action.command, e.line]);
  for (const [cmd, line] of lines) {
    let last: string | null = null;
    for (const st of shellSteps(cmd, o.defaultsSh)) {
      last = null;
      if (st.kind === 'mtu') {
        // dev_set_mtu(): tun0 exists, 68..65535
        if (st.dev !== 'tun0') last = `ip link set dev ${st.dev}: Cannot find device "${st.dev}"`;
        else if (st.mtu < 68 || st.mtu > 65535) last = `ip link set dev ${st.dev} mtu ${st.mtu}: Invalid argument`;
        else mtus.push([st.dev, st.mtu]);
      }
      if (st.kind !== 'sysctl') continue;
      const why = sysctlRefused(profile, hz, st.name, st.value);
      if (why) last = `sysctl ${st.name}=${st.value}: ${why}`;
      else if (known.has(st.name)) sysctl[st.name] = sysctlValue(st.value); // a vector written in part: withOverrides() merges
    }
    if (last) failed.set(line, last);
  }
  return { sysctl, mtus, failed };
}

export function runScript(script: Script, o: RunOptions = {}): Verdict {
  const needs = analyze(script, o);
  // a refused sysctl at the end of the init command fails the script before anything runs,
  // whatever else it needs
  const init = script.initCommand;
  const initFailed = init ? scriptSysctls(script, o).failed.get(init.line) : undefined;
  if (init && initFailed) return { outcome: 'fail', reason: `line ${init.line}: error executing init command: non-zero status 1 (${initFailed})`, line: init.line, needs };
  if (needs.length && !o.force) {
    const n = needs[0];
    return { outcome: 'skip', reason: `needs ${n.need} at line ${n.line} (${n.detail})`, line: n.line, needs };
  }
  try {
    new Runner(script, o).run();
    return { outcome: 'pass', reason: '', line: null, needs };
  } catch (e) {
    if (e instanceof ScriptFailure) return { outcome: 'fail', reason: `line ${e.line}: ${e.message}`, line: e.line, needs };
    if (e instanceof SysctlError) return { outcome: 'fail', reason: `error executing init command: the kernel refuses sysctl ${e.message}`, line: null, needs };
    const msg = e instanceof Error ? e.message : String(e);
    return { outcome: 'fail', reason: `internal error: ${msg.split('\n')[0]}`, line: null, needs };
  }
}

class Runner {
  private k!: Kernel;
  private procs!: ProcessTable;
  private st = new ScriptTask();
  private out: { usecs: number; seg: Segment }[] = [];
  private sut: PdSocket | null = null;
  private fds = new Map<number, number>(); // script fd -> live fd
  private nextRemotePort = FIRST_REMOTE_PORT;
  private startNs = 0;
  private tol: Tolerance;
  private tsTick = 0;
  private last: { usecs: number; inbound: boolean } | null = null;
  private blocking: { ev: ScriptEvent; times: EventTimes; sc: SyscallSpec; done: boolean } | null = null;
  private pendingError: ScriptFailure | null = null;
  private failedCommands = new Map<number, string>();
  /** nstat's history file (/tmp/.nstat.u0): none at the start (see nstat.ts). */
  private nstatHistory: Map<string, number> | null = null;
  private code: { line: number; text: string; info: Record<string, number> }[] = [];
  private readonly script: Script;
  private readonly o: RunOptions;

  constructor(script: Script, o: RunOptions) {
    this.script = script;
    this.o = o;
    const opt = (n: string) => script.options.find((x) => x.name === n)?.value;
    this.tol = {
      usecs: o.toleranceUsecs ?? (opt('tolerance_usecs') ? Number(opt('tolerance_usecs')) : DEFAULT_TOLERANCE.usecs),
      percent: opt('tolerance_percent') ? Number(opt('tolerance_percent')) : DEFAULT_TOLERANCE.percent,
    };
    this.tsTick = opt('tcp_ts_tick_usecs') ? Number(opt('tcp_ts_tick_usecs')) : 0;
  }

  private get nowUsecs(): number {
    return Math.trunc((this.k.now - this.startNs) / 1000);
  }
  private log(s: string): void {
    this.o.log?.(s);
  }

  run(): void {
    const profile = this.o.profile ?? 'linux-6.x';
    const hz = this.o.hz ?? SELFTESTS_HZ;
    const { sysctl, mtus, failed } = scriptSysctls(this.script, this.o);
    this.failedCommands = failed;
    const h = createHost({ profile, seed: this.o.seed ?? 1, sysctl, hz });
    this.k = h.k;
    this.procs = h.procs;
    // packetdrill's netdev.c: tun0 with --local_ip/--netmask_ip, MTU 1500, and the route
    // `ip route add <remote_ip> dev tun0 via <gateway_ip>`
    this.k.tunCreate({ name: 'tun0', addr: LOCAL_IP, prefixLen: 16, mtu: 1500, routes: [{ dst: REMOTE_IP, prefixLen: 32, gateway: LOCAL_IP }] });
    for (const [dev, mtu] of mtus) devSetMtu(this.k, dev, mtu);
    this.k.onXmit((seg) => {
      if (seg.daddr === REMOTE_IP) this.out.push({ usecs: this.nowUsecs, seg });
    });
    this.procs.programs.set('packetdrill', this.st.program);
    this.st.task = this.procs.spawn('packetdrill', ['packetdrill'])!;
    this.k.sim.runUntil(this.k.now); // the task starts and pauses
    this.startNs = this.k.now;
    for (const ev of this.script.events) {
      this.event(ev);
      this.checkPending();
    }
    // syscalls_free(): a blocking call still running after a second is an error
    if (this.blocking && !this.blocking.done) {
      this.advanceWhile(() => !!this.blocking && !this.blocking.done, this.k.now + 1e9);
      this.checkPending();
      if (this.blocking && !this.blocking.done) throw new ScriptFailure(this.blocking.ev.line, 'runtime error: exiting while a blocking system call is in progress');
    }
    this.runCodeBlocks();
  }

  /**
   * run_code_event(): getsockopt(TCP_INFO) of the socket under test now; the Python runs after
   * the script (runCodeBlocks()). The snapshot is read from the socket the live fd names.
   */
  private codeSnapshot(line: number, text: string): void {
    if (!this.sut || !this.st.task) throw new ScriptFailure(line, 'runtime error in code: no socket to use for code');
    const f = this.st.task.fds.get(this.sut.liveFd);
    // getsockopt() on a closed fd fails: packetdrill's get_data() finds nothing
    if (!f || f.kind !== 'sock') throw new ScriptFailure(line, "runtime error in code: can't find getsockopt to get TCP info");
    // code.c also emits getsockopt(SO_MEMINFO): sk_rcvbuf and sk_sndbuf
    this.code.push({ line, text, info: { ...tcpGetInfo(this.k, f.sk), SK_MEMINFO_RCVBUF: f.sk.rcvbuf, SK_MEMINFO_SNDBUF: f.sk.sndbuf, SK_MEMINFO_WMEM_QUEUED: f.sk.wmemQueued } });
  }

  /**
   * The nstat pipelines of a shell line, at its time, over the model's counters (nstat.ts); the
   * line's status is its last command's (system(3)), and a non-zero one fails the script as
   * run_command_event() does.
   */
  private runNstat(line: number, command: string): void {
    const steps = shellSteps(command, this.o.defaultsSh);
    let status = 0;
    for (const st of steps) {
      if (st.kind !== 'nstat') {
        status = 0;
        continue;
      }
      const r = nstat(st.argv, this.k.mib, this.nstatHistory);
      this.nstatHistory = r.history;
      let out = r.stdout;
      status = r.status;
      for (const g of st.greps) {
        const gr = grep(g, out);
        out = gr.stdout;
        status = gr.status;
      }
      this.log(`nstat ${st.argv.join(' ')}${st.greps.map((g) => ` | grep ${g.join(' ')}`).join('')}: status ${status}`);
    }
    if (status) throw new ScriptFailure(line, `error executing \`${command}\` command: non-zero status ${status}`);
  }

  /** code_execute() after the last event: each block's asserts over its snapshot, in order. */
  private runCodeBlocks(): void {
    for (const c of this.code) {
      let err: string | null;
      try {
        err = runCode(c.text, { ...CODE_SYMBOLS, ...c.info });
      } catch (e) {
        err = e instanceof CodeError ? e.message : String(e);
      }
      if (err) throw new ScriptFailure(c.line, `error in Python code: ${err}`);
    }
  }

  private checkPending(): void {
    if (this.pendingError) throw this.pendingError;
  }

  /** Run simulation events one at a time while `cond` holds, up to `untilNs`. */
  private advanceWhile(cond: () => boolean, untilNs: number): void {
    const sim = this.k.sim;
    while (cond()) {
      const t = sim.peek();
      if (t > untilNs) {
        sim.runUntil(untilNs);
        return;
      }
      sim.runUntilAtMost(t, 1);
      this.checkPending();
    }
  }

  private runTo(usecs: number): void {
    const ns = this.startNs + usecs * 1000;
    if (ns > this.k.now) {
      this.advanceWhile(() => true, ns);
    }
  }

  private event(ev: ScriptEvent): void {
    const a = ev.action;
    const inbound = a.kind === 'packet' && a.direction === 'inbound';
    const times = adjustTimes(ev.time, this.nowUsecs, this.last, inbound);
    const lastUsecs = this.last ? this.last.usecs : null;
    if (a.kind === 'packet') {
      if (a.direction === 'inbound') this.inbound(ev, a, times, lastUsecs);
      else this.outbound(ev, a, times, lastUsecs);
    } else if (a.kind === 'syscall') this.syscall(ev, a, times, lastUsecs);
    else {
      // commands ran before the script (sysctls); a code block takes its TCP_INFO snapshot now
      this.waitFor(ev, times, lastUsecs, a.kind === 'command' ? 'command' : 'data collection for code');
      if (a.kind === 'code') this.codeSnapshot(ev.line, a.text);
      const why = a.kind === 'command' ? this.failedCommands.get(ev.line) : undefined;
      if (a.kind === 'command' && why) throw new ScriptFailure(ev.line, `error executing \`${a.command}\` command: non-zero status 1 (${why})`);
      if (a.kind === 'command') this.runNstat(ev.line, a.command);
    }
    this.last = { usecs: times.usecs, inbound };
  }

  /** wait_for_event(): run until the event's time, then check it was not late. */
  private waitFor(ev: ScriptEvent, times: EventTimes, lastUsecs: number | null, what: string): void {
    this.runTo(times.usecs);
    const err = verifyTime(this.tol, times, this.nowUsecs, lastUsecs, what);
    if (err) throw new ScriptFailure(ev.line, err);
  }

  private inbound(ev: ScriptEvent, p: PacketSpec, times: EventTimes, lastUsecs: number | null): void {
    const t = p.tcp!;
    const syn = t.flags.includes('S') && !t.flags.includes('.');
    // handle_listen_for_script_packet(): a SYN for a listener (or no socket) starts a passive connection
    if (syn && (this.sut === null || this.sut.state === 'listening')) {
      const listenFd = this.sut?.liveFd ?? -1;
      this.sut = {
        state: 'passive', scriptFd: -1, liveFd: listenFd, seq: newSeqState(), livePort: BIND_PORT, liveAddr: LOCAL_IP,
        remotePort: this.nextRemotePort++, synAckSeen: false,
      };
      this.sut.seq.scriptRemoteIsn = t.seq;
      this.sut.seq.liveRemoteIsn = t.seq;
    }
    const s = this.sut;
    if (!s || (s.state !== 'passive' && s.state !== 'active' && s.state !== 'connecting')) throw new ScriptFailure(ev.line, 'error handling packet: no matching socket for script packet');
    if (s.state === 'connecting' && t.flags.includes('S') && t.flags.includes('.')) {
      s.seq.scriptRemoteIsn = t.seq;
      s.seq.liveRemoteIsn = t.seq;
      s.state = 'active';
    }
    this.waitFor(ev, times, lastUsecs, 'inbound packet');
    const m = mapInbound(t, s.seq);
    if ('error' in m) throw new ScriptFailure(ev.line, `error handling packet: ${m.error}`);
    const seg: Omit<Segment, 'id'> = {
      saddr: REMOTE_IP, daddr: s.liveAddr, sport: s.remotePort, dport: s.livePort, seq: m.seq, ack: m.ack,
      flags: scriptFlagBits(t.flags), window: t.win ?? 0, urgent: t.urg, options: m.options as Segment['options'],
      payload: new Uint8Array(t.len), ipId: 0, ttl: 64, df: true, tos: 0, csum: 'full',
      ...tunTruesize(t.len, 40 + encodeOptions(m.options as Segment['options']).length, this.mss),
    };
    this.log(`${(this.nowUsecs / 1e6).toFixed(6)} inbound injected: ${scriptText(t)}`);
    this.k.tunWrite(seg);
  }

  /** Whether a live segment belongs to the socket under test (learning its tuple on the first SYN). */
  private forSut(seg: Segment): boolean {
    const s = this.sut;
    if (!s) return false;
    if (s.state === 'connecting' && !s.synAckSeen && seg.flags & TH_SYN && !(seg.flags & TH_ACK) && seg.dport === CONNECT_PORT) {
      s.livePort = seg.sport;
      s.liveAddr = seg.saddr;
      s.remotePort = seg.dport;
      s.seq.liveLocalIsn = seg.seq;
      s.synAckSeen = true;
      return true;
    }
    return seg.sport === s.livePort && seg.dport === s.remotePort;
  }

  private outbound(ev: ScriptEvent, p: PacketSpec, times: EventTimes, lastUsecs: number | null): void {
    const t = p.tcp!;
    const s = this.sut;
    if (!s) throw new ScriptFailure(ev.line, 'error handling packet: no matching socket for script packet');
    // sniff_outbound_live_packet(): the oldest packet for the socket; timeout 2 s past the expected time
    const deadlineUsecs = Math.max(times.usecs, times.endUsecs) + 2e6 - (times.type === 'any' ? 0 : 0);
    let got: { usecs: number; seg: Segment } | null = null;
    const take = (): boolean => {
      while (this.out.length) {
        const x = this.out.shift()!;
        if (this.forSut(x.seg)) {
          got = x;
          return true;
        }
      }
      return false;
    };
    if (!take()) {
      const untilNs = times.type === 'any' ? Infinity : this.startNs + deadlineUsecs * 1000;
      this.advanceWhile(() => !take(), untilNs);
    }
    if (!got) throw new ScriptFailure(ev.line, `error handling packet: Timed out waiting for packet (script: ${scriptText(t)})`);
    const g = got as { usecs: number; seg: Segment };
    if (s.state === 'passive' && t.flags.includes('S') && t.flags.includes('.')) {
      s.seq.scriptLocalIsn = t.seq;
      s.seq.liveLocalIsn = g.seg.seq;
    }
    if (s.state === 'connecting' && t.flags.includes('S') && !t.flags.includes('.')) s.seq.scriptLocalIsn = t.seq;
    let live: LiveSegment = {
      usecs: g.usecs, seq: g.seg.seq, ack: g.seg.ack, flags: g.seg.flags, window: g.seg.window, urgent: g.seg.urgent,
      options: g.seg.options, payloadLen: g.seg.payload.length, payloadZero: g.seg.payload.every((b) => b === 0), tos: g.seg.tos, ttl: g.seg.ttl,
    };
    this.log(`${(g.usecs / 1e6).toFixed(6)} outbound sniffed`);
    // sniff_outbound_live_packet()'s loop (packetdrill without --strict_segments): consecutive
    // packets are aggregated until they carry the payload the script expects, the headers of the
    // last one with the first one's seq (aggregate_packets()); verify_packet_fragments() wants
    // each one to follow the previous one and every one but the last to be as long.
    let prevLen = live.payloadLen;
    while (live.payloadLen && live.payloadLen < t.len) {
      got = null;
      const untilNs = times.type === 'any' ? Infinity : this.startNs + deadlineUsecs * 1000;
      if (!take()) this.advanceWhile(() => !take(), untilNs);
      if (!got) break;
      const n = (got as { usecs: number; seg: Segment }).seg;
      const len = n.payload.length;
      const want = (live.seq + live.payloadLen) >>> 0;
      if (n.seq !== want || (len < t.len - live.payloadLen && len !== prevLen))
        throw new ScriptFailure(ev.line, `error handling packet: fragment payload: expected ${prevLen} bytes vs actual ${len} bytes; total payload: expected ${t.len} bytes vs actual ${live.payloadLen + len} bytes`);
      prevLen = len;
      live = { ...live, usecs: (got as { usecs: number }).usecs, ack: n.ack, flags: n.flags, window: n.window, options: n.options, payloadLen: live.payloadLen + len, payloadZero: live.payloadZero && n.payload.every((b) => b === 0) };
    }
    if (live.payloadLen !== t.len)
      throw new ScriptFailure(ev.line, `error handling packet: live packet payload: expected ${t.len} bytes vs actual ${live.payloadLen} bytes (script: ${scriptText(t)}; actual: ${liveText({ ...live, seq: (live.seq - localSeqScriptToLiveOffset(s.seq, !!(live.flags & TH_SYN))) >>> 0 })})`);
    const r = verifyOutbound(t, live, s.seq, { tsTickUsecs: this.tsTick, tol: this.tol, eventUsecs: times.usecs });
    const err = r.error ?? verifyTime(this.tol, times, live.usecs, lastUsecs, 'outbound packet');
    if (err) throw new ScriptFailure(ev.line, `error handling packet: ${err} (script: ${scriptText(t)}; actual at ${(g.usecs / 1e6).toFixed(6)}: ${liveText(r.actual)})`);
  }

  /** --mss: the gso_size of the tun packets the script injects (virtio_net_hdr). */
  private get mss(): number {
    const v = this.script.options.find((x) => x.name === 'mss')?.value;
    return v ? Number(v) : 0;
  }

  private int(e: Expr, line: number): number {
    if (e.kind === 'int') return e.value;
    if (e.kind === 'word' && SYMBOLS[e.name] !== undefined) return SYMBOLS[e.name];
    if (e.kind === 'list' && e.items.length === 1) return this.int(e.items[0], line);
    throw new ScriptFailure(line, `runtime error: cannot evaluate ${exprText(e)}`);
  }

  private liveFd(scriptFd: number, line: number, name: string): number {
    const fd = this.fds.get(scriptFd);
    if (fd === undefined) throw new ScriptFailure(line, `runtime error in ${name} call: unable to find fd with script fd ${scriptFd}`);
    return fd;
  }

  /** The model call for a script system call. */
  private toSys(sc: SyscallSpec, line: number): Sys {
    const a = sc.args;
    const fd = () => this.liveFd(this.int(a[0], line), line, sc.name);
    switch (sc.name) {
      case 'socket':
        return { op: 'socket', nonblock: !!unionWords(a[1])?.includes('SOCK_NONBLOCK') };
      case 'fcntl': {
        const cmd = (a[1] as { name: string }).name as 'F_GETFL' | 'F_SETFL';
        return { op: 'fcntl', fd: fd(), cmd, arg: cmd === 'F_SETFL' ? (unionWords(a[2]) ?? []).reduce((v, w) => v | SYMBOLS[w], 0) : undefined };
      }
      case 'ioctl':
        return { op: 'ioctl', fd: fd(), req: 'SIOCINQ' };
      case 'setsockopt': {
        const opt = (a[2] as { name: string }).name as SysOf<'setsockopt'>['opt'];
        // SO_LINGER's struct linger: {onoff=N, linger=N}
        if (a[3].kind === 'linger') return { op: 'setsockopt', fd: fd(), opt, val: a[3].onoff, linger: a[3].linger };
        return { op: 'setsockopt', fd: fd(), opt, val: this.int(a[3], line) };
      }
      case 'getsockopt':
        return { op: 'getsockopt', fd: fd(), opt: (a[2] as { name: string }).name as SysOf<'getsockopt'>['opt'] };
      case 'bind':
        return { op: 'bind', fd: fd(), addr: LOCAL_IP, port: BIND_PORT };
      case 'listen':
        return { op: 'listen', fd: fd(), backlog: this.int(a[1], line) };
      case 'accept':
        return { op: 'accept', fd: fd() };
      case 'connect':
        return { op: 'connect', fd: fd(), addr: REMOTE_IP, port: CONNECT_PORT };
      case 'write':
      case 'send':
      case 'sendto':
        return { op: 'write', fd: fd(), data: '\0'.repeat(this.int(a[2], line)), more: sc.name !== 'write' && exprText(a[3]) === 'MSG_MORE', eor: sc.name !== 'write' && exprText(a[3]) === 'MSG_EOR', fault: a[1].kind !== 'ellipsis' };
      case 'sendmsg': {
        const m = a[1] as Extract<Expr, { kind: 'msghdr' }>;
        const len = iovLens(m.iov)!.reduce((x, y) => x + y, 0);
        return { op: 'write', fd: fd(), data: '\0'.repeat(len), more: exprText(a[2]) === 'MSG_MORE' };
      }
      case 'read':
      case 'recv':
      case 'recvfrom':
        return { op: 'read', fd: fd(), count: this.int(a[2], line), fault: a[1].kind !== 'ellipsis', peek: sc.name !== 'read' && exprText(a[3]) === 'MSG_PEEK' };
      case 'close':
        return { op: 'close', fd: fd() };
      case 'shutdown':
        return { op: 'shutdown', fd: fd(), how: this.int(a[1], line) };
    }
    throw new ScriptFailure(line, `runtime error: ${sc.name}() is not modelled`);
  }

  private syscall(ev: ScriptEvent, sc: SyscallSpec, times: EventTimes, lastUsecs: number | null): void {
    const isBlocking = sc.endUsecs !== null;
    // await_idle_thread(): wait (up to 1 s) for a blocking call in progress
    if (this.st.busy) {
      this.advanceWhile(() => this.st.busy, this.k.now + 1e9);
      if (this.st.busy && isBlocking) throw new ScriptFailure(ev.line, `runtime error in ${sc.name} call: blocking system call while another blocking system call is already in progress`);
      if (this.st.busy) throw new ScriptFailure(ev.line, `runtime error in ${sc.name} call: a blocking system call is still in progress`);
    }
    this.waitFor(ev, times, lastUsecs, 'system call start');
    const line = ev.line;
    const sys = this.toSys(sc, line);
    const endTimes: EventTimes | null = isBlocking
      ? { type: times.type === 'relative' ? 'relative' : 'absolute', usecs: sc.endUsecs! + (times.type === 'relative' ? times.offsetUsecs : 0), endUsecs: -1, offsetUsecs: times.offsetUsecs }
      : null;
    const startUsecs = times.usecs;
    const block = isBlocking ? { ev, times, sc, done: false } : null;
    if (block) this.blocking = block;
    let result: unknown;
    let returned = false;
    this.st.mailbox = sys;
    this.st.inflight = {
      sys,
      line,
      onResult: (r) => {
        returned = true;
        result = r;
        if (block) {
          block.done = true;
          if (this.blocking === block) this.blocking = null;
          const err = this.checkResult(sc, r, line) ?? verifyTime(this.tol, endTimes!, this.nowUsecs, startUsecs, 'system call return');
          if (err && !this.pendingError) this.pendingError = new ScriptFailure(line, err.startsWith('timing') ? err : `runtime error in ${sc.name} call: ${err}`);
        }
      },
    };
    // the SYN leaves inside connect(): the socket under test starts its active open now
    if (sc.name === 'connect' && this.sut && this.sut.state === 'new' && sys.op === 'connect' && this.sut.liveFd === sys.fd) this.sut.state = 'connecting';
    this.log(`${(this.nowUsecs / 1e6).toFixed(6)} ${sc.name}()`);
    this.procs.signal(this.st.task!, 'SIGHUP');
    // run until the call returns or blocks
    const task = this.st.task!;
    this.advanceWhile(() => !returned && !(task.state === 'blocked' && task.pending?.op !== 'pause'), Infinity);
    if (isBlocking) return;
    if (!returned) throw new ScriptFailure(line, `runtime error in ${sc.name} call: the call blocked, and the script expects it to return at once`);
    const err = this.checkResult(sc, result, line);
    if (err) throw new ScriptFailure(line, `runtime error in ${sc.name} call: ${err}`);
  }

  /** Compare a model result with the script's `= ret [ERRNO (text)]`; record new fds. */
  private checkResult(sc: SyscallSpec, r: unknown, line: number): string | null {
    let actual: number;
    // the model's getsockopt() and ioctl() return the value written to optval; the call itself returns 0
    const optval = sc.name === 'getsockopt' || sc.name === 'ioctl';
    if (optval) actual = typeof r === 'number' && r < 0 ? r : 0;
    else if (typeof r === 'number') actual = r;
    else if (typeof r === 'string') actual = r.length;
    else if (r && typeof r === 'object' && 'fd' in r) actual = (r as { fd: number }).fd;
    else actual = 0;
    const ret = actual < 0 ? -1 : actual;
    const errno = actual < 0 ? -actual : 0;
    const expected = this.int(sc.result, line);
    const fdMode = sc.name === 'socket' || sc.name === 'accept';
    if (fdMode && expected >= 0) {
      if (ret < 0) return `Expected non-negative result but got ${ret} with errno ${errno} (${STRERROR[errno] ?? 'Unknown error'})`;
      this.fds.set(expected, ret);
      if (sc.name === 'socket') this.sut = { state: 'new', scriptFd: expected, liveFd: ret, seq: newSeqState(), livePort: 0, liveAddr: 0, remotePort: 0, synAckSeen: false };
      else if (this.sut) {
        // the accepted socket becomes the socket under test (its TCP_INFO for %{ }%)
        this.sut.scriptFd = expected;
        this.sut.liveFd = ret;
      }
    } else if (ret !== expected) return `Expected result ${expected} but got ${ret} with errno ${errno} (${STRERROR[errno] ?? 'Unknown error'})`;
    if (sc.errno) {
      const e = ERRNO[sc.errno.name];
      if (e === undefined) return `unknown errno ${sc.errno.name}`;
      if (e !== errno) return `Expected errno ${e} (${STRERROR[e]}) but got ${errno} (${STRERROR[errno] ?? 'Unknown error'})`;
    }
    const valArg = sc.name === 'getsockopt' ? sc.args[3] : sc.name === 'ioctl' ? sc.args[2] : undefined;
    if (optval && valArg?.kind === 'list' && ret >= 0) {
      const want = this.int(valArg, line);
      const got = typeof r === 'number' && r >= 0 ? r : 0;
      if (want !== got) return `Bad ${sc.name} optval: expected: ${want} actual: ${got}`;
    }
    if (sc.name === 'listen' && ret === 0 && this.sut && this.sut.liveFd === this.fds.get(this.int(sc.args[0], line))) this.sut.state = 'listening';
    return null;
  }
}

export { type Tolerance };
