/**
 * netcat's readwrite(): the loop that shuttles between stdin and the connection, per version.
 *
 *  - 1.105 (Debian's quit-timer patch, qflag 0 by default): the loop runs while the connection can
 *    be read, so the peer's FIN ends nc. End of input: with -q 0 (the default) shutdown(SHUT_WR)
 *    and close stdin; with -q N > 0 only alarm(N), exit(0) N seconds later; a negative -q does
 *    nothing.
 *  - 1.219 (qflag -1 by default): four poll slots (stdin, net out, net in, stdout). End of input
 *    stops reading stdin and sends nothing unless -N (or -q N >= 0, which sets -N): then
 *    shutdown(SHUT_WR). A listener ends when the peer's FIN arrives; a client ends when both
 *    stdin and the connection have ended. With -q N >= 0 end of input also closes the connection
 *    and exits N seconds later (-q 0: at once).
 *  - -w: a poll() that times out ends readwrite() (the connection is then closed by main()).
 *
 * 1.219 writes to the connection only when poll() reported POLLOUT for it: what it read from stdin
 * waits in stdinbuf (BUFSIZE) until the next poll() round says the socket is writeable
 * (tcp_poll()'s sk_stream_is_writeable(): free send buffer at least half of what is queued), then
 * drainbuf() writes all of it; so a stalled connection stops taking data just past 2/3 of
 * sk_sndbuf, not at a full buffer. 1.105 polls the connection for POLLIN only and writes (blocking,
 * atomicio()) right after each stdin read. Writes to stdout are made as soon as the data is read
 * (the real loop makes them on the next poll() round, microseconds later). Returns `{ exit }` when nc exits from
 * inside the loop (exit(0) of the quit timer), `{}` when readwrite() returns.
 */
import { POLLERR, POLLHUP, POLLIN, POLLOUT, type PollResult, type ProgramCtx, type Sys } from '../model/process.ts';

const POLLNVAL = 0x20;
/** 1.105 reads standard input `plen` bytes at a time: 2048 unless -j (jumbo). */
const STDIN_READ_105 = 2048;
/** 1.219's BUFSIZE: read(0, buf, 16384), as strace shows it reading from `yes`. */
const BUFSIZE_219 = 16384;
const SHUT_RD = 0;
const SHUT_WR = 1;

export interface RwOptions {
  /** -l: the connection was accepted. */
  listening: boolean;
  /** -q seconds (negative: never). */
  quitSecs: number;
  /** -w in ms (-1: none). */
  timeoutMs: number;
  /** -N (1.219). */
  shutWr: boolean;
}

export interface RwResult {
  exit?: number;
}

/** The poll() timeout: -w, or less when the quit timer's alarm fires first. */
function pollTimeout(clock: { now: number }, timeoutMs: number, alarmAt: number | null): { ms: number; alarm: boolean } {
  if (alarmAt === null) return { ms: timeoutMs, alarm: false };
  const left = Math.max(0, Math.ceil((alarmAt - clock.now) / 1e6));
  return timeoutMs >= 0 && timeoutMs < left ? { ms: timeoutMs, alarm: false } : { ms: left, alarm: true };
}

function* pollOnce(fds: { fd: number; events: number }[], ms: number): Generator<Sys, PollResult | null, any> {
  if (!fds.length) {
    // poll() on no descriptors: it only waits for its timeout (or forever)
    if (ms < 0) yield { op: 'pause' };
    else yield { op: 'nanosleep', ns: ms * 1e6 };
    return { ready: 0, revents: [] };
  }
  const r: PollResult | number = yield { op: 'poll', fds, timeoutMs: ms };
  return typeof r === 'number' ? null : r;
}

export function* readwrite105(ctx: ProgramCtx, net: number, o: RwOptions): Generator<Sys, RwResult, any> {
  const clock = ctx.k;
  let netOpen = true;
  let stdin = true;
  let alarmAt: number | null = null;
  while (netOpen) {
    const t = pollTimeout(clock, o.timeoutMs, alarmAt);
    const fds = [{ fd: net, events: POLLIN }];
    if (stdin) fds.push({ fd: 0, events: POLLIN });
    const r = yield* pollOnce(fds, t.ms);
    if (!r) return { exit: 1 };
    if (r.ready === 0) return t.alarm ? { exit: 0 } : {};
    const rNet = r.revents[0] ?? 0;
    const rIn = stdin ? (r.revents[1] ?? 0) : 0;
    if (rNet & POLLIN) {
      const d: string | number = yield { op: 'read', fd: net };
      if (typeof d === 'number') return {};
      if (d === '') {
        yield { op: 'shutdown', fd: net, how: SHUT_RD };
        netOpen = false;
      } else yield { op: 'write', fd: 1, data: d };
    } else if (rNet & POLLHUP) {
      yield { op: 'shutdown', fd: net, how: SHUT_RD };
      netOpen = false;
    }
    if (!stdin) continue;
    let eof = false;
    if (rIn & POLLIN) {
      const d: string | number = yield { op: 'read', fd: 0, count: STDIN_READ_105 };
      if (typeof d === 'number') return {};
      if (d === '') eof = true;
      else {
        const w: number = yield { op: 'write', fd: net, data: d };
        if (w < 0) return {};
      }
    } else if (rIn & POLLHUP) eof = true;
    if (eof) {
      // "if the user asked to exit on EOF, do it" (qflag 0, the default)
      if (o.quitSecs === 0) {
        yield { op: 'shutdown', fd: net, how: SHUT_WR };
        yield { op: 'close', fd: 0 };
      }
      if (o.quitSecs > 0) alarmAt = clock.now + o.quitSecs * 1e9;
      stdin = false;
    }
  }
  return {};
}

