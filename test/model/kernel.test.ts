/**
 * One test per kernel behaviour, named after the kernel function and the versions it
 * applies to. Values are the ones a reader can check on a real box (ss, tcpdump, errno).
 */
import { describe, expect, it } from 'vitest';
import { host, listener, client, sec, ms, LO, flagStr, acceptOne } from '../helpers/host.ts';
import {
  EADDRINUSE, ECONNREFUSED, ECONNRESET, EINVAL, EISCONN, ETIMEDOUT, EBADF, EINTR,
} from '../../src/model/kernel.ts';
import { TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_SENT, TH_ACK, TH_RST, TH_SYN, type TraceEvent } from '../../src/model/types.ts';
import { u32 } from '../../src/model/seq.ts';

type Profile = 'linux-4.4' | 'linux-6.x';

/** A stopped listener with `backlog` and n clients connecting 10 ms apart. */
function overflow(profile: Profile, n: number, sysctl: Record<string, number> = {}, backlog = 1) {
  const h = host({ profile, sysctl });
  h.start('srv', function* (log) {
    log('l', yield* listener(12345, backlog));
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(1));
  const clients: number[] = [];
  for (let i = 0; i < n; i++) {
    h.run(ms(1 + 10 * (i + 1)));
    const t = h.start(`c${i}`, function* (log) {
      const [, r] = yield* client(12345);
      log(`c${i}`, r);
      yield { op: 'pause' };
      return 0;
    });
    clients.push(t.pid);
  }
  return h;
}

/**
 * A server that accepts one connection and closes it first (TIME-WAIT on its side once the
 * client closes too); with `closeListener` it then closes the listener as well. Returns the
 * host, the client's port and the two FINs.
 */
function serverClosesFirst(profile: Profile, closeListener: boolean) {
  const h = host({ profile });
  h.start('srv', function* (log) {
    const l: number = yield* listener(12345, 1);
    const fd: number = yield { op: 'accept', fd: l };
    log('srvClose', yield { op: 'close', fd });
    if (closeListener) {
      log('lClose', yield { op: 'close', fd: l }); // nobody listens on 12345 any more
      return 0;
    }
    log('accepted2', yield { op: 'accept', fd: l });
    yield { op: 'pause' };
    return 0;
  });
  h.run(ms(1));
  let port = 0;
  h.start('c1', function* (log) {
    const [fd, r] = yield* client(12345);
    log('c1', r);
    port = h.k.inetDiagDump().find((x) => x.dport === 12345)!.sport;
    log('eof', yield { op: 'read', fd });
    yield { op: 'close', fd };
    return 0;
  });
  h.run(sec(1));
  expect(h.k.inetDiagDump().find((r) => r.sport === 12345 && r.dport === port)?.state).toBe(6); // TIME-WAIT
  const serverFin = h.segs().find((s) => s.sport === 12345 && s.flags & 1)!;
  const clientFin = h.segs().find((s) => s.dport === 12345 && s.flags & 1)!;
  return { h, port, serverFin, clientFin };
}

describe('listen() and the accept queue', () => {
  it('__sys_listen caps the backlog at somaxconn (128 on 4.4, 4096 on 6.x); LISTEN Send-Q shows it', () => {
    for (const [profile, cap] of [['linux-4.4', 128], ['linux-6.x', 4096]] as const) {
      const h = overflow(profile, 0, {}, 100000);
      h.run(ms(5));
      const l = h.k.inetDiagDump().find((r) => r.state === TCP_LISTEN)!;
      expect(l.wqueue).toBe(cap);
    }
  });

  it('sk_acceptq_is_full uses `>`: backlog 1 holds 2 children (all versions since 2007)', () => {
    for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
      const h = overflow(profile, 2);
      h.run(sec(1));
      const l = h.k.inetDiagDump().find((r) => r.state === TCP_LISTEN)!;
      expect([l.rqueue, l.wqueue]).toEqual([2, 1]);
      expect(h.results.get('c0')).toBe(0);
      expect(h.results.get('c1')).toBe(0);
    }
  });

  it('backlog 0 holds 1 child', () => {
    const h = overflow('linux-6.x', 2, {}, 0);
    h.run(sec(0.5));
    expect(h.k.inetDiagDump().find((r) => r.state === TCP_LISTEN)!.rqueue).toBe(1);
  });

  it('4.4 tcp_conn_request: a full queue still answers the SYN; tcp_check_req drops the ACK and reqsk_timer_handler re-sends the SYN-ACK at +1, +3, +7, +15, +31 s', () => {
    const h = overflow('linux-4.4', 3);
    h.run(sec(70));
    expect(h.results.get('c2')).toBe(0); // the client believes it is connected
    const third = h.xmits().filter((p) => p.seg.flags === (TH_SYN | TH_ACK) && p.seg.dport === h.xmits()[10]?.seg.sport);
    void third;
    const synacks = h.xmits().filter((p) => p.seg.flags === (TH_SYN | TH_ACK));
    // two handshakes that completed, then the third client's SYN-ACK and its 5 retransmissions
    expect(synacks).toHaveLength(3 + 5);
    const base = synacks[2].t;
    const gaps = synacks.slice(3).map((p) => Math.round((p.t - base) / 1e9));
    expect(gaps).toEqual([1, 3, 7, 15, 31]);
    expect(h.k.mib.ListenOverflows).toBeGreaterThanOrEqual(6);
    // after ~63 s the request is dropped silently: nothing answers, the client stays ESTAB
    const c = h.k.inetDiagDump().filter((r) => r.state === TCP_ESTABLISHED && r.dport === 12345);
    expect(c).toHaveLength(3);
  });

  it('4.10+ tcp_conn_request (5ea8ea2cb7f1): a full queue drops the SYN; the client stays SYN-SENT', () => {
    const h = overflow('linux-6.x', 3);
    h.run(sec(0.5));
    const rows = h.k.inetDiagDump();
    const syn = rows.find((r) => r.state === TCP_SYN_SENT)!;
    expect([syn.rqueue, syn.wqueue, syn.timer]).toEqual([0, 1, 1]);
    expect(h.k.mib.ListenOverflows).toBe(1);
    const rcv = h.k.sim.trace.filter((e): e is Extract<TraceEvent, { type: 'rcv' }> => e.type === 'rcv' && e.reason === 'listen-overflow');
    expect(rcv).toHaveLength(1);
  });

  it('tcp_abort_on_overflow=1 (4.4): the final ACK of an overflowing handshake is answered with a RST; connect() saw success, then reads fail with ECONNRESET', () => {
    const h = overflow('linux-4.4', 3, { 'net.ipv4.tcp_abort_on_overflow': 1 });
    h.run(sec(2));
    const rsts = h.segs().filter((s) => s.flags === TH_RST);
    expect(rsts).toHaveLength(1);
    const lastAck = h.segs().filter((s) => s.flags === TH_ACK && s.dport === 12345).at(-1)!;
    expect(rsts[0].seq).toBe(lastAck.ack);
    expect(h.k.mib.EmbryonicRsts).toBe(1);
    const third = h.k.inetDiagDump().filter((r) => r.dport === 12345 && r.state === TCP_ESTABLISHED);
    expect(third).toHaveLength(2);
  });
});

