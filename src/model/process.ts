/**
 * Processes, file descriptors, terminals, signals and the syscall layer.
 *
 * A program is an iterator that yields syscall requests (`Sys`) and receives their
 * results: Linux return values, `-errno` on failure. A blocking call parks the task on a
 * wait queue; any wake-up re-runs the call. A stopped task makes no progress until SIGCONT.
 */
import {
  EADDRINUSE,
  EAGAIN,
  EALREADY,
  EBADF,
  EINTR,
  EINVAL,
  EISCONN,
  ENOTCONN,
  ENOTSOCK,
  EPIPE,
  Kernel,
  type CaptureTap,
} from './kernel.ts';
import { inetCreate } from './af_inet.ts';
import { inetCskAcceptDequeue, inetCskGetPort, inetCskListenStart } from './inet_connection_sock.ts';
import { openTap } from './loopback.ts';
import { tcpClose, tcpSendmsg, tcpShutdown } from './tcp.ts';
import { tcpV4Connect } from './tcp_ipv4.ts';
import { append, fewAdd, sockDefWakeup, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, type Few, type TcpSock, type Waiter, type WaitQueue } from './sock.ts';
import type { SimEvent } from './sim.ts';
import { IdTable } from './inttable.ts';
import {
  TCP_CLOSE,
  TCP_CLOSE_WAIT,
  TCP_ESTABLISHED,
  TCP_LISTEN,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  type Segment,
  type Signal,
  type SocketTable,
} from './types.ts';

/** PID_MAX_LIMIT on 64-bit (include/linux/threads.h): pids are below it. */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;
/** RESERVED_PIDS (kernel/pid.c): where pid allocation starts again after wrapping. */
export const RESERVED_PIDS = 300;
/**
 * The longest sleep the model schedules (ns): beyond it a sleep never ends. The kernel's is
 * KTIME_MAX (2^63 - 1 ns); the model stops at 2^52, where integer ns are still exact doubles
 * added to any time of a run (runs last at most 10^6 s).
 */
export const KTIME_MAX_NS = 2 ** 52;

export const POLLIN = 0x001;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLRDHUP = 0x2000;

export const SIGNUM: Record<Signal, number> = {
  SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20,
};

export type Sys =
  | { op: 'socket' }
  | { op: 'setsockopt'; fd: number; opt: 'SO_REUSEADDR' | 'SO_REUSEPORT'; val: number }
  | { op: 'getsockopt'; fd: number; opt: 'SO_ERROR' }
  | { op: 'bind'; fd: number; addr: number; port: number }
  | { op: 'listen'; fd: number; backlog: number }
  | { op: 'connect'; fd: number; addr: number; port: number }
  | { op: 'accept'; fd: number; nonblock?: boolean }
  | { op: 'getpeername'; fd: number }
  | { op: 'poll'; fds: { fd: number; events: number }[]; timeoutMs: number }
  | { op: 'read'; fd: number }
  | { op: 'write'; fd: number; data: string }
  | { op: 'shutdown'; fd: number; how: number }
  | { op: 'close'; fd: number }
  | { op: 'nanosleep'; ns: number }
  /** Spend CPU time (program start-up, formatting, /proc scans). */
  | { op: 'cpu'; ns: number }
  /** netlink inet_diag dump plus the /proc fd scan `ss -p` does. */
  | { op: 'inet_diag' }
  | { op: 'pcap_open'; filter: (seg: Segment) => boolean }
  /** Block until a signal arrives (tcpdump's capture loop); returns -EINTR. */
  | { op: 'pause' }
  | { op: 'pcap_close' }
  | { op: 'vfs_write'; path: string; data: Uint8Array }
  | { op: 'spawn'; program: string; argv: string[]; pid?: number; stdin?: FileRef; stdout?: FileRef; pgid?: number; startupNs?: number }
  /** waitpid(pid, WUNTRACED): returns an encoded status; blocks until a change. */
  | { op: 'waitpid'; pid: number }
  | { op: 'kill'; pid: number; sig: Signal }
  | { op: 'tcsetpgrp'; pgid: number }
  | { op: 'pipe' }
  | { op: 'exit'; status: number };

export type SysResult = number | { fd: number } | SocketTable | string | null | PollResult | WaitStatus | CaptureTap | PipeFds;
export interface PollResult {
  ready: number;
  revents: number[];
}
export type WaitStatus = { kind: 'exited'; status: number } | { kind: 'signaled'; sig: Signal } | { kind: 'stopped'; sig: Signal };
export interface PipeFds {
  read: number;
  write: number;
}

/**
 * A running program: an iterator over its syscalls, whose next(result) receives the result of
 * the previous call. The userland programs are generator functions (they read like C); a
 * program may also be a hand-written state machine (an object with next()), which is
 * smaller and quicker to resume than a generator: the bench's 10,000 clients are written that
 * way (its connect phase takes about half the time).
 */
