/**
 * A second interface beside lo, as packetdrill sets one up (drivers/net/tun.c, net/ipv4/route.c,
 * Linux 6.18): tun0 192.168.0.1/16, MTU 1500, and a route to 192.0.2.1 through it. The route
 * decides the source address and the MSS of a connection (ip_route_connect() and
 * ipv4_default_advmss()), the window comes from tcp_select_initial_window() over tcp_rmem, and
 * nothing of lo changes: same source, MSS and window there, and lo's taps never see tun0.
 */
import { describe, expect, it } from 'vitest';
import type { Segment } from '../../src/model/types.ts';
import { TH_ACK, TH_SYN } from '../../src/model/types.ts';
import { ipRouteOutputKey, ipv4DefaultAdvmss } from '../../src/model/route.ts';
import { openTap } from '../../src/model/loopback.ts';
import { host, LO } from '../helpers/host.ts';

const TUN_ADDR = 0xc0a80001; // 192.168.0.1
const REMOTE = 0xc0000201; // 192.0.2.1
const tun0 = { name: 'tun0', addr: TUN_ADDR, prefixLen: 16, mtu: 1500, routes: [{ dst: REMOTE, prefixLen: 32, gateway: TUN_ADDR }] };
const mssOf = (s: Segment) => s.options.find((o) => o.kind === 'mss') as { value: number } | undefined;
const wscaleOf = (s: Segment) => (s.options.find((o) => o.kind === 'wscale') as { shift: number } | undefined)?.shift;

function connectTo(profile: 'linux-4.4' | 'linux-6.x', daddr: number, sysctl: Record<string, number | number[]> = {}) {
  const h = host({ profile, sysctl });
  h.k.tunCreate(tun0);
  const out: Segment[] = [];
  h.k.onXmit((s) => out.push(s));
  h.start('c', function* () {
    const fd: number = yield { op: 'socket' };
    yield { op: 'connect', fd, addr: daddr, port: 8080 };
    return 0;
  });
  h.run(1_000_000);
  return { ...h, out };
}

describe('route and device of a connection (ip_route_output_key, ipv4_default_advmss; Linux 6.18)', () => {
  it('a connection to 192.0.2.1 leaves by tun0: source 192.168.0.1, MSS 1460 (MTU 1500 less 40)', () => {
    const { out } = connectTo('linux-6.x', REMOTE);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ saddr: TUN_ADDR, daddr: REMOTE, flags: TH_SYN });
    expect(mssOf(out[0])?.value).toBe(1460);
  });
  it('lo is unchanged beside tun0: 127.0.0.1, MSS 65495 (65536 less 40, capped at IPV4_MAX_PMTU - 40)', () => {
    const { k, out } = connectTo('linux-6.x', LO);
    expect(out[0]).toMatchObject({ saddr: LO, daddr: LO });
    expect(mssOf(out[0])?.value).toBe(65495);
    expect(ipRouteOutputKey(k, TUN_ADDR)).toMatchObject({ local: true, src: TUN_ADDR }); // our own address: delivered over lo
    expect(ipv4DefaultAdvmss(ipRouteOutputKey(k, REMOTE))).toBe(1460);
  });
  it("lo's capture taps do not see what leaves by tun0, and tun0's segments are not delivered back", () => {
    const h = host({ profile: 'linux-6.x' });
    h.k.tunCreate(tun0);
    const tap = openTap(h.k, () => true);
    h.start('c', function* () {
      const fd: number = yield { op: 'socket' };
      yield { op: 'connect', fd, addr: REMOTE, port: 8080 };
      return 0;
    });
    h.run(10_000_000);
    expect(tap.frames).toHaveLength(0);
    expect(h.k.stats.rcv).toBe(0);
    expect(h.k.stats.xmit).toBeGreaterThanOrEqual(1);
  });
});