describe('SYN retransmission and connect() failures', () => {
  it('tcp_retransmit_timer: exponential backoff on 4.4 (0,1,3,7,15,31,63 s) then ETIMEDOUT at ~127 s', () => {
    const h = overflow('linux-6.x', 0);
    void h;
    const g = host({ profile: 'linux-4.4' });
    g.start('c', function* (log) {
      const [, r] = yield* client(9); // nobody listens... but a RST would come: make the peer silent
      log('r', r);
      return 0;
    });
    g.k.remotePeers.add(LO); // segments to 127.0.0.1 vanish: an unanswered SYN
    g.run(sec(200));
    const syns = g.xmits().filter((p) => p.seg.flags === TH_SYN);
    expect(syns.map((p) => Math.round((p.t - syns[0].t) / 1e9))).toEqual([0, 1, 3, 7, 15, 31, 63]);
    expect(g.results.get('r')).toBe(-ETIMEDOUT);
  });

  it('6.5+ tcp_syn_linear_timeouts (ccce324dabfe): 4 linear 1 s retries, then doubling; ETIMEDOUT at ~131 s', () => {
    const g = host({ profile: 'linux-6.x' });
    g.k.remotePeers.add(LO);
    const t0 = g.k.now;
    g.start('c', function* (log) {
      const [, r] = yield* client(9);
      log('r', r);
      log('t', g.k.now - t0);
      return 0;
    });
    g.run(sec(200));
    const syns = g.xmits().filter((p) => p.seg.flags === TH_SYN);
    // nominal gaps 1,1,1,1,1,2,4,8,16,32 s; the 4.8+ timer wheel rounds each expiry up to its
    // level's granule (32 ms for 1-2 s, 256 ms for 4-16 s, 2.048 s for 32 s at HZ=250)
    const nominal = [1, 1, 1, 1, 1, 2, 4, 8, 16, 32];
    const granule = (s: number) => (s <= 2 ? 0.032 : s <= 16 ? 0.256 : 2.048);
    expect(syns).toHaveLength(11);
    syns.slice(1).forEach((p, i) => {
      const gap = (p.t - syns[i].t) / 1e9;
      expect(gap).toBeGreaterThanOrEqual(nominal[i]);
      expect(gap).toBeLessThanOrEqual(nominal[i] + granule(nominal[i]) + 0.001);
    });
    expect(g.results.get('r')).toBe(-ETIMEDOUT);
    const total = (g.results.get('t') as number) / 1e9;
    expect(total).toBeGreaterThanOrEqual(131);
    expect(total).toBeLessThan(138);
  });

  it('tcp_v4_send_reset: a SYN to a closed port gets RST/ACK (seq 0, ack ISN+1) and connect() fails with ECONNREFUSED', () => {
    const g = host({ profile: 'linux-4.4' });
    g.start('c', function* (log) {
      const [, r] = yield* client(12346);
      log('r', r);
      return 0;
    });
    g.run(sec(1));
    const [syn, rst] = g.segs();
    expect(flagStr(rst.flags)).toBe('R.');
    expect([rst.seq, rst.ack]).toEqual([0, u32(syn.seq + 1)]);
    expect(g.results.get('r')).toBe(-ECONNREFUSED);
  });
});