export type ProgramGen = Iterator<Sys, number, any>;
export interface ProgramCtx {
  pid: number;
  argv: string[];
  k: Kernel;
  procs: ProcessTable;
  tty: Tty | null;
  /**
   * Signals this program catches instead of the default action, and those set to SIG_IGN. A
   * program changes its dispositions by assigning a set of its own (sigaction()): both start
   * as one shared empty set.
   */
  catches: ReadonlySet<Signal>;
  ignores: ReadonlySet<Signal>;
  /** Signals delivered but not yet handled (for programs that catch them). */
  pendingSignals: Signal[];
}
export type Program = (ctx: ProgramCtx) => ProgramGen;

/** Every program's first signal dispositions and pending list: shared, never mutated. */
const NO_SIGSET: ReadonlySet<Signal> = new Set<Signal>();
const NO_SIGNALS: Signal[] = Object.freeze([]) as unknown as Signal[];

/** A task's ProgramCtx: an object literal, so that V8 can pretenure it with its task (see newTask). */
function newCtx(pid: number, argv: string[], k: Kernel, procs: ProcessTable, tty: Tty | null): ProgramCtx {
  return { pid, argv, k, procs, tty, catches: NO_SIGSET, ignores: NO_SIGSET, pendingSignals: NO_SIGNALS };
}

/** An open file: a socket, a terminal, or one end of a pipe. */
export type FileRef =
  | { kind: 'sock'; sk: TcpSock; refs: number }
  | { kind: 'tty'; tty: Tty; refs: number }
  | { kind: 'pipe'; pipe: Pipe; end: 'r' | 'w'; refs: number };

export class Pipe {
  buf = '';
  writers = 0;
  waiters = new Set<Waiter>();
}

/** A terminal: output goes to the trace; keys go to the foreground process group. */
export class Tty {
  readonly name: string;
  cols: number;
  fgPgid = 0;
  input: string[] = [];
  eof = false;
  waiters = new Set<Waiter>();
  constructor(name: string, cols: number) {
    this.name = name;
    this.cols = cols;
  }
}

/**
 * A task's file descriptor table (files_struct's fd array): files indexed by fd, with the
 * get/set/has/delete/keys of a Map (keys in ascending fd order, the order exit closes them).
 * An array instead of a Map: a Map costs a few hundred bytes even for one fd.
 */
export class FdTable {
  private files: (FileRef | undefined)[] = [];
  get(fd: number): FileRef | undefined {
    return fd >= 0 && fd < this.files.length ? this.files[fd] : undefined;
  }
  has(fd: number): boolean {
    return this.get(fd) !== undefined;
  }
  set(fd: number, f: FileRef): this {
    if (!Number.isInteger(fd) || fd < 0 || fd >= 1 << 20) throw new Error(`fd ${fd} out of range`);
    const files = this.files;
    if (files.length === 0 && fd === 0) {
      this.files = [f]; // exact size: most tasks of a large scenario hold one fd
      return this;
    }
    while (files.length < fd) files.push(undefined);
    files[fd] = f;
    return this;
  }
  delete(fd: number): boolean {
    if (this.get(fd) === undefined) return false;
    const files = this.files;
    files[fd] = undefined;
    while (files.length && files[files.length - 1] === undefined) files.pop();
    return true;
  }
  /** The open fds, ascending. */
  *keys(): IterableIterator<number> {
    const files = this.files;
    for (let fd = 0; fd < files.length; fd++) if (files[fd] !== undefined) yield fd;
  }
}

export type TaskState = 'running' | 'blocked' | 'stopped' | 'zombie';

/** Every task's first (empty) list of status changes, shared and frozen (see append()). */
const NO_REPORTS: WaitStatus[] = Object.freeze([]) as unknown as WaitStatus[];

/** A process (task_struct, as far as these experiments need one). Made by newTask(). */
export interface Task extends Waiter {
  pid: number;
  comm: string;
  argv: string[];
  pgid: number;
  parent: Task | null;
  state: TaskState;
  fds: FdTable;
  gen: ProgramGen;
  ctx: ProgramCtx;
  /** The syscall in progress (re-run on wake-up). */
  pending: Sys | null;
  /** Result of the completed syscall, until the task returns to user space with it. */
  result: SysResult | undefined;
  waitEvent: SimEvent | null;
  timeoutEvent: SimEvent | null;
  resumeValue: SysResult | undefined;
  exitStatus: WaitStatus | null;
  /** Status changes not yet reported to the parent's waitpid(). */
  reports: WaitStatus[];
  /**
   * The wait queues the task is on (each once): none, the one queue (the usual case, without
   * an array), or an array of two or more (poll() on several fds).
   */
  waitingOn: Few<WaitQueue>;
  stopWhileBlocked: boolean;
  /** The pending call is being re-run after a wake-up (not a new call). */
  rerun: boolean;
  /** A task is its own waiter on wait queues: a wake-up asks its process table to re-run it. */
  wake(): void;
}

function wakeTask(this: Task): void {
  this.ctx.procs.wakeTask(this);
}

