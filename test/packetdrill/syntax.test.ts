/**
 * Every production of packetdrill's grammar as the tool's syntax.md lists it (the bison output
 * of parser.y, ../shared/peer-suites/packetdrill-tool/syntax.md), each with a script that uses it
 * and a check of what the parser built from it. The table below names the productions each
 * example exercises; a test reads syntax.md and fails if any of its productions has no example
 * (or if the table names one syntax.md does not have), so the coverage cannot drift from the
 * grammar. Constructs parser.y gained after syntax.md was written (AccECN, PSP, `ttl`) are in
 * parse.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Action, Expr, PacketSpec, Script, SyscallSpec } from '../../src/packetdrill/ast.ts';
import { parseScript } from '../../src/packetdrill/parse.ts';

const SYNTAX = new URL('../../../shared/peer-suites/packetdrill-tool/syntax.md', import.meta.url).pathname;

const script = (src: string): Script => parseScript(src, 't.pkt');
const action = (line: string): Action => script(`0 ${line}\n`).events[0].action;
const pkt = (line: string): PacketSpec => action(line) as PacketSpec;
const call = (line: string): SyscallSpec => action(line) as SyscallSpec;
/** The first argument of `f(ARG) = 0`. */
const arg = (src: string): Expr => call(`f(${src}) = 0`).args[0];
/** The value of the last `--NAME=...` of a script's header. */
const optValue = (opts: string): string | null => script(`${opts}\n0 close(3) = 0\n`).options.at(-1)!.value;

interface Example {
  /** The productions of syntax.md this example exercises, exactly as syntax.md writes them. */
  rules: string[];
  /** What the parser must build (a failing expect throws). */
  check: () => void;
}