describe('closing', () => {
  it('inet_csk_listen_stop: kill -9 of a listener with two queued connections sends [R.] to each (seq snd_nxt, ack rcv_nxt, with TS); the clients read ECONNRESET', () => {
    const h = host({ profile: 'linux-6.x' });
    const srv = h.start('srv', function* () {
      yield* listener(12345, 1);
      yield { op: 'pause' };
      return 0;
    });
    h.run(ms(1));
    for (const name of ['a', 'b']) {
      h.start(name, function* (log) {
        const [fd, r] = yield* client(12345);
        log(name + 'c', r);
        log(name + 'r', yield { op: 'read', fd });
        return 0;
      });
      h.run(h.k.now + ms(5));
    }
    h.procs.signal(srv, 'SIGKILL');
    h.run(sec(1));
    const rsts = h.segs().filter((s) => s.flags === (TH_RST | TH_ACK));
    expect(rsts).toHaveLength(2);
    expect(rsts.every((s) => s.sport === 12345 && s.options.some((o) => o.kind === 'ts'))).toBe(true);
    expect(h.results.get('ar')).toBe(-ECONNRESET);
    expect(h.results.get('br')).toBe(-ECONNRESET);
    expect(h.k.inetDiagDump()).toEqual([]);
  });

  it('tcp_timewait_state_process (TIME_WAIT): a SYN with a higher sequence reopens the 4-tuple with ISN = tw_snd_nxt + 65537', () => {
    const { h, port, serverFin } = serverClosesFirst('linux-6.x', false);
    h.start('c2', function* (log) {
      const [, r] = yield* client(12345, port);
      log('c2', r);
      yield { op: 'pause' };
      return 0;
    });
    h.run(sec(2));
    expect(h.results.get('c2')).toBe(0);
    const synack = h.segs().filter((s) => s.flags === (TH_SYN | TH_ACK)).at(-1)!;
    expect(synack.seq).toBe(u32(serverFin.seq + 1 + 65535 + 2));
  });
});