/** A new task: an object literal, so that V8 can pretenure tasks like sockets (see newTcpSock). */
function newTask(pid: number, comm: string, argv: string[], gen: ProgramGen, ctx: ProgramCtx, parent: Task | null, pgid: number): Task {
  return {
    pid,
    comm,
    argv,
    pgid,
    parent,
    state: 'running',
    fds: new FdTable(),
    gen,
    ctx,
    pending: null,
    result: undefined,
    waitEvent: null,
    timeoutEvent: null,
    resumeValue: undefined,
    exitStatus: null,
    reports: NO_REPORTS,
    waitingOn: null,
    stopWhileBlocked: false,
    rerun: false,
    wake: wakeTask,
  };
}

/**
 * The process table plus the syscall layer. `programs` maps names to generator functions
 * (nc, ss, tcpdump, sleep, grep, bash ...), registered by src/userland.
 */
export class ProcessTable {
  readonly k: Kernel;
  /** The tasks by pid (iterated in pid order). */
  readonly tasks = new IdTable<Task>();
  readonly ttys = new Map<string, Tty>();
  readonly programs = new Map<string, Program>();
  readonly vfs = new Map<string, Uint8Array>();
  lastPid = 300;
  /** Facts about the machine's environment that programs observe (a resolver, ...). */
  env = { dns: true, ncBacklog: 1 };
  /** Pinned pids for the next processes a terminal's shell starts (chance inputs). */
  readonly pidPins = new Map<string, number[]>();
  /** Extra start-up latency (ns) for the next process a terminal's shell starts. */
  readonly startupPins = new Map<string, number[]>();

  constructor(k: Kernel) {
    this.k = k;
  }

  tty(name: string, cols = 80): Tty {
    let t = this.ttys.get(name);
    if (!t) {
      t = new Tty(name, cols);
      this.ttys.set(name, t);
    }
    return t;
  }

  /** Print on a terminal (or nowhere, for a task without one). */
  ttyWrite(tty: Tty | null, pid: number, stream: 'stdout' | 'stderr' | 'echo', text: string): void {
    if (!text) return;
    this.k.sim.emit({ type: 'output', t: this.k.now, pid, tty: tty?.name ?? null, stream, text });
  }

  /** Characters typed on a terminal: echoed, then queued for the reader (canonical mode). */
  ttyType(tty: Tty, text: string): void {
    this.ttyWrite(tty, 0, 'echo', text);
    tty.input.push(text);
    for (const w of [...tty.waiters]) w.wake();
  }

  /** A control key: ECHOCTL echo, then the signal to the foreground process group. */
  ttyKey(tty: Tty, keyName: '^C' | '^Z' | '^D' | '^\\'): void {
    if (keyName === '^D') {
      tty.eof = true;
      for (const w of [...tty.waiters]) w.wake();
      return;
    }
    this.ttyWrite(tty, 0, 'echo', keyName);
    // n_tty: INTR/SUSP/QUIT flush the input queue (no NOFLSH), so type-ahead is discarded
    tty.input = [];
    const sig: Signal = keyName === '^C' ? 'SIGINT' : keyName === '^Z' ? 'SIGTSTP' : 'SIGTERM';
    for (const t of [...this.tasks.values()]) if (t.pgid === tty.fgPgid && t.state !== 'zombie') this.signal(t, sig);
  }

  /** Start a program as a new task. */
  spawn(program: string, argv: string[], opts: { parent?: Task | null; pid?: number; tty?: Tty | null; stdin?: FileRef; stdout?: FileRef; pgid?: number; startupNs?: number } = {}): Task | null {
    const prog = this.programs.get(program);
    if (!prog) return null;
    // a pinned pid (a chance input) is taken only if Linux could have allocated it: free and
    // below PID_MAX_LIMIT; otherwise the task gets the next free pid, as alloc_pid() gives one
    const pinned = opts.pid;
    let pid = pinned !== undefined && Number.isInteger(pinned) && pinned > 0 && pinned < PID_MAX_LIMIT && !this.tasks.has(pinned) ? pinned : this.lastPid + 1;
    if (pid !== pinned && (pid >= PID_MAX_LIMIT || this.tasks.has(pid))) {
      pid = this.allocPid();
      if (pid < 0) return null;
    }
    this.lastPid = Math.max(this.lastPid, pid);
    const tty = opts.tty ?? opts.parent?.ctx.tty ?? null;
    const ctx = newCtx(pid, argv, this.k, this, tty);
    const gen = prog(ctx);
    const name = argv[0] ?? program;
    const comm = (name.includes('/') ? name.split('/').pop()! : name).slice(0, 15);
    const task = newTask(pid, comm, argv, gen, ctx, opts.parent ?? null, opts.pgid ?? pid);
    const ttyFile: FileRef | null = tty ? { kind: 'tty', tty, refs: 0 } : null;
    const inp = opts.stdin ?? ttyFile;
    if (inp) {
      task.fds.set(0, inp);
      inp.refs++;
    }
    const out = opts.stdout ?? ttyFile;
    if (out) {
      task.fds.set(1, out);
      out.refs++;
      if (out.kind === 'pipe') out.pipe.writers++;
    }
    if (ttyFile) {
      task.fds.set(2, ttyFile);
      ttyFile.refs++;
    }
    this.tasks.set(pid, task);
    if (this.k.sim.observed) this.k.sim.emit({ type: 'proc', t: this.k.now, pid, comm: task.comm, action: 'exec', argv, tty: tty?.name ?? null });
    this.k.sim.postAfter(opts.startupNs ?? 0, ProcessTable.start, this, task);
    return task;
  }

