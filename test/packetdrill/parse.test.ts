/**
 * The packetdrill parser: every construct of the tool's grammar (syntax.md / parser.y), the
 * kernel's 160 selftest scripts, and malformed scripts with their exact located errors.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PacketdrillError, type Expr, type PacketSpec, type SyscallSpec } from '../../src/packetdrill/ast.ts';
import { tokenize } from '../../src/packetdrill/lexer.ts';
import { KSFT_IPV4_DEFINES, parseScript } from '../../src/packetdrill/parse.ts';

const SUITE = new URL('../../../shared/peer-suites/linux-selftests-packetdrill/', import.meta.url).pathname;

const parse = (src: string, defines: Record<string, string> = {}) => parseScript(src, 't.pkt', { defines });
/** The one event of `0 <line>`. */
const one = (line: string) => parse(`0 ${line}\n`).events[0].action;
const pkt = (line: string) => one(line) as PacketSpec;
const call = (line: string) => one(line) as SyscallSpec;
const err = (src: string): string => {
  try {
    parse(src);
  } catch (e) {
    if (e instanceof PacketdrillError) return e.message;
    throw e;
  }
  throw new Error('no error');
};

describe('lexer', () => {
  it('takes the longest match, keywords over words of the same length', () => {
    const kinds = tokenize('ack ackx 123 123abc 0x1f 1.5 .5 192.0.2.1 fe80::1 ... --mss sequence#', 'x').map((t) => `${t.kind}:${t.text}`);
    expect(kinds).toEqual([
      'KEYWORD:ack', 'WORD:ackx', 'INTEGER:123', 'WORD:123abc', 'HEX_INTEGER:0x1f', 'FLOAT:1.5', 'FLOAT:.5',
      'IPV4_ADDR:192.0.2.1', 'IPV6_ADDR:fe80::1', 'ELLIPSIS:...', 'OPTION:--mss', 'KEYWORD:sequence#', 'EOF:',
    ]);
  });
  it('does not read a sequence range as an IPv6 address', () => {
    expect(tokenize('1:1001(1000)', 'x').map((t) => t.kind)).toEqual(['INTEGER', 'CHAR', 'INTEGER', 'CHAR', 'INTEGER', 'CHAR', 'EOF']);
  });
  it('skips // and /* */ comments and keeps lines and columns', () => {
    const t = tokenize('/* a\nb */ x // c\n  y', 'x');
    expect(t.map((x) => [x.text, x.line, x.col])).toEqual([['x', 2, 6], ['y', 3, 3], ['', 3, 4]]);
  });
  it('substitutes defines as word() does: strings, commands, integers (strtol base 0), words', () => {
    const defines = new Map([['S', '"str"'], ['C', '`cmd`'], ['H', '0x10'], ['O', '010'], ['W', '3021b9d8']]);
    const t = tokenize('S C H O W', 'x', { defines }).slice(0, 5);
    expect(t.map((x) => [x.kind, x.value, x.num])).toEqual([
      ['STRING', 'str', 0], ['BACK_QUOTED', 'cmd', 0], ['INTEGER', '0x10', 16], ['INTEGER', '010', 8], ['WORD', '3021b9d8', 0],
    ]);
  });
});

