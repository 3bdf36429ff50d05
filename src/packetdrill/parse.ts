/**
 * The packetdrill script parser: parser.y's grammar (google/packetdrill @ 2c4001c), which
 * syntax.md documents, as a recursive-descent parser over lexer.ts's tokens, with parser.y's
 * semantic checks (ranges, sequence consistency, option padding, flag letters, `*` and ranges
 * only on outbound packets...) and the two static checks run.c makes before the first event
 * (the first event at time 0, absolute times never going backward).
 *
 * Errors are PacketdrillErrors, `file:line:col: parse error at 'TOKEN': ...` or
 * `file:line:col: semantic error: ...`; the parser never throws anything else for any input.
 * Pure: no Node APIs.
 */
import {
  PacketdrillError,
  tcpOptionLength,
  type Action,
  type CommandSpec,
  type Expr,
  type HeaderOption,
  type IpInfo,
  type Loc,
  type MplsEntry,
  type PacketLayer,
  type PacketSpec,
  type Script,
  type ScriptEvent,
  type SyscallSpec,
  type TcpOption,
  type TimeSpec,
} from './ast.ts';
import { KEYWORDS, Lexer, type Token } from './lexer.ts';

/** config.c's long options: name -> takes an argument. */
export const CONFIG_OPTIONS: Record<string, boolean> = {
  ip_version: true, bind_port: true, code_command: true, code_format: true, code_sockopt: true,
  connect_port: true, remote_ip: true, local_ip: true, gateway_ip: true, netmask_ip: true, speed: true,
  mss: true, mtu: true, init_scripts: true, tolerance_usecs: true, tolerance_percent: true,
  wire_client: false, wire_server: false, wire_server_ip: true, wire_server_at: true,
  wire_server_port: true, wire_client_dev: true, wire_server_dev: true, so_filename: true,
  so_flags: true, tcp_ts_ecr_scaled: false, tcp_ts_tick_usecs: true, strict_segments: false,
  non_fatal: true, dry_run: false, is_anyip: false, send_omit_free: false, psp_udp_port: true,
  debug: false, define: true, verbose: false,
};

export interface ParseOptions {
  /** Command-line `-D NAME=value` definitions. */
  defines?: Record<string, string> | Map<string, string>;
}

const U16 = 0xffff;
const U32 = 0xffffffff;

/** The grammar symbol of a token: a keyword's token name, a character, or the kind. */
function sym(t: Token): string {
  if (t.kind === 'KEYWORD') return KEYWORDS[t.value];
  if (t.kind === 'CHAR') return t.value;
  return t.kind;
}

/** How a token reads in an error (yytext). */
function shown(t: Token): string {
  if (t.kind === 'EOF') return 'end of file';
  const s = t.text.length > 40 ? `${t.text.slice(0, 37)}...` : t.text;
  return s.replace(/\n/g, '\\n');
}

class Parser {
  private lx: Lexer;
  private buf: Token[] = [];
  readonly file: string;
  readonly defines: Map<string, string>;
  constructor(src: string, file: string, defines: Map<string, string>) {
    this.file = file;
    this.defines = defines;
    this.lx = new Lexer(src, file, { defines });
  }

  // ── token stream ──
  private peek(n = 0): Token {
    while (this.buf.length <= n) this.buf.push(this.lx.next());
    return this.buf[n];
  }
  private take(): Token {
    const t = this.peek();
    this.buf.shift();
    return t;
  }
  private is(s: string, n = 0): boolean {
    return sym(this.peek(n)) === s;
  }
  private accept(s: string): Token | null {
    return this.is(s) ? this.take() : null;
  }
  private expect(s: string, what?: string): Token {
    if (this.is(s)) return this.take();
    throw this.syntax(what ?? describe(s));
  }
  private syntax(expected: string, t: Token = this.peek()): PacketdrillError {
    return new PacketdrillError(this.file, t.line, t.col, `parse error at '${shown(t)}': syntax error, expected ${expected}`);
  }
  private semantic(at: Loc, message: string): PacketdrillError {
    return new PacketdrillError(this.file, at.line, at.col, `semantic error: ${message}`);
  }
  private int(what: string): Token {
    return this.expect('INTEGER', what);
  }