describe('TIME-WAIT without a listener', () => {
  it('tcp_v4_rcv TCP_TW_SYN (4.4, 6.x): with no listener left the SYN falls through to TCP_TW_ACK — tcp_v4_timewait_ack(), not a RST; the client RSTs that ACK and its re-sent SYN is refused', () => {
    for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
      const { h, port, serverFin, clientFin } = serverClosesFirst(profile, true);
      const before = h.segs().length;
      h.start('c2', function* (log) {
        const [, r] = yield* client(12345, port);
        log('c2', r);
        return 0;
      });
      h.run(sec(5));
      const after = h.segs().slice(before);
      const syn = after[0];
      expect(flagStr(syn.flags)).toBe('S');
      // the TIME-WAIT socket's answer: a bare ACK with its own snd_nxt / rcv_nxt
      const reply = after[1];
      expect([reply.sport, flagStr(reply.flags)]).toEqual([12345, '.']);
      expect(reply.seq).toBe(u32(serverFin.seq + 1));
      expect(reply.ack).toBe(u32(clientFin.seq + 1));
      expect(after.some((s) => s.sport === 12345 && s.flags & TH_RST && s.flags & TH_SYN)).toBe(false);
      // SYN-SENT gets an unacceptable ACK → RST with seq = its ack (tcp_rcv_synsent_state_process)
      expect([flagStr(after[2].flags), after[2].seq]).toEqual(['R', reply.ack]);
      // that RST kills the TIME-WAIT socket (tcp_rfc1337 = 0); the re-sent SYN finds no socket
      const resent = after[3];
      expect(flagStr(resent.flags)).toBe('S');
      expect(flagStr(after[4].flags)).toBe('R.');
      expect(h.results.get('c2')).toBe(-ECONNREFUSED);
    }
  });
});

describe('errno for misuse, never exceptions', () => {
  it('bind twice → EINVAL; listen on a connected socket → EINVAL; connect on a listener → EISCONN; connect twice → EISCONN; bad fd → EBADF; two binds to one port → EADDRINUSE', () => {
    const h = host({ profile: 'linux-6.x' });
    h.start('p', function* (log) {
      const l: number = yield* listener(12345, 5);
      log('bindAgain', yield { op: 'bind', fd: l, addr: 0, port: 12346 });
      log('connectOnListener', yield { op: 'connect', fd: l, addr: LO, port: 12345 });
      const [c, r] = yield* client(12345);
      log('connect', r);
      log('listenConnected', yield { op: 'listen', fd: c, backlog: 1 });
      log('connectAgain', yield { op: 'connect', fd: c, addr: LO, port: 12345 });
      log('badfd', yield { op: 'close', fd: 42 });
      const s: number = yield { op: 'socket' };
      log('portTaken', yield { op: 'bind', fd: s, addr: 0, port: 12345 });
      return 0;
    });
    h.run(sec(1));
    const r = Object.fromEntries(h.results);
    expect(r).toMatchObject({
      bindAgain: -EINVAL, connectOnListener: -EISCONN, connect: 0, listenConnected: -EINVAL,
      connectAgain: -EISCONN, badfd: -EBADF, portTaken: -EADDRINUSE,
    });
  });
});

describe('challenge ACK rate limit', () => {
  it('tcp_send_challenge_ack: a second SYN within tcp_invalid_ratelimit (500 ms) gets no ACK (083ae308280d, 4.7+ and 4.4.155)', () => {
    const h = host({ profile: 'linux-6.x' });
    h.start('srv', () => acceptOne(12345));
    h.run(ms(1));
    h.start('c', function* () {
      yield* client(12345);
      yield { op: 'pause' };
      return 0;
    });
    h.run(ms(100));
    const est = h.k.inetDiagDump().find((r) => r.sport === 12345 && r.state === TCP_ESTABLISHED)!;
    const base = { saddr: LO, daddr: LO, sport: est.dport, dport: 12345, ack: 0, flags: TH_SYN, window: 65495, urgent: 0, options: [], payload: new Uint8Array(0), ipId: 1, ttl: 64, df: true, tos: 0, csum: 'partial' as const };
    h.k.remotePeers.add(0); // nothing special: just inject
    h.k.inject({ ...base, seq: 1000 });
    h.run(h.k.now + ms(1));
    h.k.inject({ ...base, seq: 2000 });
    h.run(h.k.now + ms(1));
    const acks = h.segs().filter((s) => s.sport === 12345 && s.flags === TH_ACK);
    expect(acks).toHaveLength(1);
    expect(h.k.mib.TCPACKSkippedChallenge).toBe(1);
  });
});