describe('script structure', () => {
  it('header options, -D defines, init and cleanup commands', () => {
    const s = parse('--mss=1000\n--tolerance_usecs=7000\n--send_omit_free\n--define=PROTO=IPPROTO_TCP\n`./defaults.sh`\n0 socket(..., SOCK_STREAM, PROTO) = 3\n`cleanup.sh`\n');
    expect(s.options.map((o) => [o.name, o.value])).toEqual([['mss', '1000'], ['tolerance_usecs', '7000'], ['send_omit_free', null], ['define', 'PROTO=IPPROTO_TCP']]);
    expect(s.initCommand?.command).toBe('./defaults.sh');
    expect(s.cleanupCommand?.command).toBe('cleanup.sh');
    expect((s.events[0].action as SyscallSpec).args[2]).toEqual({ kind: 'word', name: 'IPPROTO_TCP', line: 6, col: 28 });
  });
  it('option values: words, strings, addresses, ipv4/ipv6, NAME=word|"string"|`cmd`', () => {
    const s = parse('--ip_version=ipv4 --local_ip=192.168.0.1 --remote_ip=fd3d::1 --code_command="python3" --define=A="x" --define=B=`c` --define=C=D\n0 close(3) = 0\n');
    expect(s.options.map((o) => o.value)).toEqual(['ipv4', '192.168.0.1', 'fd3d::1', 'python3', 'A="x"', 'B=`c`', 'C=D']);
  });
  it('times: absolute, +relative, *, a~b, +a~+b, blocking ...end; float seconds truncated to µs', () => {
    const s = parse('0 close(3) = 0\n+0.1 close(3) = 0\n1.5 > S 0:0(0)\n* > . 1:1(0)\n2~2.5 > . 1:1(0)\n+0~+0.3 > . 1:1(0)\n+0...0.011 connect(3, ..., ...) = 0\n');
    expect(s.events.map((e) => e.time)).toEqual([
      { kind: 'absolute', usecs: 0 }, { kind: 'relative', usecs: 100000 }, { kind: 'absolute', usecs: 1500000 }, { kind: 'any' },
      { kind: 'absolute-range', usecs: 2000000, endUsecs: 2500000 }, { kind: 'relative-range', usecs: 0, endUsecs: 300000 }, { kind: 'relative', usecs: 0 },
    ]);
    expect((s.events[6].action as SyscallSpec).endUsecs).toBe(11000);
  });
  it('commands and %{ }% code blocks as events, code kept as text with ends stripped', () => {
    const s = parse('0 `sysctl -q net.ipv4.tcp_sack=0`\n+0 %{  assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd\n}%\n');
    expect(s.events[0].action).toEqual({ kind: 'command', command: 'sysctl -q net.ipv4.tcp_sack=0' });
    expect(s.events[1].action).toEqual({ kind: 'code', text: 'assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd\n' });
  });
});

describe('packet lines', () => {
  it('flags, seq:end(len), ack, win, urg and every TCP option', () => {
    const p = pkt('< S. 0:0(0) ack 1 win 65535 urg 3 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7,eol,eol,eol,eol>');
    expect(p).toMatchObject({ direction: 'inbound', proto: 'tcp', tcp: { flags: 'S.', seq: 0, end: 0, len: 0, ack: 1, win: 65535, urg: 3 } });
    expect(p.tcp!.options).toEqual([
      { kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 100, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 },
      ...Array(4).fill({ kind: 'eol' }),
    ]);
    expect(pkt('> . 1:1(0) <nop,nop,sack 1:2 3:4>').tcp!.options![2]).toEqual({ kind: 'sack', blocks: [[1, 2], [3, 4]] });
  });
  it('outbound: no win (unchecked), <...> (options unchecked), no options (none expected)', () => {
    expect(pkt('> P. 1:1001(1000) ack 1 <...>').tcp).toMatchObject({ flags: 'P.', win: null, options: null, len: 1000, end: 1001 });
    expect(pkt('> . 1:1(0) ack 1').tcp!.options).toEqual([]);
  });
  it('flag spellings: - (none), ., S, SEWA, F.5 and .5 (AccECN ACE), F5.', () => {
    expect(['< - 1:1(0) win 1', '> . 1:1(0)', '> S 0:0(0)', '< SEWA 0:0(0) win 1', '> F.5 1:1(0)', '> .5 1:1(0)', '> F5. 1:1(0)'].map((l) => pkt(l).tcp!.flags))
      .toEqual(['', '.', 'S', 'SEWA', 'F.5', '.5', 'F5.']);
  });
  it('FO cookies (empty, hex word, define), FOEXP, md5, AccECN option', () => {
    const o = parse('0 < S 0:0(0) win 1 <FO TFO_COOKIE,nop,nop>\n+0 > S. 0:0(0) <FO,nop,nop>\n+0 > S 0:0(0) <FOEXP abcd,nop,nop>\n+0 > S 0:0(0) <md5 000102030405060708090a0b0c0d0e0f,nop,nop>\n+0 > . 1:1(0) <ECN e1b 1 ceb 0 e0b 1,nop>\n', KSFT_IPV4_DEFINES)
      .events.map((e) => (e.action as PacketSpec).tcp!.options![0]);
    expect(o).toEqual([
      { kind: 'fo', cookie: '3021b9d889017eeb' }, { kind: 'fo', cookie: '' }, { kind: 'foexp', cookie: 'abcd' },
      { kind: 'md5', digest: '000102030405060708090a0b0c0d0e0f' },
      { kind: 'accecn', first: 'e1b', fields: [{ name: 'e1b', value: 1 }, { name: 'ceb', value: 0 }, { name: 'e0b', value: 1 }] },
    ]);
  });
  it('IP info ([ect0], (ce), [ect01], tos, flowlabel, ttl), ports, encapsulation layers', () => {
    expect(pkt('< [ect0] S 0:0(0) win 1').ipInfo).toEqual({ tos: { check: 'ecn', ecn: 'ect0' } });
    expect(pkt('> (ce) . 1:1(0)').ipInfo).toEqual({ tos: { check: 'ecn', ecn: 'ce' } });
    expect(pkt('> [ect01] . 1:1(0)').ipInfo).toEqual({ tos: { check: 'ect01' } });
    expect(pkt('> (tos 0x10, flowlabel 0x12) . 1:1(0)').ipInfo).toEqual({ tos: { check: 'tos', value: 16 }, flowLabel: 18 });
    expect(pkt('> (ttl 64) . 1:1(0)').ipInfo).toEqual({ ttl: 64 });
    expect(pkt('< 8080 > 1234 . 1:1(0) win 1').ports).toEqual({ src: 8080, dst: 1234 });
    const e = pkt('< ipv4 192.0.2.2 > 192.168.0.1: gre: mpls (label 1, tc 0, [S], ttl 64): . 1:1(0) win 1');
    expect(e.layers).toEqual([
      { kind: 'ipv4', ipInfo: {}, src: '192.0.2.2', dst: '192.168.0.1' }, { kind: 'gre', header: null },
      { kind: 'mpls', stack: [{ label: 1, tc: 0, bottom: true, ttl: 64 }] },
    ]);
    expect(pkt('< encap psp spi 0x1 . 1:1(0) win 1').pspSpi).toBe(1);
  });
  it('UDP and ICMP lines as the grammar has them', () => {
    expect(pkt('< udp (100)')).toMatchObject({ proto: 'udp', udp: { len: 100 } });
    expect(pkt('< icmp unreachable frag_needed mtu 1200 [1:1461(1460)]')).toMatchObject({
      proto: 'icmp', icmp: { type: 'unreachable', code: 'frag_needed', mtu: 1200, echoed: { proto: 'tcp', seq: 1, end: 1461, len: 1460 } },
    });
    expect(pkt('> icmp echo_reply id 7 [udp (10)]').icmp).toMatchObject({ type: 'echo_reply', code: null, echoId: 7, echoed: { proto: 'udp', len: 10 } });
  });
});

