/**
 * sk_flush_backlog() in tcp_sendmsg_locked() (net/ipv4/tcp.c, Linux 6.18; d41a69f1d390 "tcp: make
 * tcp_sendmsg() aware of socket backlog", 4.7, batched to every 16 skbs in 5.4; not in 4.4): every 16th skb a write allocates, the ACKs that wait in the socket's backlog are
 * taken first ("if (unlikely(process_backlog >= 16)) ... if (sk_flush_backlog(sk)) goto restart").
 * On lo the peer receives and ACKs the write's first skbs in the writer's own context, so the
 * flush frees their truesize and sk_stream_memory_free() lets more in.
 * Measured on 6.18.44 (`unshare -n`, tcp_rmem 8192 8192 8192, tcp_wmem 65536 65536 65536; the
 * server writes 1 byte, the client sets TCP_NODELAY, then the server writes 300000 bytes,
 * non-blocking): perf tcp:tcp_sendmsg_locked shows size_goal 2048 and the server's tcp_probe
 * (the ACK of 4096 bytes) in python3's context between the 16th and 17th skb, then the same tail
 * skb again (the restart); the write returns 53248 (26 skbs), ss -tmi right after: w65792,
 * SIOCOUTQ 49152; 0.2 s later w62656. Without the flush the model took 49152.
 */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/model/index.ts';
import type { ProfileName } from '../../src/model/types.ts';
import type { TcpSock } from '../../src/model/sock.ts';

const LO = 0x7f000001;

function run(profile: ProfileName) {
  const { k, procs } = createHost({ profile, seed: 1, sysctl: { 'net.ipv4.tcp_rmem': [8192, 8192, 8192], 'net.ipv4.tcp_wmem': [65536, 65536, 65536] } as never });
  const data = new Uint8Array(300000).fill(120);
  const out: { wrote?: number; wmemAfter?: number; wmemSettled?: number } = {};
  procs.programs.set('w', function* (ctx: any): any {
    const l = yield { op: 'socket' };
    yield { op: 'bind', fd: l, addr: LO, port: 20029 };
    yield { op: 'listen', fd: l, backlog: 1 };
    const c = yield { op: 'socket' };
    yield { op: 'connect', fd: c, addr: LO, port: 20029 };
    const s = yield { op: 'accept', fd: l };
    const sk: TcpSock = ctx.procs.tasks.get(ctx.pid).fds.get(s).sk;
    for (const fd of [c, s]) yield { op: 'fcntl', fd, cmd: 'F_SETFL', arg: 0o4000 };
    yield { op: 'write', fd: s, data: data.subarray(0, 1) };
    yield { op: 'nanosleep', ns: 2e8 };
    yield { op: 'setsockopt', fd: c, opt: 'TCP_NODELAY', val: 1 };
    yield { op: 'nanosleep', ns: 2e8 };
    out.wrote = yield { op: 'write', fd: s, data };
    out.wmemAfter = sk.wmemQueued;
    yield { op: 'nanosleep', ns: 2e8 };
    out.wmemSettled = sk.wmemQueued;
    yield { op: 'pause' };
    return 0;
  });
  procs.spawn('w', ['w']);
  k.sim.runUntil(k.now + 2e9);
  return out;
}

describe('tcp_sendmsg_locked(): sk_flush_backlog() every 16 new skbs (Linux 6.18)', () => {
  it('a 300000-byte write on lo against an 8192-byte receive buffer: the flush frees the two acked skbs, so 26 skbs (53248) go in, w65792 then w62656, as on 6.18.44', () => {
    expect(run('linux-6.x')).toEqual({ wrote: 53248, wmemAfter: 65792, wmemSettled: 62656 });
  });
  it('linux-4.4 (no sk_flush_backlog(), no head truesize): the write stops at sk_sndbuf of payload', () => {
    expect(run('linux-4.4').wrote).toBe(65536);
  });
});