export function* readwrite219(ctx: ProgramCtx, net: number, o: RwOptions): Generator<Sys, RwResult, any> {
  // the quit timer's alarm() reads the clock (the kernel's, as clock_gettime would)
  const clock = ctx.k;
  let stdin = true;
  let netin = true;
  let netout = true;
  let netOpen = true;
  let ctrld = false;
  let alarmAt: number | null = null;
  // stdinbuf: read from stdin, not yet written to the connection
  let stdinbuf = '';
  for (;;) {
    let delayExit = false;
    // "both outputs are gone, we can't continue": the connection failed (POLLERR) with stdinbuf
    // still full; stdout went with net in ("net in gone and queue empty"). strace on 6.18: poll()
    // POLLOUT|POLLERR|POLLHUP, write(-1) EBADF, read(-1) EBADF, close(3), exit_group(0)
    if (!netout && !netin && stdinbuf) return {};
    // both inputs are gone (and stdinbuf drained), or a listener's connection ended, or ^D with -q: done
    if (!stdin && !netin && !stdinbuf) {
      if (o.quitSecs <= 0) return {};
      delayExit = true;
    } else if ((o.listening && !netin) || ctrld) {
      if (o.quitSecs < 0 || !ctrld) return {};
      delayExit = true;
    }
    if (delayExit) {
      if (o.quitSecs === 0) return { exit: 0 };
      if (netOpen) {
        yield { op: 'close', fd: net };
        netOpen = netin = netout = false;
      }
      // signal(SIGALRM, quit); alarm(qflag): re-armed while the loop comes back here
      alarmAt = clock.now + o.quitSecs * 1e9;
    }
    const t = pollTimeout(clock, o.timeoutMs, alarmAt);
    const fds: { fd: number; events: number }[] = [];
    // pfd[POLL_STDIN] asks for POLLIN while stdinbuf has room; pfd[POLL_NETOUT] for POLLOUT while it
    // holds data (here one entry for the socket's two slots: poll() masks revents by events)
    const askIn = stdin && stdinbuf.length < BUFSIZE_219;
    const askOut = netout && stdinbuf.length > 0;
    if (stdin) fds.push({ fd: 0, events: askIn ? POLLIN : 0 });
    if (netin || netout) fds.push({ fd: net, events: (netin ? POLLIN : 0) | (askOut ? POLLOUT : 0) });
    const r = yield* pollOnce(fds, t.ms);
    if (!r) return { exit: 1 };
    if (r.ready === 0) return t.alarm ? { exit: 0 } : {};
    const rIn = stdin ? r.revents[0] : 0;
    const rNet = netin || netout ? r.revents[stdin ? 1 : 0] : 0;
    // socket errors close both net slots; a hang-up without data ends a reader
    if (rNet & (POLLERR | POLLNVAL)) netin = netout = false;
    if (rIn & (POLLERR | POLLNVAL)) stdin = false;
    if (stdin && rIn & POLLHUP && !(rIn & POLLIN)) stdin = false;
    if (netin && rNet & POLLHUP && !(rNet & POLLIN)) netin = false;
    if (netout && rNet & POLLHUP) {
      if (o.shutWr) yield { op: 'shutdown', fd: net, how: SHUT_WR };
      netout = false;
    }
    if (!netout) stdin = false;
    if (stdin && askIn && rIn & POLLIN) {
      // fillbuf(): read(0, stdinbuf + stdinbufpos, BUFSIZE - stdinbufpos)
      const d: string | number = yield { op: 'read', fd: 0, count: BUFSIZE_219 - stdinbuf.length };
      if (d === '' || typeof d === 'number') {
        stdin = false;
        if (d === '' && o.quitSecs >= 0) ctrld = true;
      } else stdinbuf += d;
    }
    // drainbuf(): only on this round's POLLOUT (tcp_poll(): sk_stream_is_writeable())
    if (netout && askOut && rNet & POLLOUT) {
      const w: number = yield { op: 'write', fd: net, data: stdinbuf };
      if (w < 0) netout = false;
      else stdinbuf = stdinbuf.slice(w);
    }
    if (netin && rNet & POLLIN) {
      const d: string | number = yield { op: 'read', fd: net };
      if (typeof d === 'number') netin = false;
      else if (d === '') {
        yield { op: 'shutdown', fd: net, how: SHUT_RD };
        netin = false;
      } else yield { op: 'write', fd: 1, data: d };
    }
    // stdin gone and its buffer drained: -N shuts the connection down for writing
    if (!stdin && netout && !stdinbuf) {
      if (o.shutWr) yield { op: 'shutdown', fd: net, how: SHUT_WR };
      netout = false;
    }
  }
}