describe('system call lines', () => {
  const args = (line: string): Expr[] => call(line).args;
  it('name(args) = ret, with errno and its text, and a note', () => {
    expect(call('connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)')).toMatchObject({
      name: 'connect', result: { kind: 'int', value: -1 }, errno: { name: 'EINPROGRESS', text: 'Operation now in progress' }, note: null,
    });
    expect(call('getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0 (flags word)').note).toBe('flags word');
    expect(call('close() = 0').args).toEqual([]);
  });
  it('ints, hex, words, | unions, WORD=expr, strings, string..., string concatenation', () => {
    const a = args('f(1, 0x10, SOL_TCP, SOCK_STREAM|SOCK_NONBLOCK|O_CLOEXEC, tcpi_state=1, "ab", "ab"..., "a" "b") = 0');
    expect(a.map((e) => e.kind)).toEqual(['int', 'int', 'word', 'binary', 'binary', 'string', 'string', 'binary']);
    expect(a[3]).toMatchObject({ op: '|', lhs: { name: 'SOCK_STREAM' }, rhs: { op: '|', lhs: { name: 'SOCK_NONBLOCK' }, rhs: { name: 'O_CLOEXEC' } } });
    expect(a[4]).toMatchObject({ op: '=', lhs: { name: 'tcpi_state' }, rhs: { value: 1 } });
    expect(a[6]).toMatchObject({ value: 'ab', ellipsis: true });
    expect(a[7]).toMatchObject({ op: '.', lhs: { value: 'a' }, rhs: { value: 'b' } });
  });
  it('arrays, inet_addr, inet6_addr, sockaddr', () => {
    const a = args('f([], [1, 2], inet_addr("192.0.2.1"), inet6_addr("::1"), {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}) = 0');
    expect(a[0]).toMatchObject({ kind: 'list', items: [] });
    expect(a[1]).toMatchObject({ kind: 'list', items: [{ value: 1 }, { value: 2 }] });
    expect(a[2]).toMatchObject({ kind: 'int', value: 0xc0000201, hex: true });
    expect(a[3]).toMatchObject({ kind: 'in6addr', addr: '::1' });
    expect(a[4]).toMatchObject({ kind: 'sockaddr', family: 'AF_INET', port: 8080, addr: '192.0.2.1' });
  });
  it('msghdr with iovecs and cmsgs, sock_extended_err, scm_timestamping', () => {
    const m = args(`recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=MSG_ERRQUEUE,
      msg_control=[{cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR,
        cmsg_data={ee_errno=0, ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0, ee_code=0, ee_info=0, ee_data=1}},
       {cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0, scm_nsec=0}}]}, MSG_ERRQUEUE) = 0`)[1];
    expect(m).toMatchObject({ kind: 'msghdr', iovlen: { value: 1 }, iov: { kind: 'list', items: [{ kind: 'iovec', len: { value: 10 } }] }, flags: { name: 'MSG_ERRQUEUE' } });
    const control = (m as Extract<Expr, { kind: 'msghdr' }>).control as Extract<Expr, { kind: 'list' }>;
    expect(control.items.map((c) => (c as Extract<Expr, { kind: 'cmsg' }>).data.kind)).toEqual(['sock_extended_err', 'scm_timestamping']);
  });
  it('pollfd (with and without revents), epoll events (fd, ptr, u32, u64), linger, mpls stack, gre header, {list}', () => {
    const a = args('f([{fd=3, events=POLLIN}], {fd=3, events=POLLOUT, revents=POLLOUT}, {events=EPOLLIN, fd=4}, {events=0, ptr=0}, {events=1, u32=2}, {events=1, u64=2}, {onoff=1, linger=0}, {(label 5, tc 1, ttl 9)}, {}, {flags [checksum present, key present], sum 0, off 0, key=1, seq 2}, {1, 2}, {..., 7}) = 0');
    expect(a.map((e) => e.kind)).toEqual(['list', 'pollfd', 'epollev', 'epollev', 'epollev', 'epollev', 'linger', 'mpls_stack', 'mpls_stack', 'gre', 'list', 'iovec']);
    expect(a[1]).toMatchObject({ revents: { name: 'POLLOUT' } });
    expect(a.slice(2, 6).map((e) => (e as Extract<Expr, { kind: 'epollev' }>).field)).toEqual(['fd', 'ptr', 'u32', 'u64']);
    expect(a[6]).toMatchObject({ onoff: 1, linger: 0 });
    expect(a[9]).toMatchObject({ flags: 0xa000, key: 1, seq: 2 });
  });
});