  /**
   * alloc_pid() (kernel/pid.c): idr_alloc_cyclic(), the first free pid after the last one
   * given, wrapping to RESERVED_PIDS (300) past pid_max. Returns -1 when every pid is in use
   * (fork() fails with EAGAIN). The usual case, lastPid + 1 free, does not come here.
   */
  private allocPid(): number {
    let pid = this.lastPid + 1;
    for (let n = 0; n < PID_MAX_LIMIT; n++, pid++) {
      if (pid >= PID_MAX_LIMIT) {
        pid = RESERVED_PIDS;
        this.lastPid = RESERVED_PIDS - 1; // the cursor wraps with it
      }
      if (!this.tasks.has(pid)) return pid;
    }
    return -1;
  }

  // Event functions shared by every task (no closure per event).
  private static start(pt: ProcessTable, task: Task): void {
    pt.step(task, undefined);
  }
  private static rerun(pt: ProcessTable, task: Task): void {
    if (task.state === 'running') pt.execute(task);
  }
  /**
   * The task returns to user space only after the softirq work its call started (on lo the
   * whole reply chain runs in the sender's context), so wait until the chain is quiet.
   */
  private static resume(pt: ProcessTable, task: Task): void {
    const k = pt.k;
    if (k.softirqUntil > k.now) {
      k.sim.post(k.softirqUntil, ProcessTable.resume, pt, task);
      return;
    }
    const result = task.result;
    task.result = undefined;
    pt.step(task, result);
  }

  private allocFd(task: Task, f: FileRef): number {
    let fd = 0;
    while (task.fds.has(fd)) fd++;
    task.fds.set(fd, f);
    f.refs++;
    if (f.kind === 'sock' && this.k.sim.observed) this.k.sim.emit({ type: 'fd', t: this.k.now, pid: task.pid, fd, inode: f.sk.inode, action: 'install' });
    return fd;
  }

  /** Advance a task's generator with `value`, then execute the next syscall it yields. */
  private step(task: Task, value: SysResult | undefined): void {
    if (task.state === 'zombie') return;
    if (task.state === 'stopped') {
      task.resumeValue = value;
      task.stopWhileBlocked = false;
      return;
    }
    let r: IteratorResult<Sys, number>;
    try {
      r = task.gen.next(value);
    } catch (e) {
      throw new Error(`program ${task.comm} (pid ${task.pid}) threw: ${(e as Error).message}`);
    }
    if (r.done) return this.exit(task, { kind: 'exited', status: r.value ?? 0 });
    task.pending = r.value;
    this.execute(task);
  }

  private unwait(task: Task): void {
    const qs = task.waitingOn;
    if (Array.isArray(qs)) for (let i = 0; i < qs.length; i++) qs[i].delete(task);
    else if (qs !== null) qs.delete(task);
    task.waitingOn = null;
    if (task.timeoutEvent) this.k.sim.cancel(task.timeoutEvent);
    task.timeoutEvent = null;
  }

  /** block() on one wait queue (no array). */
  private blockOn(task: Task, q: WaitQueue): void {
    task.state = 'blocked';
    q.add(task);
    task.waitingOn = fewAdd(task.waitingOn, q);
  }

  private block(task: Task, queues: WaitQueue[]): void {
    task.state = 'blocked';
    for (const q of queues) this.blockOn(task, q);
  }

  /** @internal the wake-up of a task (Task.wake). */
  wakeTask(task: Task): void {
    if (task.state !== 'blocked') {
      if (task.state === 'stopped') task.stopWhileBlocked = true;
      return;
    }
    this.unwait(task);
    task.state = 'running';
    task.rerun = true;
    // re-run the pending call in a fresh event (wake-ups happen inside softirq processing)
    this.k.sim.postAfter(0, ProcessTable.rerun, this, task);
  }

  private complete(task: Task, result: SysResult, costNs = this.k.profile.costs.syscallNs): void {
    const sys = task.pending!;
    task.pending = null;
    task.rerun = false;
    if (typeof result === 'number' && this.k.sim.traceDetail && sys.op !== 'cpu' && sys.op !== 'nanosleep')
      this.k.sim.emit({ type: 'syscall', t: this.k.now, pid: task.pid, call: sys.op, args: describeArgs(sys), ret: result < 0 ? -1 : result, errno: result < 0 ? errnoName(-result) : undefined });
    // the task returns to user space only after the softirq work its call started (on lo the
    // whole reply chain runs in the sender's context), so wait until the chain is quiet
    // (ProcessTable.resume). At most one completed call per task is in flight: the next
    // one needs the task to be stepped first.
    task.result = result;
    this.k.sim.post(Math.max(this.k.now + costNs, this.k.softirqUntil), ProcessTable.resume, this, task);
  }

  private sockOf(task: Task, fd: number): TcpSock | number {
    const f = task.fds.get(fd);
    if (!f) return -EBADF;
    if (f.kind !== 'sock') return -ENOTSOCK;
    return f.sk;
  }