  // ── script ──
  parseScript(): Script {
    const options: HeaderOption[] = [];
    while (this.is('OPTION')) options.push(this.option());
    this.applyOptions(options);
    let initCommand: (CommandSpec & Loc) | null = null;
    if (this.is('BACK_QUOTED')) {
      const t = this.take();
      initCommand = { kind: 'command', command: t.value, line: t.line, col: t.col };
    }
    const events: ScriptEvent[] = [];
    let cleanupCommand: (CommandSpec & Loc) | null = null;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'EOF') break;
      if (t.kind === 'BACK_QUOTED' && events.length) {
        // opt_cleanup_command: a command without a time, after the events, ends the script
        this.take();
        cleanupCommand = { kind: 'command', command: t.value, line: t.line, col: t.col };
        if (this.peek().kind !== 'EOF') throw this.syntax('end of script after the cleanup command');
        break;
      }
      events.push(this.event());
    }
    if (!events.length) throw this.syntax('an event (a time then a packet, system call, command or %{ }% block)');
    this.checkTimes(events);
    return { file: this.file, options, initCommand, events, cleanupCommand, defines: this.defines };
  }

  private option(): HeaderOption {
    const t = this.take();
    let value: string | null = null;
    if (this.accept('=')) {
      const v = this.peek();
      const s = sym(v);
      if (s === 'INTEGER' || s === 'IPV4_ADDR' || s === 'IPV6_ADDR') value = this.take().text;
      else if (s === 'IPV4' || s === 'IPV6') value = this.take().value;
      else if (s === 'STRING') value = this.take().value;
      else if (s === 'WORD') {
        const w = this.take().value;
        if (this.accept('=')) {
          const r = this.peek();
          if (sym(r) === 'WORD') value = `${w}=${this.take().value}`;
          else if (sym(r) === 'STRING') value = `${w}="${this.take().value}"`;
          else if (sym(r) === 'BACK_QUOTED') value = `${w}=\`${this.take().value}\``;
          else throw this.syntax('a word, string or `command` after =');
        } else value = w;
      } else throw this.syntax('an option value');
    }
    return { name: t.value, value, line: t.line, col: t.col };
  }

  /** parse_script_options(): known options only, with or without an argument as config.c says. */
  private applyOptions(options: HeaderOption[]): void {
    for (const o of options) {
      const takesArg = CONFIG_OPTIONS[o.name];
      // config.c's messages (parse_script_options(), process_option())
      const die = (msg: string) => new PacketdrillError(this.file, o.line, o.col, msg);
      if (takesArg === undefined) throw die(`option '${o.name}' unknown`);
      if (!takesArg && o.value !== null) throw die(`option '${o.name}' forbids an argument`);
      if (takesArg && o.value === null) throw die(`option '${o.name}' requires an argument`);
      if (o.name === 'define') {
        const eq = o.value!.indexOf('=');
        if (eq <= 0) throw die(`bad definition: ${o.value}`);
        this.defines.set(o.value!.slice(0, eq), o.value!.slice(eq + 1));
      }
    }
  }

  /** get_next_event(): first event at time 0; absolute times never go backward. */
  private checkTimes(events: ScriptEvent[]): void {
    const first = events[0];
    const t0 = first.time.kind === 'any' ? 0 : first.time.usecs;
    if (t0 !== 0) throw new PacketdrillError(this.file, first.line, first.col, 'first event should be at time 0');
    for (let i = 1; i < events.length; i++) {
      const a = events[i - 1].time;
      const b = events[i].time;
      const absA = a.kind === 'absolute' || a.kind === 'absolute-range';
      const absB = b.kind === 'absolute' || b.kind === 'absolute-range';
      if (absA && absB && b.usecs < a.usecs)
        throw new PacketdrillError(this.file, events[i].line, events[i].col, `time goes backward in script from ${a.usecs} usec to ${b.usecs} usec`);
    }
  }

  // ── events ──
  private event(): ScriptEvent {
    const start = this.peek();
    const time = this.eventTime();
    const action = this.action();
    const ev: ScriptEvent = { time, action, line: start.line, col: start.col };
    if (time.kind !== 'absolute' && time.kind !== 'relative' && 'endUsecs' in time && time.endUsecs < time.usecs)
      throw this.semantic(ev, 'time range is backwards');
    const outbound = action.kind === 'packet' && action.direction === 'outbound';
    if (time.kind === 'any' && !outbound) throw this.semantic(ev, 'event time <star> can only be used with outbound packets');
    if ((time.kind === 'absolute-range' || time.kind === 'relative-range') && !outbound)
      throw this.semantic(ev, 'event time range can only be used with outbound packets');
    return ev;
  }

  private eventTime(): TimeSpec {
    if (this.accept('*')) return { kind: 'any' };
    if (this.accept('+')) {
      const usecs = this.time();
      if (this.accept('~')) {
        this.expect('+', "'+' (a relative range is +a~+b)");
        return { kind: 'relative-range', usecs, endUsecs: this.time() };
      }
      return { kind: 'relative', usecs };
    }
    if (!this.is('FLOAT') && !this.is('INTEGER')) throw this.syntax("an event time (0, +0.1, *, a~b, +a~+b)");
    const usecs = this.time();
    if (this.accept('~')) return { kind: 'absolute-range', usecs, endUsecs: this.time() };
    return { kind: 'absolute', usecs };
  }

  /** time: seconds as FLOAT or INTEGER, converted to integer µs as parser.y does ((s64)(x * 1e6)). */
  private time(): number {
    const t = this.peek();
    if (t.kind !== 'FLOAT' && t.kind !== 'INTEGER') throw this.syntax('a time in seconds');
    this.take();
    if (t.num < 0) throw this.semantic(t, 'negative time');
    return Math.trunc(t.num * 1e6);
  }

  private action(): Action {
    const t = this.peek();
    const s = sym(t);
    if (s === '<' || s === '>') return this.packet();
    if (s === 'BACK_QUOTED') return { kind: 'command', command: this.take().value };
    if (s === 'CODE') return { kind: 'code', text: this.take().value };
    if (s === 'ELLIPSIS' || s === 'WORD') return this.syscall();
    throw this.syntax("a packet (< or >), a system call, a `command` or a %{ }% block");
  }

  // ── packets ──
  private packet(): PacketSpec {
    const dirTok = this.take();
    const direction = dirTok.value === '<' ? 'inbound' : 'outbound';
    const layers: PacketLayer[] = [];
    // packet_prefix: outer headers
    for (;;) {
      if (this.is('IPV4') || this.is('IPV6')) {
        const v = this.take();
        const ipInfo = this.optIpInfo();
        const addr = v.value === 'ipv4' ? 'IPV4_ADDR' : 'IPV6_ADDR';
        const src = this.expect(addr, `an ${v.value} address`).text;
        this.expect('>');
        const dst = this.expect(addr, `an ${v.value} address`).text;
        this.expect(':');
        layers.push({ kind: v.value as 'ipv4' | 'ipv6', ipInfo, src, dst });
      } else if (this.is('GRE')) {
        const g = this.take();
        if (this.accept(':')) layers.push({ kind: 'gre', header: null });
        else {
          this.accept(',');
          const header = this.greHeader(g);
          this.expect(':');
          layers.push({ kind: 'gre', header });
        }
      } else if (this.is('MPLS')) {
        this.take();
        const stack = this.mplsStack();
        this.expect(':');
        layers.push({ kind: 'mpls', stack });
      } else break;
    }
    const ipInfo = this.optIpInfo();
    if (this.is('UDP')) {
      this.take();
      const ports = this.optPorts();
      this.expect('(');
      const n = this.int('the UDP payload size');
      this.expect(')');
      if (ipInfo.tos?.check === 'ecn') throw this.semantic(dirTok, 'ECN can only be used with TCP packets');
      if (n.num < 0 || n.num > U16) throw this.semantic(n, 'UDP payload size out of range');
      return { kind: 'packet', direction, layers, ipInfo, ports, pspSpi: null, proto: 'udp', udp: { len: n.num } };
    }
    if (this.is('ICMP')) {
      this.take();
      const type = this.expect('WORD', 'an ICMP type').value;
      const code = this.is('WORD') ? this.take().value : null;
      let mtu: number | null = null;
      if (this.accept('MTU')) mtu = this.int('an MTU').num;
      let echoId = 0;
      if (this.accept('ID')) echoId = this.int('an echo id').num;
      let echoed: NonNullable<PacketSpec['icmp']>['echoed'] = null;
      if (this.accept('[')) {
        if (this.accept('UDP')) {
          this.expect('(');
          echoed = { proto: 'udp', len: this.int('a payload size').num };
          this.expect(')');
        } else if (this.accept('RAW')) {
          this.expect('(');
          echoed = { proto: 'raw', len: this.int('a payload size').num };
          this.expect(')');
        } else echoed = { proto: 'tcp', ...this.seq() };
        this.expect(']');
      }
      if (ipInfo.tos?.check === 'ect01' && direction !== 'outbound') throw this.semantic(dirTok, '[ect01] can only be used with outbound packets');
      return { kind: 'packet', direction, layers, ipInfo, ports: null, pspSpi: null, proto: 'icmp', icmp: { type, code, mtu, echoId, echoed } };
    }
    // TCP
    let pspSpi: number | null = null;
    if (this.accept('ENCAP')) {
      this.expect('PSP');
      this.expect('SPI');
      pspSpi = this.anyInt().num;
    }
    const ports = this.optPorts();
    const flags = this.flags();
    const seq = this.seq();
    let ack = 0;
    if (this.accept('ACK')) {
      const a = this.int('an ack number');
      if (a.num < 0 || a.num > U32) throw this.semantic(a, 'TCP ack sequence number out of range');
      ack = a.num;
    }
    let win: number | null = null;
    if (this.accept('WIN')) {
      const w = this.int('a window');
      if (w.num < 0 || w.num > U16) throw this.semantic(w, 'TCP window value out of range');
      win = w.num;
    }
    let urg = 0;
    if (this.accept('URG')) {
      const u = this.int('an urgent pointer');
      if (u.num < 0 || u.num > U16) throw this.semantic(u, 'urg_ptr value out of range');
      urg = u.num;
    }
    let options: TcpOption[] | null = [];
    let optTok: Token | null = null;
    if (this.is('<')) {
      optTok = this.take();
      if (this.accept('ELLIPSIS')) options = null;
      else {
        options = [this.tcpOption()];
        while (this.accept(',')) options.push(this.tcpOption());
      }
      this.expect('>', "'>' or ',' in the TCP option list");
    }
    if (ipInfo.tos?.check === 'ect01' && direction !== 'outbound') throw this.semantic(dirTok, '[ect01] can only be used with outbound packets');
    if (options === null && direction !== 'outbound') throw this.semantic(optTok!, '<...> for TCP options can only be used with outbound packets');
    if (options) {
      const bytes = options.reduce((n, o) => n + tcpOptionLength(o), 0);
      if (bytes > 40) throw this.semantic(optTok!, 'TCP option list too long');
      if (bytes & 3) throw this.semantic(optTok!, `TCP options are not padded correctly to ensure TCP header is a multiple of 4 bytes: ${bytes & 3} excess bytes`);
    }
    if (win === null && direction === 'inbound') throw this.semantic(dirTok, 'window must be specified for inbound packets');
    this.checkFlags(flags.text, flags.tok);
    return {
      kind: 'packet', direction, layers, ipInfo, ports, pspSpi, proto: 'tcp',
      tcp: { flags: flags.text, seq: seq.seq, end: seq.end, len: seq.len, ack, win, urg, options },
    };
  }

  /** tcp_packet.c's is_tcp_flags_spec_valid(). */
  private checkFlags(flags: string, at: Loc): void {
    let ecn = false;
    let ace = false;
    for (const c of flags) {
      if (!'.FSRPEWAU01234567'.includes(c)) throw this.semantic(at, `Invalid TCP flag: '${c}'`);
      if ('EWA'.includes(c)) {
        if (ace) throw this.semantic(at, `Conflicting TCP flag: '${c}'`);
        ecn = true;
      }
      if ('01234567'.includes(c)) {
        if (ecn || ace) throw this.semantic(at, `Conflicting TCP flag: '${c}'`);
        ace = true;
      }
    }
  }

  /** flags: WORD ['.'] | [WORD] FLOAT (ACE count, `.5`) | '.' | '-' */
  private flags(): { text: string; tok: Token } {
    const t = this.peek();
    if (this.accept('-')) return { text: '', tok: t };
    if (this.is('FLOAT')) return { text: this.take().text, tok: t };
    if (this.is('.')) {
      this.take();
      return { text: '.', tok: t };
    }
    if (this.is('WORD')) {
      const w = this.take().value;
      if (this.is('FLOAT')) return { text: w + this.take().text, tok: t };
      if (this.accept('.')) return { text: `${w}.`, tok: t };
      return { text: w, tok: t };
    }
    throw this.syntax("TCP flags (S . P F R - E W), 'udp' or 'icmp'");
  }

  /** seq: INTEGER ':' INTEGER '(' INTEGER ')' */
  private seq(): { seq: number; end: number; len: number } {
    const a = this.int('a sequence range start:end(length)');
    this.expect(':', "':' in start:end(length)");
    const b = this.int('the end of start:end(length)');
    this.expect('(', "'(' in start:end(length)");
    const n = this.int('the length in start:end(length)');
    this.expect(')', "')' in start:end(length)");
    if (a.num < 0 || a.num > U32) throw this.semantic(a, 'TCP start sequence number out of range');
    if (b.num < 0 || b.num > U32) throw this.semantic(b, 'TCP end sequence number out of range');
    if (n.num < 0 || n.num > U16) throw this.semantic(n, 'TCP payload size out of range');
    if (b.num !== a.num + n.num) throw this.semantic(a, 'inconsistent TCP sequence numbers and payload size');
    return { seq: a.num, end: b.num, len: n.num };
  }

  private optPorts(): { src: number; dst: number } | null {
    // opt_port_info: INTEGER '>' INTEGER (a bare INTEGER then '>' cannot start a seq)
    if (!(this.is('INTEGER') && this.is('>', 1))) return null;
    const a = this.take();
    this.take();
    const b = this.int('a destination port');
    if (a.num < 0 || a.num > U16) throw this.semantic(a, 'src port out of range');
    if (b.num < 0 || b.num > U16) throw this.semantic(b, 'dst port out of range');
    return { src: a.num, dst: b.num };
  }

  private optIpInfo(): IpInfo {
    const open = this.is('(') ? ')' : this.is('[') ? ']' : null;
    if (!open) return {};
    // '(' could also start nothing else here: ip_info is the only use of ( or [ at this point
    this.take();
    const info: IpInfo = {};
    if (this.is('FLOWLABEL')) info.flowLabel = this.flowLabel();
    else if (this.is('TTL')) {
      this.take();
      info.ttl = this.int('a TTL').num;
    } else {
      const t = this.peek();
      const s = sym(t);
      if (s === 'NO_ECN' || s === 'ECT0' || s === 'ECT1' || s === 'CE') {
        this.take();
        info.tos = { check: 'ecn', ecn: t.value as 'noecn' };
      } else if (s === 'ECT01') {
        this.take();
        info.tos = { check: 'ect01' };
      } else if (s === 'TOS') {
        this.take();
        const v = this.expect('HEX_INTEGER', 'a hex tos (tos 0x..)');
        if (v.num > 0xff) throw this.semantic(v, 'tos out of range for 8 bits');
        info.tos = { check: 'tos', value: v.num };
      } else throw this.syntax('IP info (noecn, ect0, ect1, ce, ect01, tos 0x.., flowlabel 0x.., ttl N)');
      if (this.accept(',')) info.flowLabel = this.flowLabel();
    }
    this.expect(open);
    return info;
  }

  private flowLabel(): number {
    this.expect('FLOWLABEL');
    const v = this.expect('HEX_INTEGER', 'a hex flow label');
    if (v.num > 0xfffff) throw this.semantic(v, 'flowlabel out of range for 20 bits');
    return v.num;
  }

  private tcpOption(): TcpOption {
    const t = this.peek();
    switch (sym(t)) {
      case 'NOP':
        this.take();
        return { kind: 'nop' };
      case 'EOL':
        this.take();
        return { kind: 'eol' };
      case 'MSS': {
        this.take();
        const v = this.int('an MSS value');
        if (v.num < 0 || v.num > U16) throw this.semantic(v, 'mss value out of range');
        return { kind: 'mss', value: v.num };
      }
      case 'WSCALE': {
        this.take();
        const v = this.int('a window scale shift');
        if (v.num < 0 || v.num > 0xff) throw this.semantic(v, 'window scale shift count out of range');
        return { kind: 'wscale', shift: v.num };
      }
      case 'SACKOK':
        this.take();
        return { kind: 'sackOK' };
      case 'SACK': {
        this.take();
        const blocks: [number, number][] = [];
        do {
          const a = this.int('a SACK block left:right');
          this.expect(':', "':' in a SACK block");
          const b = this.int('a SACK block right edge');
          if (a.num < 0 || a.num > U32) throw this.semantic(a, 'TCP SACK left sequence number out of range');
          if (b.num < 0 || b.num > U32) throw this.semantic(b, 'TCP SACK right sequence number out of range');
          blocks.push([a.num, b.num]);
        } while (this.is('INTEGER'));
        return { kind: 'sack', blocks };
      }
      case 'MD5': {
        this.take();
        const h = this.hexBlob(true);
        const digest = h.text;
        if (digest.length / 2 > 16) throw this.semantic(h.tok, 'TCP MD5 digest longer than 16 bytes');
        if (!/^([0-9a-fA-F]{2})*$/.test(digest)) throw this.semantic(h.tok, 'TCP MD5 digest is not a valid hex string');
        return { kind: 'md5', digest };
      }
      case 'TIMESTAMP': {
        this.take();
        this.expect('VAL', "'val' in TS val X ecr Y");
        const v = this.int('a TS val');
        this.expect('ECR', "'ecr' in TS val X ecr Y");
        const e = this.int('a TS ecr');
        if (v.num < 0 || v.num > U32) throw this.semantic(v, 'ts val out of range');
        if (e.num < 0 || e.num > U32) throw this.semantic(e, 'ecr val out of range');
        return { kind: 'ts', val: v.num, ecr: e.num };
      }
      case 'FAST_OPEN':
      case 'FAST_OPEN_EXP': {
        this.take();
        const exp = sym(t) === 'FAST_OPEN_EXP';
        const h = this.hexBlob(false);
        const cookie = h.text;
        if (cookie.length & 1) throw this.semantic(h.tok, 'TCP fast open cookie has an odd number of digits');
        // MAX_TCP_FAST_OPEN_COOKIE_BYTES: the 40 option bytes less the option's base length
        const max = exp ? 40 - 4 : 40 - 2;
        if (cookie.length / 2 > max)
          throw this.semantic(h.tok, `TCP fast open cookie of ${cookie.length / 2} bytes exceeds maximum cookie length of ${max} bytes`);
        if (!/^[0-9a-fA-F]*$/.test(cookie)) throw this.semantic(h.tok, `TCP fast open cookie '${cookie}' is not a valid hex string`);
        return { kind: exp ? 'foexp' : 'fo', cookie };
      }
      case 'ACCECN': {
        this.take();
        const names: ('e0b' | 'e1b' | 'ceb')[] = [];
        const fields: { name: 'e0b' | 'e1b' | 'ceb'; value: number }[] = [];
        const first = this.peek();
        if (!this.is('ACCECN_E0B') && !this.is('ACCECN_E1B')) throw this.syntax("'e0b' or 'e1b' after ECN");
        const order: ('e0b' | 'e1b' | 'ceb')[] = first.value === 'e0b' ? ['e0b', 'ceb', 'e1b'] : ['e1b', 'ceb', 'e0b'];
        for (const name of order) {
          if (sym(this.peek()) !== KEYWORDS[name]) break;
          this.take();
          const v = this.int('an AccECN counter');
          if (v.num < 0 || v.num > 0xffffff) throw this.semantic(v, 'TCP AccECN field value out of range');
          names.push(name);
          fields.push({ name, value: v.num });
        }
        return { kind: 'accecn', first: order[0] as 'e0b' | 'e1b', fields };
      }
      default:
        throw this.syntax('a TCP option (nop, eol, mss N, wscale N, sackOK, sack a:b, TS val X ecr Y, FO, FOEXP, md5, ECN)');
    }
  }

  /** hex_blob: WORD | INTEGER (optional for FO/FOEXP cookies). */
  private hexBlob(required: boolean): { text: string; tok: Token } {
    const t = this.peek();
    if (t.kind === 'WORD') return { text: this.take().value, tok: t };
    if (t.kind === 'INTEGER') return { text: this.take().text, tok: t };
    if (required) throw this.syntax('a hex string');
    return { text: '', tok: t };
  }

  private mplsStack(): MplsEntry[] {
    const stack: MplsEntry[] = [];
    while (this.is('(')) {
      const open = this.take();
      this.expect('LABEL');
      const label = this.int('an MPLS label').num;
      this.expect(',');
      this.expect('TC');
      const tc = this.int('an MPLS traffic class').num;
      this.expect(',');
      let bottom = false;
      if (this.accept('[')) {
        const w = this.expect('WORD', '[S]');
        this.expect(']');
        this.expect(',');
        if (w.value !== 'S') throw this.semantic(w, 'expected [S] for MPLS label stack bottom');
        bottom = true;
      }
      this.expect('TTL');
      const ttl = this.int('an MPLS TTL').num;
      this.expect(')');
      // new_mpls_stack_entry(), then mpls_stack_append() (MPLS_STACK_MAX_ENTRIES 6)
      if (label < 0 || label > 0xfffff) throw this.semantic(open, 'MPLS label out of range for 20 bits');
      if (tc < 0 || tc > 7) throw this.semantic(open, 'MPLS traffic_class out of range for 3 bits');
      if (ttl < 0 || ttl > 255) throw this.semantic(open, 'MPLS ttl out of range for 8 bits');
      if (stack.length >= 6) throw this.semantic(open, 'too many MPLS labels');
      stack.push({ label, tc, bottom, ttl });
    }
    return stack;
  }

  /** gre_header_expression: flags [..]|N, sum N, off N, key [=] N, seq N (commas optional). */
  private greHeader(at: Loc): Expr {
    this.expect('FLAGS', "'flags'");
    let flags = 0;
    if (this.accept('[')) {
      do {
        if (this.accept('NONE')) flags |= 0;
        else if (this.accept('CHECKSUM')) {
          this.expect('PRESENT');
          flags |= 0x8000;
        } else if (this.accept('KEY')) {
          this.expect('PRESENT');
          flags |= 0x2000;
        } else if (this.accept('SEQUENCE')) {
          this.expect('PRESENT');
          flags |= 0x1000;
        } else throw this.syntax('a GRE flag (none, checksum present, key present, sequence# present)');
      } while (this.accept(','));
      this.expect(']');
    } else flags = this.anyInt().num;
    this.accept(',');
    this.expect('SUM');
    const sum = this.anyInt().num;
    this.accept(',');
    this.expect('OFF');
    const off = this.anyInt().num;
    this.accept(',');
    this.expect('KEY');
    this.accept('=');
    const key = this.anyInt().num;
    this.accept(',');
    this.expect('SEQ');
    const seq = this.anyInt().num;
    return { kind: 'gre', flags, sum, off, key, seq, line: at.line, col: at.col };
  }

  private anyInt(): Token {
    if (this.is('INTEGER') || this.is('HEX_INTEGER')) return this.take();
    throw this.syntax('an integer');
  }

  // ── system calls ──
  private syscall(): SyscallSpec {
    let endUsecs: number | null = null;
    if (this.accept('ELLIPSIS')) endUsecs = this.time();
    const name = this.expect('WORD', 'a system call name').value;
    this.expect('(', `'(' after ${name}`);
    const args: Expr[] = [];
    if (!this.accept(')')) {
      args.push(this.expression());
      while (this.accept(',')) args.push(this.expression());
      this.expect(')', "',' or ')' in the argument list");
    }
    this.expect('=', "'=' and the expected return value");
    const result = this.expression();
    let errno: SyscallSpec['errno'] = null;
    if (this.is('WORD')) {
      const e = this.take().value;
      errno = { name: e, text: this.note() };
    }
    const note = this.is('(') ? this.note() : null;
    return { kind: 'syscall', name, args, endUsecs, result, errno, note };
  }

  /** note: '(' word_list ')', word_list: WORD | FLAGS | word_list WORD */
  private note(): string {
    this.expect('(', "'(' and the error text, e.g. EAGAIN (Resource temporarily unavailable)");
    const words: string[] = [];
    if (this.is('FLAGS')) {
      this.take();
      words.push('flags');
    } else words.push(this.expect('WORD', 'words of the error text').value);
    while (this.is('WORD')) words.push(this.take().value);
    this.expect(')', "')' closing the error text (only plain words may appear in it)");
    return words.join(' ');
  }

  /**
   * expression, with binary '|' (bison shifts on the conflict, so `a | b | c` nests to the
   * right) and `WORD = expression`.
   */
  private expression(): Expr {
    const lhs = this.primary();
    if (this.is('|')) {
      const op = this.take();
      const rhs = this.expression();
      return { kind: 'binary', op: '|', lhs, rhs, line: op.line, col: op.col };
    }
    return lhs;
  }

  private primary(): Expr {
    const t = this.peek();
    const at = { line: t.line, col: t.col };
    switch (sym(t)) {
      case 'ELLIPSIS':
        this.take();
        return { kind: 'ellipsis', ...at };
      case 'INTEGER':
        this.take();
        return { kind: 'int', value: t.num, hex: false, ...at };
      case 'HEX_INTEGER':
        this.take();
        return { kind: 'int', value: t.num, hex: true, ...at };
      case 'WORD': {
        this.take();
        if (this.is('=')) {
          const eq = this.take();
          const rhs = this.expression();
          return { kind: 'binary', op: '=', lhs: { kind: 'word', name: t.value, ...at }, rhs, line: eq.line, col: eq.col };
        }
        return { kind: 'word', name: t.value, ...at };
      }
      case 'STRING': {
        this.take();
        let e: Expr = { kind: 'string', value: t.value, ellipsis: false, ...at };
        if (this.accept('ELLIPSIS')) return { kind: 'string', value: t.value, ellipsis: true, ...at };
        while (this.is('STRING')) {
          const s = this.take();
          e = { kind: 'binary', op: '.', lhs: e, rhs: { kind: 'string', value: s.value, ellipsis: false, line: s.line, col: s.col }, ...at };
        }
        return e;
      }
      case '[': {
        this.take();
        const items: Expr[] = [];
        if (!this.accept(']')) {
          items.push(this.expression());
          while (this.accept(',')) items.push(this.expression());
          this.expect(']', "',' or ']' in the array");
        }
        return { kind: 'list', items, braces: false, ...at };
      }
      case 'INET_ADDR': {
        this.take();
        this.expect('(');
        const s = this.expect('STRING', 'a quoted address');
        this.expect(')');
        return { kind: 'int', value: inetAddr(s.value), hex: true, ...at };
      }
      case 'INET6_ADDR': {
        this.take();
        this.expect('(');
        const s = this.expect('STRING', 'a quoted IPv6 address');
        this.expect(')');
        if (!isIpv6(s.value)) throw this.semantic(s, 'cannot parse in6_addr');
        return { kind: 'in6addr', addr: s.value, ...at };
      }
      case '{':
        return this.braced();
      default:
        throw this.syntax('an expression (..., a number, a name, "string", [array] or {struct})');
    }
  }

  /** The '{' ... '}' forms of parser.y, told apart by the token after the brace. */
  private braced(): Expr {
    const open = this.take();
    const at = { line: open.line, col: open.col };
    const kw = sym(this.peek());
    const field = (name: string) => {
      this.expect(name, `'${name.toLowerCase()}'`);
      this.expect('=', `'=' after ${name.toLowerCase()}`);
    };
    switch (kw) {
      case 'SA_FAMILY': {
        field('SA_FAMILY');
        const fam = this.expect('WORD', 'AF_INET or AF_INET6');
        this.expect(',');
        field('SIN_PORT');
        this.expect('_HTONS_', "htons(port)");
        this.expect('(');
        const port = this.int('a port');
        this.expect(')');
        this.expect(',');
        field('SIN_ADDR');
        this.expect('INET_ADDR', 'inet_addr("...")');
        this.expect('(');
        const addr = this.expect('STRING', 'a quoted address');
        this.expect(')');
        this.expect('}');
        if (fam.value === 'AF_INET' && !isIpv4(addr.value)) throw this.semantic(addr, 'invalid IPv4 address');
        if (fam.value === 'AF_INET6' && !isIpv6(addr.value)) throw this.semantic(addr, 'invalid IPv6 address');
        return { kind: 'sockaddr', family: fam.value, port: port.num, addr: addr.value, ...at };
      }
      case 'MSG_NAME': {
        this.take();
        this.expect('(');
        this.expect('ELLIPSIS');
        this.expect(')');
        this.expect('=');
        this.expect('ELLIPSIS');
        this.expect(',');
        this.expect('MSG_IOV', "'msg_iov'");
        this.expect('(');
        const n = this.int('the iov count');
        const iovlen: Expr = { kind: 'int', value: n.num, hex: false, line: n.line, col: n.col };
        this.expect(')');
        this.expect('=');
        if (!this.is('[')) throw this.syntax('an array of iovecs');
        const iov = this.primary();
        this.expect(',');
        field('MSG_FLAGS');
        const flags = this.expression();
        let control: Expr | null = null;
        if (this.accept(',')) {
          field('MSG_CONTROL');
          if (!this.is('[')) throw this.syntax('an array of cmsgs');
          control = this.primary();
        }
        this.expect('}');
        return { kind: 'msghdr', iovlen, iov, flags, control, ...at };
      }
      case 'CMSG_LEVEL': {
        field('CMSG_LEVEL');
        const level = this.expression();
        this.expect(',');
        field('CMSG_TYPE');
        const type = this.expression();
        this.expect(',');
        field('CMSG_DATA');
        const data = this.expression();
        this.expect('}');
        return { kind: 'cmsg', level, type, data, ...at };
      }
      case 'SCM_SEC': {
        field('SCM_SEC');
        const sec = this.int('seconds').num;
        this.expect(',');
        field('SCM_NSEC');
        const nsec = this.int('nanoseconds').num;
        this.expect('}');
        return { kind: 'scm_timestamping', sec, nsec, ...at };
      }
      case 'EE_ERRNO': {
        const vals: Expr[] = [];
        for (const f of ['EE_ERRNO', 'EE_ORIGIN', 'EE_TYPE', 'EE_CODE', 'EE_INFO', 'EE_DATA']) {
          if (f !== 'EE_ERRNO') this.expect(',');
          field(f);
          vals.push(this.expression());
        }
        this.expect('}');
        const [errno, origin, type, code, info, data] = vals;
        return { kind: 'sock_extended_err', errno, origin, type, code, info, data, ...at };
      }
      case 'FD': {
        field('FD');
        const fd = this.expression();
        this.expect(',');
        field('EVENTS');
        const events = this.expression();
        let revents: Expr | null = null;
        if (this.accept(',')) {
          field('REVENTS');
          revents = this.expression();
        }
        this.expect('}');
        return { kind: 'pollfd', fd, events, revents, ...at };
      }
      case 'EVENTS': {
        field('EVENTS');
        const events = this.expression();
        this.expect(',');
        const f = sym(this.peek());
        if (f !== 'FD' && f !== 'PTR' && f !== 'U32' && f !== 'U64') throw this.syntax("'fd', 'ptr', 'u32' or 'u64'");
        const name = this.take().value as 'fd' | 'ptr' | 'u32' | 'u64';
        this.expect('=');
        const value = this.expression();
        this.expect('}');
        return { kind: 'epollev', events, field: name, value, ...at };
      }
      case 'ONOFF': {
        field('ONOFF');
        const onoff = this.int('0 or 1').num;
        this.expect(',');
        field('LINGER');
        const linger = this.int('seconds').num;
        this.expect('}');
        return { kind: 'linger', onoff, linger, ...at };
      }
      case 'FLAGS': {
        const g = this.greHeader(at);
        this.expect('}');
        return g;
      }
      case '(':
      case '}': {
        const stack = this.mplsStack();
        this.expect('}');
        return { kind: 'mpls_stack', stack, ...at };
      }
      case 'ELLIPSIS': {
        // iovec: '{' ELLIPSIS ',' decimal_integer '}' (bison shifts: it wins over a list)
        if (this.is(',', 1) && this.is('INTEGER', 2) && this.is('}', 3)) {
          this.take();
          this.take();
          const n = this.take();
          this.take();
          return { kind: 'iovec', len: { kind: 'int', value: n.num, hex: false, line: n.line, col: n.col }, ...at };
        }
        break;
      }
    }
    const items: Expr[] = [this.expression()];
    while (this.accept(',')) items.push(this.expression());
    this.expect('}', "',' or '}'");
    return { kind: 'list', items, braces: true, ...at };
  }
}

