/**
 * The parsed form of a packetdrill script: what parser.y builds (struct script, struct event,
 * struct packet, struct syscall_spec, struct expression), as plain data. Times are integer
 * microseconds, as in packetdrill (`time_usecs`). Every node keeps its line and column.
 *
 * Pure data; no Node APIs.
 */

/** An input error with its place: `file:line:col: message`. Never a stack trace. */
export class PacketdrillError extends Error {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly detail: string;
  constructor(file: string, line: number, col: number, detail: string) {
    super(`${file}:${line}:${col}: ${detail}`);
    this.name = 'PacketdrillError';
    this.file = file;
    this.line = line;
    this.col = col;
    this.detail = detail;
  }
}

export interface Loc {
  line: number;
  col: number;
}

export interface HeaderOption extends Loc {
  /** Without the leading `--`. */
  name: string;
  /** The value after `=`, as parser.y's option_value builds it (`NAME=val` for defines). */
  value: string | null;
}

export type TimeSpec =
  | { kind: 'absolute'; usecs: number }
  | { kind: 'relative'; usecs: number }
  | { kind: 'any' }
  | { kind: 'absolute-range'; usecs: number; endUsecs: number }
  | { kind: 'relative-range'; usecs: number; endUsecs: number };

export type TcpOption =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'md5'; digest: string }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'fo'; cookie: string }
  | { kind: 'foexp'; cookie: string }
  | { kind: 'accecn'; first: 'e0b' | 'e1b'; fields: { name: 'e0b' | 'e1b' | 'ceb'; value: number }[] };

/** On-the-wire length of an option (tcp_options.h), for the padding rule. */
export function tcpOptionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'nop':
    case 'eol':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackOK':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'md5':
      return 2 + o.digest.length / 2;
    case 'ts':
      return 10;
    case 'fo':
      return 2 + o.cookie.length / 2;
    case 'foexp':
      return 4 + o.cookie.length / 2;
    case 'accecn':
      return 2 + 3 * o.fields.length;
  }
}

export interface IpInfo {
  /** ECN codepoint check (`[ect0]`, `[ce]`...), ect01, or a tos byte. */
  tos?: { check: 'ecn'; ecn: 'noecn' | 'ect0' | 'ect1' | 'ce' } | { check: 'ect01' } | { check: 'tos'; value: number };
  flowLabel?: number;
  ttl?: number;
}

/** An outer header of an encapsulated packet line (`ipv4 a > b:`, `gre:`, `mpls ...:`). */
export type PacketLayer =
  | { kind: 'ipv4' | 'ipv6'; ipInfo: IpInfo; src: string; dst: string }
  | { kind: 'gre'; header: Expr | null }
  | { kind: 'mpls'; stack: MplsEntry[] };

export interface MplsEntry {
  label: number;
  tc: number;
  bottom: boolean;
  ttl: number;
}

export interface TcpSpec {
  /** Flag letters as written (`S.`, `P.`, `F.`, `` for `-`, `.5` for AccECN ACE). */
  flags: string;
  seq: number;
  end: number;
  len: number;
  /** `ack N` (0 when absent, as in parser.y). */
  ack: number;
  /** `win N`, or null: absent (outbound only: window not checked). */
  win: number | null;
  urg: number;
  /** null: `<...>` (options not checked); [] when the line has no options (none expected). */
  options: TcpOption[] | null;
}

export interface PacketSpec {
  kind: 'packet';
  direction: 'inbound' | 'outbound';
  layers: PacketLayer[];
  ipInfo: IpInfo;
  ports: { src: number; dst: number } | null;
  /** PSP encapsulation (`encap psp spi N`). */
  pspSpi: number | null;
  proto: 'tcp' | 'udp' | 'icmp';
  tcp?: TcpSpec;
  udp?: { len: number };
  icmp?: {
    type: string;
    code: string | null;
    mtu: number | null;
    echoId: number;
    echoed: { proto: 'tcp'; seq: number; end: number; len: number } | { proto: 'udp' | 'raw'; len: number } | null;
  };
}

export type Expr = (
  | { kind: 'ellipsis' }
  | { kind: 'int'; value: number; hex: boolean }
  | { kind: 'word'; name: string }
  | { kind: 'string'; value: string; ellipsis: boolean }
  | { kind: 'binary'; op: '|' | '=' | '.'; lhs: Expr; rhs: Expr }
  | { kind: 'list'; items: Expr[]; braces: boolean }
  | { kind: 'in6addr'; addr: string }
  | { kind: 'sockaddr'; family: string; port: number; addr: string }
  | { kind: 'msghdr'; iovlen: Expr; iov: Expr; flags: Expr; control: Expr | null }
  | { kind: 'iovec'; len: Expr }
  | { kind: 'pollfd'; fd: Expr; events: Expr; revents: Expr | null }
  | { kind: 'epollev'; events: Expr; field: 'fd' | 'ptr' | 'u32' | 'u64'; value: Expr }
  | { kind: 'linger'; onoff: number; linger: number }
  | { kind: 'cmsg'; level: Expr; type: Expr; data: Expr }
  | { kind: 'scm_timestamping'; sec: number; nsec: number }
  | { kind: 'sock_extended_err'; errno: Expr; origin: Expr; type: Expr; code: Expr; info: Expr; data: Expr }
  | { kind: 'mpls_stack'; stack: MplsEntry[] }
  | { kind: 'gre'; flags: number; sum: number; off: number; key: number; seq: number }
) &
  Loc;

export interface SyscallSpec {
  kind: 'syscall';
  name: string;
  args: Expr[];
  /** `...END` of a blocking call, µs as written (relative to the same base as the start time); or null. */
  endUsecs: number | null;
  result: Expr;
  errno: { name: string; text: string } | null;
  note: string | null;
}

export interface CommandSpec {
  kind: 'command';
  command: string;
}

export interface CodeSpec {
  kind: 'code';
  text: string;
}

export type Action = PacketSpec | SyscallSpec | CommandSpec | CodeSpec;

export interface ScriptEvent extends Loc {
  time: TimeSpec;
  action: Action;
}

export interface Script {
  file: string;
  options: HeaderOption[];
  initCommand: (CommandSpec & Loc) | null;
  events: ScriptEvent[];
  cleanupCommand: (CommandSpec & Loc) | null;
  /** The defines in effect (command line, then `--define` header options). */
  defines: Map<string, string>;
}