  /** Execute (or re-execute after a wake-up) the task's pending syscall. */
  private execute(task: Task): void {
    const s = task.pending;
    if (!s || task.state === 'zombie') return;
    if (task.state === 'stopped') return;
    task.state = 'running';
    const k = this.k;
    // a caught signal interrupts a blocking call
    if (task.ctx.pendingSignals.length && ['pause', 'accept', 'poll', 'read', 'connect', 'nanosleep', 'waitpid'].includes(s.op)) {
      this.unwait(task);
      return this.complete(task, -EINTR);
    }
    switch (s.op) {
      case 'socket': {
        const sk = inetCreate(k);
        const fd = this.allocFd(task, { kind: 'sock', sk, refs: 0 });
        sk.fileRefs = 1;
        return this.complete(task, fd);
      }
      case 'setsockopt': {
        const sk = this.sockOf(task, s.fd);
        if (typeof sk === 'number') return this.complete(task, sk);
        if (s.opt === 'SO_REUSEADDR') sk.reuse = !!s.val;
        else sk.reuseport = !!s.val;
        return this.complete(task, 0);
      }
      case 'getsockopt': {
        const sk = this.sockOf(task, s.fd);
        if (typeof sk === 'number') return this.complete(task, sk);
        const err = sk.skErr;
        sk.skErr = 0;
        return this.complete(task, err);
      }
      case 'bind': {
        const sk = this.sockOf(task, s.fd);
        if (typeof sk === 'number') return this.complete(task, sk);
        // inet_bind(): "Check these errors (active socket, double bind)."
        if (sk.state !== TCP_CLOSE || sk.sport) return this.complete(task, -EINVAL);
        sk.saddr = s.addr;
        const err = inetCskGetPort(k, sk, s.port);
        if (err) sk.saddr = 0;
        return this.complete(task, err);
      }
      case 'listen': {
        const sk = this.sockOf(task, s.fd);
        if (typeof sk === 'number') return this.complete(task, sk);
        if (sk.ss !== 'unconnected' || (sk.state !== TCP_CLOSE && sk.state !== TCP_LISTEN)) return this.complete(task, -EINVAL);
        // __sys_listen(): "if ((unsigned int)backlog > somaxconn) backlog = somaxconn"
        const somaxconn = k.sysctl['net.core.somaxconn'];
        const backlog = s.backlog < 0 || s.backlog > somaxconn ? somaxconn : s.backlog;
        if (sk.state === TCP_LISTEN) {
          sk.maxAckBacklog = backlog;
          return this.complete(task, 0);
        }
        return this.complete(task, inetCskListenStart(k, sk, backlog));
      }
      case 'connect': {
        const sk = this.sockOf(task, s.fd);
        if (typeof sk === 'number') return this.complete(task, sk);
        if (sk.ss === 'connecting') {
          if (sk.state === TCP_SYN_SENT || sk.state === TCP_SYN_RECV) {
            if (!task.rerun) return this.complete(task, -EALREADY);
            return this.blockOn(task, sk.waiters);
          }
          // the handshake finished (or failed) while we slept: inet_wait_for_connect() returns
          if (sk.state === TCP_CLOSE) {
            sk.ss = 'unconnected';
            const err = sk.skErr;
            sk.skErr = 0;
            return this.complete(task, -(err || ECONNREFUSED_FALLBACK));
          }
          sk.ss = 'connected';
          return this.complete(task, 0);
        }
        if (sk.ss === 'connected') return this.complete(task, -EISCONN);
        if (sk.state !== TCP_CLOSE) return this.complete(task, -EISCONN);
        const err = tcpV4Connect(k, sk, s.addr, s.port);
        if (err) return this.complete(task, err);
        sk.ss = 'connecting';
        return this.blockOn(task, sk.waiters);
      }
      case 'accept': {
        const sk = this.sockOf(task, s.fd);
        if (typeof sk === 'number') return this.complete(task, sk);
        if (sk.state !== TCP_LISTEN) return this.complete(task, -EINVAL);
        const child = inetCskAcceptDequeue(k, sk);
        if (!child) {
          if (s.nonblock) return this.complete(task, -EAGAIN);
          return this.blockOn(task, sk.waiters);
        }
        child.fileRefs = 1;
        const fd = this.allocFd(task, { kind: 'sock', sk: child, refs: 0 });
        return this.complete(task, fd);
      }
      case 'getpeername': {
        const sk = this.sockOf(task, s.fd);
        if (typeof sk === 'number') return this.complete(task, sk);
        if (!sk.dport || sk.state === TCP_CLOSE || sk.state === TCP_SYN_SENT) return this.complete(task, -ENOTCONN);
        return this.complete(task, 0);
      }
      case 'poll': {
        const revents = s.fds.map((p) => this.pollMask(task, p.fd) & (p.events | POLLERR | POLLHUP));
        const ready = revents.filter((r) => r).length;
        if (ready || s.timeoutMs === 0) return this.complete(task, { ready, revents });
        const queues = s.fds.map((p) => this.waitQueue(task, p.fd)).filter((q): q is WaitQueue => !!q);
        if (s.timeoutMs > 0 && s.timeoutMs * 1e6 <= KTIME_MAX_NS && !task.timeoutEvent) {
          task.timeoutEvent = k.sim.after(s.timeoutMs * 1e6, () => {
            task.timeoutEvent = null;
            if (task.state !== 'blocked') return;
            this.unwait(task);
            task.state = 'running';
            this.complete(task, { ready: 0, revents: s.fds.map(() => 0) });
          });
        }
        return this.block(task, queues);
      }
      case 'read': {
        const f = task.fds.get(s.fd);
        if (!f) return this.complete(task, -EBADF);
        if (f.kind === 'tty') {
          if (f.tty.input.length) return this.complete(task, f.tty.input.shift()!);
          if (f.tty.eof) {
            f.tty.eof = false;
            return this.complete(task, '');
          }
          return this.blockOn(task, f.tty.waiters);
        }
        if (f.kind === 'pipe') {
          if (f.pipe.buf) {
            const d = f.pipe.buf;
            f.pipe.buf = '';
            return this.complete(task, d);
          }
          if (f.pipe.writers === 0) return this.complete(task, '');
          return this.blockOn(task, f.pipe.waiters);
        }
        return this.sockRecv(task, f.sk);
      }
      case 'write': {
        const f = task.fds.get(s.fd);
        if (!f) return this.complete(task, -EBADF);
        if (f.kind === 'tty') {
          this.ttyWrite(f.tty, task.pid, s.fd === 2 ? 'stderr' : 'stdout', s.data);
          return this.complete(task, s.data.length);
        }
        if (f.kind === 'pipe') {
          f.pipe.buf += s.data;
          for (const w of [...f.pipe.waiters]) w.wake();
          return this.complete(task, s.data.length);
        }
        return this.sockSend(task, f.sk, s.data);
      }
      case 'shutdown': {
        const sk = this.sockOf(task, s.fd);
        if (typeof sk === 'number') return this.complete(task, sk);
        const how = s.how + 1; // SHUT_RD=0 → RCV_SHUTDOWN=1 ...
        if (sk.state === TCP_CLOSE || sk.state === TCP_LISTEN || sk.state === TCP_SYN_SENT) return this.complete(task, -ENOTCONN);
        sk.skShutdown |= how;
        tcpShutdown(k, sk, how);
        sockDefWakeup(sk);
        return this.complete(task, 0);
      }
      case 'close': {
        const f = task.fds.get(s.fd);
        if (!f) return this.complete(task, -EBADF);
        this.closeFd(task, s.fd);
        return this.complete(task, 0);
      }
      case 'nanosleep': {
        task.state = 'blocked';
        // a sleep that ends after the end of time (hrtimer's KTIME_MAX, 292 years) never ends:
        // the task just waits for a signal, without an event
        if (!(s.ns >= 0 && s.ns <= KTIME_MAX_NS)) return;
        task.timeoutEvent = k.sim.after(s.ns + k.profile.costs.sleepSlackNs, () => {
          task.timeoutEvent = null;
          task.state = 'running';
          this.complete(task, 0, 0);
        });
        return;
      }
      case 'cpu':
        return this.complete(task, 0, s.ns);
      case 'inet_diag':
        return this.complete(task, this.socketTable());
      case 'pcap_open': {
        const tap = openTap(k, s.filter);
        return this.complete(task, tap);
      }
      case 'pcap_close':
        return this.complete(task, 0);
      case 'pause':
        // sys_pause(): TASK_INTERRUPTIBLE and schedule(), on no wait queue: only a signal ends it
        task.state = 'blocked';
        return;
      case 'vfs_write':
        this.vfs.set(s.path, s.data);
        return this.complete(task, s.data.length);
      case 'spawn': {
        const tty = task.ctx.tty?.name;
        const pinned = tty ? this.pidPins.get(tty)?.shift() : undefined;
        const extra = tty ? (this.startupPins.get(tty)?.shift() ?? 0) : 0;
        const child = this.spawn(s.program, s.argv, { parent: task, pid: s.pid ?? pinned, stdin: s.stdin, stdout: s.stdout, pgid: s.pgid, startupNs: (s.startupNs ?? 0) + extra });
        return this.complete(task, child ? child.pid : -2 /* ENOENT */);
      }
      case 'waitpid': {
        const child = this.tasks.get(s.pid);
        if (!child) return this.complete(task, -10 /* ECHILD */);
        const rep = child.reports.length ? child.reports.shift() : undefined;
        if (rep) {
          if (rep.kind !== 'stopped' && child.state === 'zombie') this.tasks.delete(child.pid);
          return this.complete(task, rep);
        }
        return this.blockOn(task, this.childQueue(task));
      }
      case 'kill': {
        const target = this.tasks.get(s.pid);
        if (!target || target.state === 'zombie') return this.complete(task, -3 /* ESRCH */);
        this.signal(target, s.sig);
        // kill(getpid(), SIGKILL) does not return: the caller died (do_exit) before returning
        // to user space (kernel/signal.c: the fatal signal is handled on the way out)
        if ((task.state as TaskState) === 'zombie') return;
        return this.complete(task, 0);
      }
      case 'tcsetpgrp':
        if (task.ctx.tty) task.ctx.tty.fgPgid = s.pgid;
        return this.complete(task, 0);
      case 'pipe': {
        const p = new Pipe();
        const r = this.allocFd(task, { kind: 'pipe', pipe: p, end: 'r', refs: 0 });
        const w = this.allocFd(task, { kind: 'pipe', pipe: p, end: 'w', refs: 0 });
        p.writers++;
        return this.complete(task, { read: r, write: w });
      }
      case 'exit':
        return this.exit(task, { kind: 'exited', status: s.status });
    }
  }