function describe(s: string): string {
  if (s.length === 1) return `'${s}'`;
  const kw = Object.entries(KEYWORDS).find(([, v]) => v === s);
  if (kw) return `'${kw[0]}'`;
  return s.toLowerCase().replace(/_/g, ' ');
}

function isIpv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return !!m && m.slice(1).every((x) => Number(x) <= 255);
}

function isIpv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const parts = (x: string) => (x === '' ? [] : x.split(':'));
  const groups = [...parts(dbl[0]), ...(dbl.length === 2 ? parts(dbl[1]) : [])];
  let n = 0;
  for (const [i, g] of groups.entries()) {
    if (g.includes('.')) {
      if (i !== groups.length - 1 || !isIpv4(g)) return false;
      n += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) n++;
    else return false;
  }
  return dbl.length === 2 ? n < 8 : n === 8;
}

/** inet_addr(): the address in network byte order as a host integer would read it (here: the u32 value). */
function inetAddr(s: string): number {
  if (!isIpv4(s)) return 0xffffffff; // INADDR_NONE
  return s.split('.').reduce((a, x) => a * 256 + Number(x), 0);
}

/** Parse a whole script. Throws PacketdrillError (file:line:col) on any error in it. */
export function parseScript(src: string, file: string, o: ParseOptions = {}): Script {
  const defines = new Map<string, string>(o.defines instanceof Map ? o.defines : Object.entries(o.defines ?? {}));
  const p = new Parser(src, file, defines);
  try {
    return p.parseScript();
  } catch (e) {
    if (e instanceof PacketdrillError) throw e;
    // a bug, not an input error: still one located line
    throw new PacketdrillError(file, 1, 1, `internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The -D definitions ksft_runner.sh passes for IPv4. */
export const KSFT_IPV4_DEFINES: Record<string, string> = {
  TFO_COOKIE: '3021b9d889017eeb',
  TFO_COOKIE_ZERO: 'b7c12350a90dc8f5',
  CMSG_LEVEL_IP: 'SOL_IP',
  CMSG_TYPE_RECVERR: 'IP_RECVERR',
};