const examples: Example[] = [
  // ── script structure ──
  {
    rules: [
      '$accept: script $end', 'script: opt_options opt_init_command events opt_cleanup_command', 'opt_options: options',
      'options: option', 'options: options option', 'option: option_flag \'=\' option_value', 'option: option_flag',
      'option_flag: OPTION', 'opt_init_command: init_command', 'init_command: command_spec', 'events: event',
      'events: events event', 'opt_cleanup_command: cleanup_command', 'cleanup_command: command_spec', 'command_spec: BACK_QUOTED',
    ],
    check: () => {
      const s = script('--mss=1000 --send_omit_free\n`./defaults.sh`\n0 close(3) = 0\n+0 close(4) = 0\n`echo done`\n');
      expect(s.options.map((o) => [o.name, o.value])).toEqual([['mss', '1000'], ['send_omit_free', null]]);
      expect(s.initCommand).toMatchObject({ command: './defaults.sh', line: 2 });
      expect(s.events.map((e) => (e.action as SyscallSpec).name)).toEqual(['close', 'close']);
      expect(s.cleanupCommand).toMatchObject({ command: 'echo done', line: 5 });
      // $end: nothing may follow the cleanup command
      expect(() => script('0 close(3) = 0\n`a`\n+0 close(3) = 0\n')).toThrow("t.pkt:3:1: parse error at '+': syntax error, expected end of script after the cleanup command");
    },
  },
  {
    rules: ['opt_options: %empty', 'opt_init_command: %empty', 'opt_cleanup_command: %empty'],
    check: () => {
      const s = script('0 close(3) = 0\n');
      expect([s.options, s.initCommand, s.cleanupCommand, s.events.length]).toEqual([[], null, null, 1]);
    },
  },
  {
    rules: [
      'option_value: INTEGER', 'option_value: WORD', 'option_value: STRING', 'option_value: IPV4_ADDR', 'option_value: IPV6_ADDR',
      'option_value: IPV4', 'option_value: IPV6', 'option_value: WORD \'=\' WORD', 'option_value: WORD \'=\' STRING',
      'option_value: WORD \'=\' BACK_QUOTED',
    ],
    check: () => {
      expect(optValue('--tolerance_usecs=14000')).toBe('14000');
      expect(optValue('--code_format=python')).toBe('python');
      expect(optValue('--code_command="python3 -"')).toBe('python3 -');
      expect(optValue('--local_ip=192.168.0.1')).toBe('192.168.0.1');
      expect(optValue('--ip_version=ipv6 --remote_ip=fd3d:fa7b:d17d::1')).toBe('fd3d:fa7b:d17d::1');
      expect(optValue('--ip_version=ipv4')).toBe('ipv4');
      expect(optValue('--ip_version=ipv6')).toBe('ipv6');
      expect(optValue('--define=PROTO=IPPROTO_TCP')).toBe('PROTO=IPPROTO_TCP');
      expect(optValue('--define=MSG="hello"')).toBe('MSG="hello"');
      expect(optValue('--define=CMD=`true`')).toBe('CMD=`true`');
    },
  },
  // ── events and times ──
  {
    rules: [
      'event: event_time action', 'event_time: \'+\' time', 'event_time: time', 'event_time: \'*\'', 'event_time: time \'~\' time',
      'event_time: \'+\' time \'~\' \'+\' time', 'time: FLOAT', 'time: INTEGER',
    ],
    check: () => {
      const s = script('0 close(3) = 0\n+0.25 close(3) = 0\n1 close(3) = 0\n* > . 1:1(0)\n2~2.5 > . 1:1(0)\n+0.1~+0.3 > . 1:1(0)\n');
      expect(s.events.map((e) => e.time)).toEqual([
        { kind: 'absolute', usecs: 0 }, { kind: 'relative', usecs: 250_000 }, { kind: 'absolute', usecs: 1_000_000 }, { kind: 'any' },
        { kind: 'absolute-range', usecs: 2_000_000, endUsecs: 2_500_000 }, { kind: 'relative-range', usecs: 100_000, endUsecs: 300_000 },
      ]);
      expect(s.events.map((e) => [e.line, e.col])).toEqual([[1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 1]]);
    },
  },
  {
    rules: ['action: packet_spec', 'action: syscall_spec', 'action: command_spec', 'action: code_spec', 'code_spec: CODE'],
    check: () => {
      const s = script('0 < S 0:0(0) win 1000\n+0 close(3) = 0\n+0 `sysctl -q net.ipv4.tcp_sack=0`\n+0 %{ assert tcpi_ca_state == 0 }%\n');
      expect(s.events.map((e) => e.action.kind)).toEqual(['packet', 'syscall', 'command', 'code']);
      expect(s.events[2].action).toEqual({ kind: 'command', command: 'sysctl -q net.ipv4.tcp_sack=0' });
      expect(s.events[3].action).toEqual({ kind: 'code', text: 'assert tcpi_ca_state == 0' });
    },
  },
  // ── packets ──
  {
    rules: [
      'packet_spec: tcp_packet_spec', 'tcp_packet_spec: packet_prefix opt_ip_info opt_port_info flags seq opt_ack opt_window opt_urg_ptr opt_tcp_options',
      'packet_prefix: direction', 'direction: \'<\'', 'direction: \'>\'', 'opt_ip_info: %empty', 'opt_port_info: %empty',
      'opt_ack: %empty', 'opt_window: %empty', 'opt_urg_ptr: %empty', 'opt_tcp_options: %empty',
    ],
    check: () => {
      expect(pkt('< . 1:1(0) win 10')).toMatchObject({ direction: 'inbound', proto: 'tcp', layers: [], ipInfo: {}, ports: null });
      expect(pkt('> . 1:1(0)')).toMatchObject({ direction: 'outbound', tcp: { flags: '.', ack: 0, win: null, urg: 0, options: [] } });
    },
  },
  {
    rules: ['seq: INTEGER \':\' INTEGER \'(\' INTEGER \')\'', 'opt_ack: ACK INTEGER', 'opt_window: WIN INTEGER', 'opt_urg_ptr: URG INTEGER'],
    check: () => {
      expect(pkt('< P. 1001:2001(1000) ack 4294967295 win 65535 urg 7').tcp).toMatchObject({ seq: 1001, end: 2001, len: 1000, ack: 4294967295, win: 65535, urg: 7 });
    },
  },
  {
    rules: ['flags: WORD', 'flags: \'.\'', 'flags: WORD \'.\'', 'flags: \'-\''],
    check: () => {
      expect(['> S 0:0(0)', '> . 1:1(0)', '> FP. 1:1(0)', '< - 1:1(0) win 1'].map((l) => pkt(l).tcp!.flags)).toEqual(['S', '.', 'FP.', '']);
    },
  },
  {
    rules: ['opt_port_info: INTEGER \'>\' INTEGER'],
    check: () => expect(pkt('< 40000 > 8080 S 0:0(0) win 1').ports).toEqual({ src: 40000, dst: 8080 }),
  },
  {
    rules: [
      'opt_ip_info: \'(\' ip_info \')\'', 'opt_ip_info: \'[\' ip_info \']\'', 'ip_info: tos_spec', 'ip_info: flow_label',
      'ip_info: TTL INTEGER', 'ip_info: tos_spec \',\' flow_label', 'tos_spec: ip_ecn', 'tos_spec: ECT01', 'tos_spec: TOS HEX_INTEGER',
      'ip_ecn: NO_ECN', 'ip_ecn: ECT0', 'ip_ecn: ECT1', 'ip_ecn: CE', 'flow_label: FLOWLABEL HEX_INTEGER',
    ],
    check: () => {
      const info = (l: string) => pkt(l).ipInfo;
      expect(info('< (noecn) . 1:1(0) win 1')).toEqual({ tos: { check: 'ecn', ecn: 'noecn' } });
      expect(info('< [ect0] . 1:1(0) win 1')).toEqual({ tos: { check: 'ecn', ecn: 'ect0' } });
      expect(info('< [ect1] . 1:1(0) win 1')).toEqual({ tos: { check: 'ecn', ecn: 'ect1' } });
      expect(info('< [ce] . 1:1(0) win 1')).toEqual({ tos: { check: 'ecn', ecn: 'ce' } });
      expect(info('> [ect01] . 1:1(0)')).toEqual({ tos: { check: 'ect01' } });
      expect(info('> (tos 0x2) . 1:1(0)')).toEqual({ tos: { check: 'tos', value: 2 } });
      expect(info('> (flowlabel 0xfffff) . 1:1(0)')).toEqual({ flowLabel: 0xfffff });
      expect(info('> (ttl 255) . 1:1(0)')).toEqual({ ttl: 255 });
      expect(info('> [ect0, flowlabel 0x1] . 1:1(0)')).toEqual({ tos: { check: 'ecn', ecn: 'ect0' }, flowLabel: 1 });
    },
  },
  {
    rules: [
      'opt_tcp_options: \'<\' tcp_option_list \'>\'', 'opt_tcp_options: \'<\' ELLIPSIS \'>\'', 'tcp_option_list: tcp_option',
      'tcp_option_list: tcp_option_list \',\' tcp_option', 'tcp_option: NOP', 'tcp_option: EOL', 'tcp_option: MSS INTEGER',
      'tcp_option: WSCALE INTEGER', 'tcp_option: SACKOK', 'tcp_option: TIMESTAMP VAL INTEGER ECR INTEGER',
    ],
    check: () => {
      expect(pkt('> S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>').tcp!.options).toEqual([
        { kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 100, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 },
      ]);
      expect(pkt('> S 0:0(0) <eol,eol,eol,eol>').tcp!.options).toEqual(Array(4).fill({ kind: 'eol' }));
      expect(pkt('> S 0:0(0) <...>').tcp!.options).toBeNull();
    },
  },
  {
    rules: ['tcp_option: SACK sack_block_list', 'sack_block_list: sack_block', 'sack_block_list: sack_block_list sack_block', 'sack_block: INTEGER \':\' INTEGER'],
    check: () => {
      expect(pkt('< . 1:1(0) ack 1 win 1 <nop,nop,sack 1001:2001>').tcp!.options![2]).toEqual({ kind: 'sack', blocks: [[1001, 2001]] });
      expect(pkt('< . 1:1(0) ack 1 win 1 <nop,nop,sack 1:2 3:4 5:6>').tcp!.options![2]).toEqual({ kind: 'sack', blocks: [[1, 2], [3, 4], [5, 6]] });
    },
  },
  {
    rules: [
      'tcp_option: MD5 hex_blob', 'tcp_option: FAST_OPEN opt_tcp_fast_open_cookie', 'tcp_option: FAST_OPEN_EXP opt_tcp_fast_open_cookie',
      'opt_tcp_fast_open_cookie: %empty', 'opt_tcp_fast_open_cookie: hex_blob', 'hex_blob: WORD', 'hex_blob: INTEGER',
    ],
    check: () => {
      const first = (l: string) => pkt(l).tcp!.options![0];
      expect(first('> S 0:0(0) <md5 000102030405060708090a0b0c0d0e0f,nop,nop>')).toEqual({ kind: 'md5', digest: '000102030405060708090a0b0c0d0e0f' });
      expect(first('> S 0:0(0) <FO,nop,nop>')).toEqual({ kind: 'fo', cookie: '' });
      expect(first('> S 0:0(0) <FO abcd>')).toEqual({ kind: 'fo', cookie: 'abcd' });
      expect(first('> S 0:0(0) <FOEXP 12345678>')).toEqual({ kind: 'foexp', cookie: '12345678' });
    },
  },
  {
    rules: ['packet_spec: udp_packet_spec', 'udp_packet_spec: packet_prefix opt_ip_info UDP opt_port_info \'(\' INTEGER \')\''],
    check: () => {
      expect(pkt('< udp (1472)')).toMatchObject({ proto: 'udp', udp: { len: 1472 }, ports: null });
      expect(pkt('> [ect01] udp 5000 > 53 (8)')).toMatchObject({ ipInfo: { tos: { check: 'ect01' } }, ports: { src: 5000, dst: 53 }, udp: { len: 8 } });
    },
  },
  {
    rules: [
      'packet_spec: icmp_packet_spec',
      'icmp_packet_spec: packet_prefix opt_ip_info ICMP icmp_type opt_icmp_code opt_icmp_mtu opt_icmp_echo_id opt_icmp_echoed',
      'icmp_type: WORD', 'opt_icmp_code: %empty', 'opt_icmp_code: WORD', 'opt_icmp_mtu: %empty', 'opt_icmp_mtu: MTU INTEGER',
      'opt_icmp_echo_id: %empty', 'opt_icmp_echo_id: ID INTEGER', 'opt_icmp_echoed: %empty', 'opt_icmp_echoed: \'[\' UDP \'(\' INTEGER \')\' \']\'',
      'opt_icmp_echoed: \'[\' seq \']\'', 'opt_icmp_echoed: \'[\' RAW \'(\' INTEGER \')\' \']\'',
    ],
    check: () => {
      expect(pkt('< icmp unreachable frag_needed mtu 1200 [1:1461(1460)]').icmp).toEqual({
        type: 'unreachable', code: 'frag_needed', mtu: 1200, echoId: 0, echoed: { proto: 'tcp', seq: 1, end: 1461, len: 1460 },
      });
      expect(pkt('> icmp echo_reply').icmp).toEqual({ type: 'echo_reply', code: null, mtu: null, echoId: 0, echoed: null });
      expect(pkt('< icmp echo_request id 9 [udp (20)]').icmp).toMatchObject({ echoId: 9, echoed: { proto: 'udp', len: 20 } });
      expect(pkt('< icmp unreachable port_unreachable [raw (12)]').icmp).toMatchObject({ code: 'port_unreachable', echoed: { proto: 'raw', len: 12 } });
    },
  },
  // ── encapsulation ──
  {
    rules: [
      'packet_prefix: packet_prefix IPV4 opt_ip_info IPV4_ADDR \'>\' IPV4_ADDR \':\'',
      'packet_prefix: packet_prefix IPV6 opt_ip_info IPV6_ADDR \'>\' IPV6_ADDR \':\'', 'packet_prefix: packet_prefix GRE \':\'',
    ],
    check: () => {
      expect(pkt('< ipv4 192.0.2.2 > 192.168.0.1: gre: . 1:1(0) win 1').layers).toEqual([
        { kind: 'ipv4', ipInfo: {}, src: '192.0.2.2', dst: '192.168.0.1' }, { kind: 'gre', header: null },
      ]);
      expect(pkt('> ipv6 (flowlabel 0x2) fd00::1 > fd00::2: gre: . 1:1(0)').layers[0]).toEqual({ kind: 'ipv6', ipInfo: { flowLabel: 2 }, src: 'fd00::1', dst: 'fd00::2' });
    },
  },
  {
    rules: [
      'packet_prefix: packet_prefix GRE opt_comma gre_header_expression \':\'',
      'gre_header_expression: gre_flags_list opt_comma gre_sum opt_comma gre_off opt_comma gre_key opt_comma gre_seq',
      'gre_flags_list: FLAGS \'[\' gre_flags \']\'', 'gre_flags_list: FLAGS any_int', 'gre_flags: gre_flag', 'gre_flags: gre_flag \',\' gre_flags',
      'gre_flag: NONE', 'gre_flag: CHECKSUM PRESENT', 'gre_flag: KEY PRESENT', 'gre_flag: SEQUENCE PRESENT', 'gre_sum: SUM any_int',
      'gre_off: OFF any_int', 'gre_key: KEY opt_equals any_int', 'gre_seq: SEQ any_int', 'opt_comma: %empty', 'opt_comma: \',\'',
      'opt_equals: %empty', 'opt_equals: \'=\'',
    ],
    check: () => {
      const gre = (l: string) => (pkt(l).layers[0] as { header: Expr }).header;
      expect(gre('< gre, flags [checksum present, key present, sequence# present], sum 0x1, off 0, key=7, seq 9: . 1:1(0) win 1')).toMatchObject({
        kind: 'gre', flags: 0xb000, sum: 1, off: 0, key: 7, seq: 9,
      });
      expect(gre('< gre flags [none] sum 0 off 0 key 0x10 seq 0: . 1:1(0) win 1')).toMatchObject({ flags: 0, key: 16 });
      expect(gre('< gre flags 0x2000 sum 0 off 0 key 5 seq 0: . 1:1(0) win 1')).toMatchObject({ flags: 0x2000, key: 5 });
    },
  },
  {
    rules: [
      'packet_prefix: packet_prefix MPLS mpls_stack \':\'', 'mpls_stack: %empty', 'mpls_stack: mpls_stack mpls_stack_entry',
      'mpls_stack_entry: \'(\' LABEL INTEGER \',\' TC INTEGER \',\' opt_mpls_stack_bottom TTL INTEGER \')\'', 'opt_mpls_stack_bottom: %empty',
      'opt_mpls_stack_bottom: \'[\' WORD \']\' \',\'',
    ],
    check: () => {
      expect(pkt('< mpls (label 100, tc 1, ttl 64) (label 200, tc 0, [S], ttl 63): . 1:1(0) win 1').layers).toEqual([
        { kind: 'mpls', stack: [{ label: 100, tc: 1, bottom: false, ttl: 64 }, { label: 200, tc: 0, bottom: true, ttl: 63 }] },
      ]);
      expect(pkt('< mpls: . 1:1(0) win 1').layers).toEqual([{ kind: 'mpls', stack: [] }]);
    },
  },
  // ── system calls ──
  {
    rules: [
      'syscall_spec: opt_end_time function_name function_arguments \'=\' expression opt_errno opt_note', 'opt_end_time: %empty',
      'opt_end_time: ELLIPSIS time', 'function_name: WORD', 'function_arguments: \'(\' \')\'', 'function_arguments: \'(\' expression_list \')\'',
      'expression_list: expression', 'expression_list: expression_list \',\' expression', 'opt_errno: %empty', 'opt_note: %empty',
    ],
    check: () => {
      expect(call('getpid() = 7')).toEqual({ kind: 'syscall', name: 'getpid', args: [], endUsecs: null, result: expect.objectContaining({ kind: 'int', value: 7 }), errno: null, note: null });
      expect(call('...0.011 accept(3, ..., ...) = 4')).toMatchObject({ name: 'accept', endUsecs: 11_000, args: [{ kind: 'int', value: 3 }, { kind: 'ellipsis' }, { kind: 'ellipsis' }] });
      expect(call('close(3) = 0').args).toHaveLength(1);
    },
  },
  {
    rules: ['opt_errno: WORD note', 'opt_note: note', 'note: \'(\' word_list \')\'', 'word_list: WORD', 'word_list: FLAGS', 'word_list: word_list WORD'],
    check: () => {
      expect(call('read(3, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)')).toMatchObject({ errno: { name: 'EAGAIN', text: 'Resource temporarily unavailable' }, note: null });
      expect(call('read(3, ..., 10) = -1 EAGAIN (unavailable)')).toMatchObject({ errno: { name: 'EAGAIN', text: 'unavailable' } });
      expect(call('fcntl(3, F_GETFL) = 2 (flags O_RDWR)').note).toBe('flags O_RDWR');
      expect(call('fcntl(3, F_GETFL) = 2 (flags)').note).toBe('flags');
      expect(call('write(3, ..., 10) = -1 EPIPE (Broken pipe) (after the FIN)')).toMatchObject({ errno: { text: 'Broken pipe' }, note: 'after the FIN' });
    },
  },
  // ── expressions ──
  {
    rules: [
      'expression: ELLIPSIS', 'expression: any_int', 'expression: WORD', 'expression: STRING', 'expression: STRING ELLIPSIS',
      'any_int: decimal_integer', 'any_int: hex_integer', 'decimal_integer: INTEGER', 'hex_integer: HEX_INTEGER',
    ],
    check: () => {
      expect(arg('...')).toMatchObject({ kind: 'ellipsis' });
      expect(arg('-1')).toMatchObject({ kind: 'int', value: -1, hex: false });
      expect(arg('0x7f')).toMatchObject({ kind: 'int', value: 127, hex: true });
      expect(arg('TCP_NODELAY')).toMatchObject({ kind: 'word', name: 'TCP_NODELAY' });
      expect(arg('"cubic"')).toMatchObject({ kind: 'string', value: 'cubic', ellipsis: false });
      expect(arg('"cub"...')).toMatchObject({ kind: 'string', value: 'cub', ellipsis: true });
    },
  },
  {
    rules: ['expression: binary_expression', 'binary_expression: expression \'|\' expression', 'binary_expression: WORD \'=\' expression'],
    check: () => {
      expect(arg('SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC')).toMatchObject({
        kind: 'binary', op: '|', lhs: { name: 'SOCK_STREAM' }, rhs: { kind: 'binary', op: '|', lhs: { name: 'SOCK_NONBLOCK' }, rhs: { name: 'SOCK_CLOEXEC' } },
      });
      expect(arg('tcpi_state=TCP_ESTABLISHED')).toMatchObject({ kind: 'binary', op: '=', lhs: { name: 'tcpi_state' }, rhs: { name: 'TCP_ESTABLISHED' } });
    },
  },
  {
    rules: ['expression: array', 'array: \'[\' \']\'', 'array: \'[\' expression_list \']\'', 'expression: sub_expr_list', 'sub_expr_list: \'{\' expression_list \'}\''],
    check: () => {
      expect(arg('[]')).toMatchObject({ kind: 'list', items: [], braces: false });
      expect(arg('[1, 0x2]')).toMatchObject({ kind: 'list', items: [{ value: 1 }, { value: 2, hex: true }], braces: false });
      expect(arg('{1, X}')).toMatchObject({ kind: 'list', items: [{ value: 1 }, { name: 'X' }], braces: true });
    },
  },
  {
    rules: ['expression: inaddr', 'inaddr: INET_ADDR \'(\' STRING \')\'', 'expression: in6addr', 'in6addr: INET6_ADDR \'(\' STRING \')\''],
    check: () => {
      expect(arg('inet_addr("192.0.2.1")')).toMatchObject({ kind: 'int', value: 0xc0000201 });
      expect(arg('inet6_addr("fd3d::1")')).toMatchObject({ kind: 'in6addr', addr: 'fd3d::1' });
    },
  },
  {
    rules: [
      'expression: sockaddr',
      'sockaddr: \'{\' SA_FAMILY \'=\' WORD \',\' SIN_PORT \'=\' _HTONS_ \'(\' INTEGER \')\' \',\' SIN_ADDR \'=\' INET_ADDR \'(\' STRING \')\' \'}\'',
    ],
    check: () => {
      expect(arg('{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}')).toMatchObject({
        kind: 'sockaddr', family: 'AF_INET', port: 8080, addr: '192.0.2.1',
      });
    },
  },
  {
    rules: [
      'expression: msghdr',
      'msghdr: \'{\' MSG_NAME \'(\' ELLIPSIS \')\' \'=\' ELLIPSIS \',\' MSG_IOV \'(\' decimal_integer \')\' \'=\' array \',\' MSG_FLAGS \'=\' expression opt_cmsg \'}\'',
      'opt_cmsg: %empty', 'opt_cmsg: \',\' MSG_CONTROL \'=\' array', 'expression: iovec', 'iovec: \'{\' ELLIPSIS \',\' decimal_integer \'}\'',
      'expression: cmsg_expr', 'cmsg_expr: \'{\' CMSG_LEVEL \'=\' expression \',\' CMSG_TYPE \'=\' expression \',\' CMSG_DATA \'=\' expression \'}\'',
    ],
    check: () => {
      expect(arg('{msg_name(...)=..., msg_iov(2)=[{..., 10}, {..., 20}], msg_flags=0}')).toMatchObject({
        kind: 'msghdr', iovlen: { value: 2 }, iov: { items: [{ kind: 'iovec', len: { value: 10 } }, { kind: 'iovec', len: { value: 20 } }] }, flags: { value: 0 }, control: null,
      });
      expect(arg('{msg_name(...)=..., msg_iov(1)=[{..., 1}], msg_flags=0, msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=1}]}')).toMatchObject({
        control: { kind: 'list', items: [{ kind: 'cmsg', level: { name: 'SOL_TCP' }, type: { name: 'TCP_CM_INQ' }, data: { value: 1 } }] },
      });
    },
  },
  {
    rules: [
      'expression: scm_timestamping_expr', 'scm_timestamping_expr: \'{\' SCM_SEC \'=\' INTEGER \',\' SCM_NSEC \'=\' INTEGER \'}\'',
      'expression: sock_extended_err_expr',
      'sock_extended_err_expr: \'{\' EE_ERRNO \'=\' expression \',\' EE_ORIGIN \'=\' expression \',\' EE_TYPE \'=\' expression \',\' EE_CODE \'=\' expression \',\' EE_INFO \'=\' expression \',\' EE_DATA \'=\' expression \'}\'',
    ],
    check: () => {
      expect(arg('{scm_sec=1, scm_nsec=500}')).toMatchObject({ kind: 'scm_timestamping', sec: 1, nsec: 500 });
      expect(arg('{ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING, ee_type=0, ee_code=0, ee_info=SCM_TSTAMP_SND, ee_data=999}')).toMatchObject({
        kind: 'sock_extended_err', errno: { name: 'ENOMSG' }, origin: { name: 'SO_EE_ORIGIN_TIMESTAMPING' }, info: { name: 'SCM_TSTAMP_SND' }, data: { value: 999 },
      });
    },
  },
  {
    rules: [
      'expression: pollfd', 'pollfd: \'{\' FD \'=\' expression \',\' EVENTS \'=\' expression opt_revents \'}\'', 'opt_revents: %empty',
      'opt_revents: \',\' REVENTS \'=\' expression',
    ],
    check: () => {
      expect(arg('{fd=3, events=POLLIN}')).toMatchObject({ kind: 'pollfd', fd: { value: 3 }, events: { name: 'POLLIN' }, revents: null });
      expect(arg('{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}')).toMatchObject({ events: { op: '|' }, revents: { name: 'POLLOUT' } });
    },
  },
  {
    rules: [
      'expression: epollev', 'epollev: \'{\' EVENTS \'=\' expression \',\' FD \'=\' expression \'}\'', 'epollev: \'{\' EVENTS \'=\' expression \',\' PTR \'=\' expression \'}\'',
      'epollev: \'{\' EVENTS \'=\' expression \',\' U32 \'=\' expression \'}\'', 'epollev: \'{\' EVENTS \'=\' expression \',\' U64 \'=\' expression \'}\'',
    ],
    check: () => {
      expect(['fd', 'ptr', 'u32', 'u64'].map((f) => arg(`{events=EPOLLIN, ${f}=5}`))).toMatchObject(
        ['fd', 'ptr', 'u32', 'u64'].map((field) => ({ kind: 'epollev', events: { name: 'EPOLLIN' }, field, value: { value: 5 } })),
      );
    },
  },
  {
    rules: ['expression: linger', 'linger: \'{\' ONOFF \'=\' INTEGER \',\' LINGER \'=\' INTEGER \'}\''],
    check: () => expect(arg('{onoff=1, linger=30}')).toMatchObject({ kind: 'linger', onoff: 1, linger: 30 }),
  },
  {
    rules: ['expression: mpls_stack_expression', 'mpls_stack_expression: \'{\' mpls_stack \'}\''],
    check: () => {
      expect(arg('{(label 16, tc 0, [S], ttl 1)}')).toMatchObject({ kind: 'mpls_stack', stack: [{ label: 16, tc: 0, bottom: true, ttl: 1 }] });
      expect(arg('{}')).toMatchObject({ kind: 'mpls_stack', stack: [] });
    },
  },
  {
    rules: ['expression: \'{\' gre_header_expression \'}\''],
    check: () => expect(arg('{flags [key present], sum 0, off 0, key 3, seq 0}')).toMatchObject({ kind: 'gre', flags: 0x2000, key: 3 }),
  },
];