  private childQueues = new WeakMap<Task, Set<Waiter>>();
  private childQueue(t: Task): Set<Waiter> {
    let q = this.childQueues.get(t);
    if (!q) {
      q = new Set();
      this.childQueues.set(t, q);
    }
    return q;
  }

  private waitQueue(task: Task, fd: number): WaitQueue | null {
    const f = task.fds.get(fd);
    if (!f) return null;
    if (f.kind === 'sock') return f.sk.waiters;
    if (f.kind === 'tty') return f.tty.waiters;
    return f.pipe.waiters;
  }

  /** tcp_poll() / inet_csk_listen_poll() */
  pollMask(task: Task, fd: number): number {
    const f = task.fds.get(fd);
    if (!f) return 0x20; // POLLNVAL
    if (f.kind === 'tty') return f.tty.input.length || f.tty.eof ? POLLIN : 0;
    if (f.kind === 'pipe') return f.pipe.buf || f.pipe.writers === 0 ? POLLIN : 0;
    const sk = f.sk;
    if (sk.state === TCP_LISTEN) return sk.acceptQueue.length ? POLLIN : 0;
    let mask = 0;
    if (sk.skShutdown === SHUTDOWN_MASK || sk.state === TCP_CLOSE) mask |= POLLHUP;
    if (sk.skShutdown & RCV_SHUTDOWN) mask |= POLLIN | POLLRDHUP;
    if (sk.state !== TCP_SYN_SENT && sk.state !== TCP_SYN_RECV) {
      if (sk.rcvQueue.length || sk.finQueued) mask |= POLLIN;
      mask |= POLLOUT;
    }
    if (sk.skErr) mask |= POLLERR;
    return mask;
  }