describe('tcp_select_initial_window() (tcp_output.c): the window and scale of SYN and SYN-ACK', () => {
  it('reproduces what both kernels send on lo: 4.4 win 43690 wscale 7, 6.18 win 65495 wscale 10', () => {
    const a = connectTo('linux-4.4', LO).out[0];
    expect([a.window, wscaleOf(a)]).toEqual([43690, 7]);
    const b = connectTo('linux-6.x', LO).out[0];
    expect([b.window, wscaleOf(b)]).toEqual([65495, 10]);
  });
  it("packetdrill's defaults.sh (tcp_rmem 4096 540000 15 MB) over tun0: SYN win 65535, wscale 8 (6.18)", () => {
    const s = connectTo('linux-6.x', REMOTE, { 'net.ipv4.tcp_rmem': [4096, 540000, 15728640] }).out[0];
    expect([s.window, wscaleOf(s)]).toEqual([65535, 8]);
  });
  it('a small buffer: whole MSS multiples of half of it, the scale from rmem_max (4 MB): as 6.18.44 sends', () => {
    // measured with packetdrill on 6.18.44, tcp_rmem "4096 8000 8000": SYN win 2920 (2 x 1460),
    // SYN-ACK to a client with timestamps win 2896 (2 x 1448), both wscale 7
    const syn = connectTo('linux-6.x', REMOTE, { 'net.ipv4.tcp_rmem': [4096, 8000, 8000] }).out[0];
    expect([syn.window, wscaleOf(syn)]).toEqual([2920, 7]);
    const h = host({ profile: 'linux-6.x', sysctl: { 'net.ipv4.tcp_rmem': [4096, 8000, 8000] } });
    h.k.tunCreate(tun0);
    const out: Segment[] = [];
    h.k.onXmit((s) => out.push(s));
    h.start('l', function* () {
      const fd: number = yield { op: 'socket' };
      yield { op: 'bind', fd, addr: TUN_ADDR, port: 8080 };
      yield { op: 'listen', fd, backlog: 1 };
      yield { op: 'pause' };
      return 0;
    });
    h.run(1_000_000);
    h.k.tunWrite({
      saddr: REMOTE, daddr: TUN_ADDR, sport: 40000, dport: 8080, seq: 0, ack: 0, flags: TH_SYN, window: 65535, urgent: 0,
      options: [{ kind: 'mss', value: 1000 }, { kind: 'sackOK' }, { kind: 'ts', val: 1, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 8 }],
      payload: new Uint8Array(0), ipId: 0, ttl: 64, df: true, tos: 0, csum: 'full',
    });
    h.run(2_000_000);
    const synack = out.find((s) => s.flags === (TH_SYN | TH_ACK))!;
    expect([synack.window, wscaleOf(synack), mssOf(synack)?.value, synack.saddr]).toEqual([2896, 7, 1460, TUN_ADDR]);
  });
  it('4.4 caps the initial window at 10 segments of an MSS up to 1460 (TCP_DEFAULT_INIT_RCVWND)', () => {
    const s = connectTo('linux-4.4', REMOTE).out[0];
    expect([s.window, wscaleOf(s), mssOf(s)?.value]).toEqual([14600, 7, 1460]);
  });
});

describe('tcp_rmem and CONFIG_HZ as inputs', () => {
  it('tcp_rmem takes one to three ints of at least 1 (proc_dointvec_minmax, extra1 = SYSCTL_ONE); a shorter write keeps the rest', () => {
    expect(() => host({ profile: 'linux-6.x', sysctl: { 'net.ipv4.tcp_rmem': [0, 1, 2] } })).toThrow(/each within 1\.\./);
    expect(() => host({ profile: 'linux-6.x', sysctl: { 'net.ipv4.tcp_rmem': [1, 2, 3, 4] } })).toThrow(/1 to 3 integers/);
    expect(host({ profile: 'linux-6.x', sysctl: { 'net.ipv4.tcp_rmem': [8192] } }).k.sysctl['net.ipv4.tcp_rmem']).toEqual([8192, 131072, 33554432]);
  });
  it('HZ is a profile option: 1000 (the selftests\' CONFIG_HZ) makes a jiffy 1 ms; 300 (no whole-ns tick) is refused', () => {
    expect(host({ profile: 'linux-6.x', hz: 1000 }).k.jiffyNs).toBe(1_000_000);
    expect(host({ profile: 'linux-6.x' }).k.jiffyNs).toBe(4_000_000);
    expect(() => host({ profile: 'linux-6.x', hz: 300 })).toThrow(/not a CONFIG_HZ the model runs/);
  });
});
