/**
 * The packetdrill runner: packetdrill's matching and timing rules on synthetic segments, and
 * scripts run against the model (pass, located mismatch, precise skip).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TcpSpec } from '../../src/packetdrill/ast.ts';
import {
  adjustTimes,
  DEFAULT_TOLERANCE,
  mapInbound,
  newSeqState,
  TH_ACK,
  TH_PSH,
  TH_SYN,
  toleranceFor,
  verifyOutbound,
  verifyTime,
  type LiveSegment,
} from '../../src/packetdrill/match.ts';
import { KSFT_IPV4_DEFINES, parseScript } from '../../src/packetdrill/parse.ts';
import { runScript } from '../../src/packetdrill/run.ts';
import { shellCommands, shellSteps } from '../../src/packetdrill/shell.ts';

const SUITE = new URL('../../../shared/peer-suites/linux-selftests-packetdrill/', import.meta.url).pathname;
const HAVE_SUITE = existsSync(SUITE);
const DEFAULTS = HAVE_SUITE ? readFileSync(SUITE + 'defaults.sh', 'utf8') : '';

const tcp = (line: string): TcpSpec => {
  const a = parseScript(`0 ${line}\n`, 't.pkt').events[0].action;
  if (a.kind !== 'packet' || !a.tcp) throw new Error('not a TCP line');
  return a.tcp;
};
const live = (o: Partial<LiveSegment>): LiveSegment => ({
  usecs: 0, seq: 0, ack: 0, flags: TH_ACK, window: 1000, urgent: 0, options: [], payloadLen: 0, payloadZero: true, tos: 0, ttl: 64, ...o,
});
const opts = { tsTickUsecs: 0, tol: DEFAULT_TOLERANCE, eventUsecs: 0 };

describe('timing rules (verify_time)', () => {
  it('tolerance is 4 ms, or 12.5 % of the time since the last event when larger', () => {
    expect(toleranceFor(DEFAULT_TOLERANCE, 10_000, 0)).toBe(4000);
    expect(toleranceFor(DEFAULT_TOLERANCE, 1_000_000, 0)).toBe(125_000);
    expect(toleranceFor({ usecs: 14_000, percent: 12.5 }, 100_000, 0)).toBe(14_000);
  });
  it('accepts within the tolerance, reports the tool message outside it', () => {
    const ev = adjustTimes({ kind: 'relative', usecs: 40_000 }, 100_000, null, false);
    expect(verifyTime(DEFAULT_TOLERANCE, ev, 143_900, 100_000, 'outbound packet')).toBeNull();
    expect(verifyTime(DEFAULT_TOLERANCE, ev, 147_800, 100_000, 'outbound packet')).toBe(
      'timing error: expected outbound packet at 0.140000 sec but happened at 0.147800 sec; tolerance 0.005000 sec',
    );
  });
  it('ranges widen the window; * accepts anything', () => {
    const r = adjustTimes({ kind: 'relative-range', usecs: 0, endUsecs: 300_000 }, 1_000_000, null, false);
    expect(verifyTime(DEFAULT_TOLERANCE, r, 1_250_000, 1_000_000, 'outbound packet')).toBeNull();
    expect(verifyTime(DEFAULT_TOLERANCE, r, 1_400_000, 1_000_000, 'outbound packet')).toBe(
      'timing error: expected outbound packet in relative time range +0.000000~+0.300000 sec but happened at +0.400000 sec',
    );
    expect(verifyTime(DEFAULT_TOLERANCE, adjustTimes({ kind: 'any' }, 5, null, false), 9e9, 0, 'outbound packet')).toBeNull();
  });
  it('relative times count from now, except consecutive inbound packets from the last one', () => {
    expect(adjustTimes({ kind: 'relative', usecs: 100 }, 5000, { usecs: 1000, inbound: true }, true).usecs).toBe(1100);
    expect(adjustTimes({ kind: 'relative', usecs: 100 }, 5000, { usecs: 1000, inbound: true }, false).usecs).toBe(5100);
    expect(adjustTimes({ kind: 'absolute', usecs: 700 }, 5000, null, false).usecs).toBe(700);
  });
});

describe('sequence spaces and outbound checks', () => {
  const st = () => ({ ...newSeqState(), scriptLocalIsn: 0, liveLocalIsn: 0xfffffff0 });
  it('maps live seq through the ISNs (wrapping) and accepts a matching packet', () => {
    const r = verifyOutbound(tcp('> P. 1:1001(1000) ack 1'), live({ seq: 0xfffffff1, ack: 1, flags: TH_ACK | TH_PSH, payloadLen: 1000 }), st(), opts);
    expect(r.error).toBeNull();
    expect(r.actual.seq).toBe(1);
  });
  it('reports the first differing field in packetdrill order and words', () => {
    const s = st();
    expect(verifyOutbound(tcp('> S. 0:0(0) ack 1'), live({ seq: 0xfffffff0, ack: 1, flags: TH_SYN }), s, opts).error).toBe(
      'live packet field tcp_ack: expected: 1 (0x1) vs actual: 0 (0x0)',
    );
    expect(verifyOutbound(tcp('> . 1:1(0) ack 5'), live({ seq: 0xfffffff1, ack: 4 }), s, opts).error).toBe(
      'live packet field tcp_ack_seq: expected: 5 (0x5) vs actual: 4 (0x4)',
    );
    expect(verifyOutbound(tcp('> . 1:1(0) ack 1 win 100'), live({ seq: 0xfffffff1, ack: 1, window: 99 }), s, opts).error).toBe(
      'live packet field tcp_window: expected: 100 (0x64) vs actual: 99 (0x63)',
    );
  });
  it('no options on a line means none expected; <...> means any; values compared, TS ecr not', () => {
    const s = st();
    const ts = [{ kind: 'nop' as const }, { kind: 'nop' as const }, { kind: 'ts' as const, val: 7, ecr: 3 }];
    expect(verifyOutbound(tcp('> . 1:1(0) ack 1'), live({ seq: 0xfffffff1, ack: 1, options: ts }), s, opts).error).toBe(
      'live packet field ipv4_total_length: expected: 40 (0x28) vs actual: 52 (0x34)',
    );
    expect(verifyOutbound(tcp('> . 1:1(0) ack 1 <...>'), live({ seq: 0xfffffff1, ack: 1, options: ts }), s, opts).error).toBeNull();
    expect(verifyOutbound(tcp('> . 1:1(0) ack 1 <nop,nop,TS val 7 ecr 999>'), live({ seq: 0xfffffff1, ack: 1, options: ts }), s, opts).error).toBeNull();
    expect(verifyOutbound(tcp('> S 0:0(0) <mss 1460,nop,nop,nop,nop>'), live({ seq: 0xfffffff0, flags: TH_SYN, options: [{ kind: 'mss', value: 65495 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }] }), s, opts).error).toBe(
      'bad value in outbound TCP option (kind=2): expected: mss 1460 actual: mss 65495',
    );
  });
  it('TS val is checked only with --tcp_ts_tick_usecs, against the first mapping', () => {
    const s = st();
    const line = tcp('> . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 0>');
    const ts = (val: number) => live({ seq: 0xfffffff1, ack: 1, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val, ecr: 0 }] });
    expect(verifyOutbound(line, ts(5000), s, { ...opts, tsTickUsecs: 1000 }).error).toBeNull(); // first: defines the mapping
    const later = tcp('> . 1:1(0) ack 1 <nop,nop,TS val 110 ecr 0>');
    expect(verifyOutbound(later, ts(5012), s, { ...opts, tsTickUsecs: 1000 }).error).toBeNull(); // 2 ms off: within 4 ms
    expect(verifyOutbound(later, ts(5020), s, { ...opts, tsTickUsecs: 1000 }).error).toBe('bad outbound TCP timestamp value, tolerance 4000');
    expect(verifyOutbound(later, ts(5020), s, opts).error).toBeNull();
  });
  it('inbound: seq literal, ack and SACK through the local ISN, TS ecr through the TS val map', () => {
    const s = st();
    s.tsVal.set(100, 5000);
    expect(mapInbound(tcp('< . 1:1(0) ack 1001 win 10 <nop,nop,TS val 7 ecr 100>'), s)).toEqual({
      seq: 1, ack: (0xfffffff0 + 1001) >>> 0, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 7, ecr: 5000 }],
    });
    expect(mapInbound(tcp('< . 1:1(0) ack 1 win 10 <nop,nop,sack 11:21>'), s)).toMatchObject({ options: [{}, {}, { kind: 'sack', blocks: [[(0xfffffff0 + 11) >>> 0, (0xfffffff0 + 21) >>> 0]] }] });
    expect(mapInbound(tcp('< . 1:1(0) ack 1 win 10 <nop,nop,TS val 7 ecr 55>'), s)).toEqual({
      error: 'unable to infer live TS ecr for script TS ecr 55;  no matching or preceding outbound TS val',
    });
  });
});

describe('shell lines', () => {
  it('defaults.sh and sysctl lines become sysctl writes; $((a*b)) evaluated; other commands listed', () => {
    const c = shellCommands('sysctl -q net.ipv4.tcp_rmem="4096 131072 $((32*1024*1024))"\nss -tin\nnstat -n', undefined);
    expect(c.sysctls).toEqual([['net.ipv4.tcp_rmem', '4096 131072 33554432']]);
    expect(c.others).toEqual(['ss -tin']);
    // nstat pipelines run at their time over the model's counters (nstat.ts)
    expect(shellSteps('nstat | grep TcpExtBeyondWindow | grep -q " 3 "', undefined)).toEqual([{ kind: 'nstat', argv: [], greps: [['TcpExtBeyondWindow'], ['-q', ' 3 ']] }]);
    expect(shellCommands('./set_sysctls.py /proc/sys/net/ipv4/tcp_timestamps=0', undefined).sysctls).toEqual([['net.ipv4.tcp_timestamps', '0']]);
  });
  it('steps keep their order, defaults.sh expanded in place, its known no-ops marked inert', () => {
    expect(shellSteps('./defaults.sh\nsysctl -q net.ipv4.tcp_ecn=5', 'sysctl -q net.ipv4.tcp_sack=1\ntc qdisc add dev tun0 root pfifo')).toEqual([
      { kind: 'sysctl', name: 'net.ipv4.tcp_sack', value: '1' },
      { kind: 'inert', text: 'tc qdisc add dev tun0 root pfifo' },
      { kind: 'sysctl', name: 'net.ipv4.tcp_ecn', value: '5' },
    ]);
  });
  it("a line's status is its last command's, as system(3) gives it: a refused sysctl at the end fails the script as on Linux 6.18", () => {
    const init = (cmd: string) => runScript(parseScript(`\`${cmd}\`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`, 't.pkt'), { profile: 'linux-6.x', defaultsSh: '' });
    expect(init('sysctl -q net.ipv4.tcp_ecn=5')).toMatchObject({
      outcome: 'fail', line: 1, reason: 'line 1: error executing init command: non-zero status 1 (sysctl net.ipv4.tcp_ecn=5: 5 is out of range (0..2 on Linux 6.18))',
    });
    expect(init('sysctl -q net.ipv4.tcp_rmem="0 1 2"').reason).toMatch(/^line 1: error executing init command: non-zero status 1 \(sysctl net\.ipv4\.tcp_rmem=0 1 2: \[0, 1, 2\] is out of range, expected each within 1\.\./);
    // a refused write followed by another command: the line succeeds, the value stays
    expect(init('sysctl -q net.ipv4.tcp_ecn=5\nsysctl -q net.ipv4.tcp_sack=1').outcome).toBe('pass');
  });
});

describe.skipIf(!HAVE_SUITE)('kernel selftests on the model (linux-6.x)', () => {
  const run = (name: string, force = false) =>
    runScript(parseScript(readFileSync(SUITE + name, 'utf8'), name, { defines: KSFT_IPV4_DEFINES }), { profile: 'linux-6.x', defaultsSh: DEFAULTS, force });
  it('tcp_close_close-local-close-then-remote-fin passes end to end, the same in 10 runs', () => {
    const v = [...Array(10)].map(() => run('tcp_close_close-local-close-then-remote-fin.pkt'));
    expect(v.map((x) => x.outcome)).toEqual(Array(10).fill('pass'));
  });
  it('a model gap the script reaches is a located failure with the script line and what the model sent', () => {
    // a receive-side gap: the script expects the window to drop to 0 under memory pressure; the model's stays open
    const v = run('tcp_rcv_wnd_shrink_nomem.pkt');
    expect(v).toMatchObject({ outcome: 'fail', line: 64 });
    expect(v.reason).toMatch(/^line 64: error handling packet: live packet field tcp_window: expected: 0 \(0x0\) vs actual: \d+ .*\(script: \. 1:1\(0\) ack 1040001 win 0; actual at 0\.\d+: \. 1:1\(0\) ack 1040001 win \d+\)$/);
  });
  it('a script needing what the model lacks skips with the need and its line', () => {
    expect(run('tcp_timestamping_server.pkt').reason).toBe('needs setsockopt(SO_TIMESTAMPING) at line 17 (setsockopt(SOL_SOCKET, SO_TIMESTAMPING))');
    expect(run('tcp_zerocopy_basic.pkt').reason).toBe('needs --send_omit_free at line 7 (--send_omit_free)');
    expect(run('tcp_md5_md5-only-on-client-ack.pkt').reason).toBe('needs TCP-MD5 at line 16 (md5 option)');
  });
  it('forced past its needs, a script fails at the first differing field, never throws', () => {
    // SO_TIMESTAMPING is a need; forced, the script fails where the runner cannot evaluate its flags
    const v = run('tcp_timestamping_server.pkt', true);
    expect(v).toMatchObject({ outcome: 'fail', line: 17 });
    expect(v.reason).toBe('line 17: runtime error: cannot evaluate SOF_TIMESTAMPING_TX_SCHED|SOF_TIMESTAMPING_TX_SOFTWARE|SOF_TIMESTAMPING_TX_ACK|SOF_TIMESTAMPING_SOFTWARE|SOF_TIMESTAMPING_OPT_ID');
  });
});