  /** tcp_recvmsg(): queued data first, then the FIN (0 = EOF), then sk_err. */
  private sockRecv(task: Task, sk: TcpSock): void {
    if (sk.state === TCP_LISTEN) return this.complete(task, -ENOTCONN);
    if (sk.rcvQueue.length) {
      const parts = sk.rcvQueue;
      sk.rcvQueue = [];
      let n = 0;
      for (const p of parts) n += p.length;
      sk.copiedSeq = (sk.copiedSeq + n) | 0;
      return this.complete(task, new TextDecoder().decode(concat(parts)));
    }
    if (sk.finQueued) {
      sk.finQueued = false;
      sk.copiedSeq = (sk.copiedSeq + 1) | 0; // found_fin_ok: ++*seq
      return this.complete(task, '');
    }
    if (sk.done) return this.complete(task, '');
    if (sk.skErr) {
      const e = sk.skErr;
      sk.skErr = 0;
      return this.complete(task, -e);
    }
    if (sk.skShutdown & RCV_SHUTDOWN) return this.complete(task, '');
    if (sk.state === TCP_CLOSE) return this.complete(task, -ENOTCONN);
    return this.blockOn(task, sk.waiters);
  }

  /** tcp_sendmsg(): errors first (sk_err, then EPIPE after shutdown/close) with SIGPIPE. */
  private sockSend(task: Task, sk: TcpSock, data: string): void {
    if (sk.state !== TCP_ESTABLISHED && sk.state !== TCP_CLOSE_WAIT) {
      if (sk.state === TCP_SYN_SENT) return this.blockOn(task, sk.waiters);
      let err = EPIPE;
      if (sk.skErr) {
        err = sk.skErr;
        sk.skErr = 0;
      }
      if (err === EPIPE) this.signal(task, 'SIGPIPE');
      if (task.state === 'zombie') return;
      return this.complete(task, -err);
    }
    if (sk.skShutdown & SEND_SHUTDOWN) {
      this.signal(task, 'SIGPIPE');
      if (task.state === 'zombie') return;
      return this.complete(task, -EPIPE);
    }
    tcpSendmsg(this.k, sk, new TextEncoder().encode(data));
    return this.complete(task, data.length);
  }

  private closeFd(task: Task, fd: number): void {
    const f = task.fds.get(fd);
    if (!f) return;
    task.fds.delete(fd);
    f.refs--;
    if (f.kind === 'sock') this.k.sim.emit({ type: 'fd', t: this.k.now, pid: task.pid, fd, inode: f.sk.inode, action: 'close' });
    if (f.kind === 'pipe' && f.end === 'w') {
      f.pipe.writers--;
      for (const w of [...f.pipe.waiters]) w.wake();
    }
    if (f.refs === 0 && f.kind === 'sock') {
      f.sk.fileRefs = 0;
      tcpClose(this.k, f.sk);
    }
  }