/** The productions of syntax.md's grammar block, as `lhs: rhs` lines. */
function syntaxRules(md: string): string[] {
  const block = /```\n([\s\S]*?)```/.exec(md)![1];
  const out: string[] = [];
  let lhs = '';
  for (const line of block.split('\n')) {
    const head = /^(\S+): (.*)$/.exec(line);
    const alt = /^\s+\| (.*)$/.exec(line);
    if (head) {
      lhs = head[1];
      out.push(`${lhs}: ${head[2]}`);
    } else if (alt) out.push(`${lhs}: ${alt[1]}`);
  }
  return out;
}

describe('syntax.md: an example for every production of the grammar', () => {
  it.each(examples.map((e) => [e.rules[0], e] as const))('%s', (_, e) => {
    e.check();
  });

  it.skipIf(!existsSync(SYNTAX))('covers every production syntax.md lists, and names none it does not', () => {
    const rules = syntaxRules(readFileSync(SYNTAX, 'utf8'));
    expect(rules.length).toBe(203);
    const covered = examples.flatMap((e) => e.rules);
    expect(rules.filter((r) => !covered.includes(r)), 'productions without an example').toEqual([]);
    expect(covered.filter((r) => !rules.includes(r)), 'rules named by an example but absent from syntax.md').toEqual([]);
    expect(covered.filter((r, i) => covered.indexOf(r) !== i), 'rules named twice').toEqual([]);
  });
});