describe('the kernel selftests', () => {
  it.skipIf(!existsSync(SUITE))('parses all 160 scripts of tools/testing/selftests/net/packetdrill', () => {
    const files = readdirSync(SUITE).filter((f) => f.endsWith('.pkt'));
    expect(files).toHaveLength(160);
    const failures = files.flatMap((f) => {
      try {
        parseScript(readFileSync(SUITE + f, 'utf8'), f, { defines: KSFT_IPV4_DEFINES });
        return [];
      } catch (e) {
        return [(e as Error).message];
      }
    });
    expect(failures).toEqual([]);
  });
});

describe('malformed scripts: exact located errors, and the real tool\'s', () => {
  // malformed.json: each script, the exact error the parser gives (file:line:col and what it
  // expected), and the first line the real packetdrill printed for it (`npm run packetdrill:real
  // -- --malformed` records it). The real tool says `file:line:` without a column, a syntax
  // error without what it expected, and '' for the end of the file; apart from that the two
  // must agree word for word.
  const cases = JSON.parse(readFileSync(new URL('malformed.json', import.meta.url), 'utf8')) as { script: string; error: string; real: string | null }[];
  const asReal = (ours: string, real: string) => {
    let s = ours.replace(/^(t\.pkt:\d+):\d+:/, '$1:').replace(/(: syntax error), expected .*$/, '$1').replace("at 'end of file'", "at ''");
    if (/^t\.pkt: /.test(real)) s = s.replace(/^t\.pkt:\d+:/, 't.pkt:');
    return s;
  };
  it('has at least 20 cases, each recorded on the real tool', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(cases.filter((c) => !c.real).map((c) => c.script)).toEqual([]);
  });
  it.each(cases.map((c) => [c.script, c] as const))('%j', (_, c) => {
    const ours = err(c.script);
    expect(ours).toBe(c.error);
    expect(asReal(ours, c.real!)).toBe(c.real);
  });
});