describe('pause() (sys_pause: TASK_INTERRUPTIBLE on no wait queue, all versions)', () => {
  it('only a signal ends it: a caught one makes it return -EINTR, SIGSTOP/SIGCONT leave it paused, SIGTERM kills', () => {
    const h = host({ profile: 'linux-4.4' });
    const catcher = h.start('catcher', function* (log, ctx) {
      ctx.catches = new Set(['SIGINT'] as const);
      log('first', yield { op: 'pause' });
      ctx.pendingSignals = []; // the handler ran
      log('second', yield { op: 'pause' });
      return 0;
    });
    const plain = h.start('plain', function* (log) {
      log('plain', yield { op: 'pause' });
      return 0;
    });
    h.run(sec(60)); // nothing else wakes a paused task, however long it waits
    expect(h.results.has('first')).toBe(false);
    expect([catcher.state, plain.state]).toEqual(['blocked', 'blocked']);
    h.procs.signal(catcher, 'SIGINT');
    h.run(sec(61));
    expect(h.results.get('first')).toBe(-EINTR);
    expect(catcher.state).toBe('blocked'); // in its second pause()
    h.procs.signal(plain, 'SIGSTOP');
    h.procs.signal(plain, 'SIGCONT');
    h.run(sec(62));
    expect(plain.state).toBe('blocked');
    expect(h.results.has('plain')).toBe(false);
    h.procs.signal(plain, 'SIGTERM');
    h.run(sec(63));
    expect(plain.state).toBe('zombie');
    expect(plain.exitStatus).toEqual({ kind: 'signaled', sig: 'SIGTERM' });
  });
});

describe('determinism', () => {
  it('the same inputs give a byte-identical trace', () => {
    const a = JSON.stringify(overflow('linux-4.4', 4).k.sim.trace, (_k, v) => (v instanceof Uint8Array ? [...v] : v));
    const b = JSON.stringify(overflow('linux-4.4', 4).k.sim.trace, (_k, v) => (v instanceof Uint8Array ? [...v] : v));
    expect(a.length).toBeGreaterThan(1000);
    expect(a).toBe(b);
  });
});

describe('ACK timing and ephemeral ports', () => {
  it('tcp_fin() in FIN-WAIT-2 (and tcp_timewait_state_process) ACK a FIN at once, unlike the delayed ACK in ESTABLISHED', () => {
    const h = host({ profile: 'linux-6.x' });
    h.start('srv', function* (log) {
      const l: number = yield* listener(12345, 1);
      const fd: number = yield { op: 'accept', fd: l };
      log('closed', yield { op: 'close', fd }); // the server closes first: FIN-WAIT-1 → FIN-WAIT-2
      yield { op: 'pause' };
      return 0;
    });
    h.run(ms(1));
    h.start('c', function* () {
      const [fd] = yield* client(12345);
      yield { op: 'read', fd }; // EOF
      yield { op: 'close', fd }; // the client's FIN
      return 0;
    });
    h.run(sec(1));
    const x = h.xmits();
    const fins = x.filter((p) => p.seg.flags & 1);
    const clientFin = fins.find((p) => p.seg.dport === 12345)!;
    const ack = x.find((p) => p.t > clientFin.t && p.seg.sport === 12345 && p.seg.flags === TH_ACK)!;
    expect(ack.t - clientFin.t).toBeLessThan(50_000); // microseconds, no delayed-ACK timer
  });

  it('__inet_hash_connect (4.4): ephemeral ports are even (the range has an even count, as by default), inside ip_local_port_range, and pinnable', () => {
    const h = host({ profile: 'linux-4.4', sysctl: { 'net.ipv4.ip_local_port_range': [40000, 40099] } });
    h.start('srv', function* () {
      yield* listener(12345, 100);
      yield { op: 'pause' };
      return 0;
    });
    h.run(ms(1));
    for (let i = 0; i < 5; i++) {
      h.start(`c${i}`, function* () {
        yield* client(12345);
        yield { op: 'pause' };
        return 0;
      });
      h.run(h.k.now + ms(1));
    }
    const ports = h.k.inetDiagDump().filter((r) => r.dport === 12345).map((r) => r.sport);
    expect(ports).toHaveLength(5);
    for (const p of ports) {
      expect(p % 2).toBe(0);
      expect(p).toBeGreaterThanOrEqual(40000);
      expect(p).toBeLessThanOrEqual(40099);
    }
    h.k.pinEphemeralPort(40050, LO, LO, 12345);
    h.start('pinned', function* () {
      yield* client(12345);
      yield { op: 'pause' };
      return 0;
    });
    h.run(h.k.now + ms(1));
    expect(h.k.inetDiagDump().some((r) => r.sport === 40050)).toBe(true);
  });
});