  /** Deliver a signal with its default action unless the program catches it. */
  signal(task: Task, sig: Signal): void {
    if (task.state === 'zombie') return;
    this.k.sim.emit({ type: 'signal', t: this.k.now, pid: task.pid, sig });
    if (task.ctx.ignores.has(sig) && sig !== 'SIGKILL' && sig !== 'SIGSTOP') return;
    if (sig === 'SIGCONT') {
      if (task.state === 'stopped') {
        this.k.sim.emit({ type: 'proc', t: this.k.now, pid: task.pid, comm: task.comm, action: 'cont' });
        const hadPending = !!task.pending;
        task.state = 'running';
        if (task.resumeValue !== undefined) {
          const v = task.resumeValue;
          task.resumeValue = undefined;
          this.k.sim.after(0, () => this.step(task, v));
        } else if (hadPending) {
          task.rerun = true;
          this.k.sim.after(0, () => this.execute(task));
        }
      }
      return;
    }
    if (task.ctx.catches.has(sig) && sig !== 'SIGKILL' && sig !== 'SIGSTOP') {
      task.ctx.pendingSignals = append(task.ctx.pendingSignals, sig);
      if (task.state === 'blocked') this.wakeTask(task);
      return;
    }
    if (sig === 'SIGSTOP' || sig === 'SIGTSTP') {
      if (task.state === 'stopped') return;
      if (task.state === 'blocked') {
        this.unwait(task);
      }
      task.state = 'stopped';
      this.k.sim.emit({ type: 'proc', t: this.k.now, pid: task.pid, comm: task.comm, action: 'stop' });
      this.report(task, { kind: 'stopped', sig });
      return;
    }
    this.exit(task, { kind: 'signaled', sig });
  }

  private report(task: Task, st: WaitStatus): void {
    task.reports = append(task.reports, st);
    if (task.parent) {
      const q = this.childQueue(task.parent);
      for (const w of [...q]) w.wake();
    }
  }

  /** do_exit(): close every fd in order (tcp_close on sockets), report to the parent. */
  exit(task: Task, st: WaitStatus): void {
    if (task.state === 'zombie') return;
    this.unwait(task);
    task.pending = null;
    task.state = 'zombie';
    for (const fd of [...task.fds.keys()].sort((a, b) => a - b)) this.closeFd(task, fd);
    task.exitStatus = st;
    this.k.sim.emit({ type: 'proc', t: this.k.now, pid: task.pid, comm: task.comm, action: 'exit', status: st.kind === 'exited' ? st.status : 128 + SIGNUM[st.sig] });
    if (task.parent) this.report(task, st);
    else this.tasks.delete(task.pid);
  }

  /** What `ss -p` sees now: the inet_diag dump and the /proc/<pid>/fd scan. */
  socketTable(): SocketTable {
    const rows = this.k.inetDiagDump();
    const owners = new Map<number, { comm: string; pid: number; fd: number }[]>();
    const pids = [...this.tasks.keys()].sort((a, b) => a - b);
    for (const pid of pids) {
      const t = this.tasks.get(pid)!;
      if (t.state === 'zombie') continue;
      for (const fd of [...t.fds.keys()].sort((a, b) => a - b)) {
        const f = t.fds.get(fd)!;
        if (f.kind !== 'sock') continue;
        const arr = owners.get(f.sk.inode) ?? [];
        arr.push({ comm: t.comm, pid, fd });
        owners.set(f.sk.inode, arr);
      }
    }
    return { t: this.k.now, rows, owners };
  }
}

const ECONNREFUSED_FALLBACK = 111;

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function errnoName(e: number): string {
  const names: Record<number, string> = {
    4: 'EINTR', 9: 'EBADF', 11: 'EAGAIN', 22: 'EINVAL', 32: 'EPIPE', 88: 'ENOTSOCK', 98: 'EADDRINUSE',
    99: 'EADDRNOTAVAIL', 104: 'ECONNRESET', 106: 'EISCONN', 107: 'ENOTCONN', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED',
    114: 'EALREADY', 115: 'EINPROGRESS', 3: 'ESRCH', 10: 'ECHILD', 2: 'ENOENT',
  };
  return names[e] ?? `E${e}`;
}

function describeArgs(s: Sys): string {
  switch (s.op) {
    case 'setsockopt':
      return `${s.fd}, ${s.opt}, ${s.val}`;
    case 'bind':
    case 'connect':
      return `${s.fd}, ${s.addr >>> 24}.${(s.addr >>> 16) & 255}.${(s.addr >>> 8) & 255}.${s.addr & 255}:${s.port}`;
    case 'listen':
      return `${s.fd}, ${s.backlog}`;
    case 'accept':
    case 'close':
    case 'read':
    case 'getsockopt':
    case 'getpeername':
      return `${s.fd}`;
    case 'write':
      return `${s.fd}, ${JSON.stringify(s.data.slice(0, 20))}`;
    case 'shutdown':
      return `${s.fd}, ${s.how}`;
    case 'kill':
      return `${s.pid}, ${s.sig}`;
    default:
      return '';
  }
}

export { EADDRINUSE };
