/**
 * Processes and the system call layer: tasks (task_struct, include/linux/sched.h) with their
 * fd tables (files_struct), the system call entry and return (the dispatch of execute(), the
 * return to user space after the softirq work a call started), and wait queues
 * (kernel/sched/wait.c: a blocked task sleeps on queues, any wake-up re-runs its call).
 * The calls themselves live with the kernel files that implement them: socket.ts (net/socket.c),
 * read_write.ts, select.ts (poll), pipe.ts, tty.ts, signal.ts, exit.ts, fork.ts, hrtimer.ts.
 *
 * A program is an iterator that yields syscall requests (`Sys`) and receives their
 * results: Linux return values, `-errno` on failure. A stopped task makes no progress until
 * SIGCONT. Deliberate differences: one CPU, no preemption (a call runs to its end or sleeps);
 * each call costs the profile's `syscallNs`.
 */
import { EINTR } from './errno.ts';
import { doExit, sysWaitpid } from './exit.ts';
import { forkExec, sysSpawn, type SpawnOptions } from './fork.ts';
import { sysNanosleep } from './hrtimer.ts';
import type { Kernel } from './kernel.ts';
import { IdTable } from './inttable.ts';
import type { CaptureTap } from './loopback.ts';
import { sysPipe, type Pipe } from './pipe.ts';
import { sysClose, sysRead, sysVfsWrite, sysWrite } from './read_write.ts';
import { sysPoll } from './select.ts';
import { sendSignal, sysKill, sysPause } from './signal.ts';
import type { SimEvent } from './sim.ts';
import { fewAdd, type Few, type TcpSock, type Waiter, type WaitQueue } from './sock.ts';
import { sysAccept, sysBind, sysConnect, sysGetpeername, sysGetsockopt, sysInetDiag, sysIoctl, sysListen, sysPcapOpen, sysSetsockopt, sysShutdown, sysSocket } from './socket.ts';
import { sysFcntl } from './fcntl.ts';
import type { TcpInfo } from './tcp.ts';
import { sysTcsetpgrp, ttyKey, ttyOpen, ttyType, type Tty } from './tty.ts';
import type { Segment, Signal, SocketTable } from './types.ts';

// The names other directories import from here.
export { PID_MAX_LIMIT, RESERVED_PIDS } from './fork.ts';
export { KTIME_MAX_NS } from './hrtimer.ts';
export { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP } from './select.ts';
export { Pipe } from './pipe.ts';
export { Tty } from './tty.ts';

export const SIGNUM: Record<Signal, number> = {
  SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21,
};

export type Sys =
  /** `nonblock`: SOCK_NONBLOCK (the file gets O_NONBLOCK). */
  | { op: 'socket'; nonblock?: boolean }
  /** SO_LINGER: `val` is l_onoff, `linger` l_linger (seconds); SO_RCVBUF/SO_SNDBUF bytes; TCP_USER_TIMEOUT ms. */
  | { op: 'setsockopt'; fd: number; opt: 'SO_REUSEADDR' | 'SO_REUSEPORT' | 'TCP_NODELAY' | 'TCP_CORK' | 'SO_LINGER' | 'SO_RCVBUF' | 'SO_SNDBUF' | 'TCP_USER_TIMEOUT' | 'SO_KEEPALIVE' | 'TCP_KEEPIDLE' | 'TCP_KEEPINTVL' | 'TCP_KEEPCNT'; val: number; linger?: number }
  /** SO_ERROR (reads and clears sk_err), SO_RCVBUF/SO_SNDBUF, TCP_MAXSEG (mss_cache), TCP_USER_TIMEOUT, TCP_INFO (a TcpInfo snapshot). */
  | { op: 'getsockopt'; fd: number; opt: 'SO_ERROR' | 'SO_RCVBUF' | 'SO_SNDBUF' | 'TCP_MAXSEG' | 'TCP_USER_TIMEOUT' | 'TCP_INFO' }
  /** fcntl(F_GETFL) returns the file's flags; fcntl(F_SETFL, flags) sets O_NONBLOCK from them. */
  | { op: 'fcntl'; fd: number; cmd: 'F_GETFL' | 'F_SETFL'; arg?: number }
  /** ioctl(SIOCINQ): bytes waiting to be read (tcp_ioctl()). */
  | { op: 'ioctl'; fd: number; req: 'SIOCINQ' | 'SIOCOUTQ' | 'SIOCOUTQNSD' }
  | { op: 'bind'; fd: number; addr: number; port: number }
  | { op: 'listen'; fd: number; backlog: number }
  /** With `nonblock` (O_NONBLOCK): -EINPROGRESS while the handshake runs; poll() for POLLOUT, then SO_ERROR. */
  | { op: 'connect'; fd: number; addr: number; port: number; nonblock?: boolean }
  | { op: 'accept'; fd: number; nonblock?: boolean }
  | { op: 'getpeername'; fd: number }
  | { op: 'poll'; fds: { fd: number; events: number }[]; timeoutMs: number }
  /** `count`: read at most that many bytes (every queued byte without it). */
  /** `bytes`: a socket's data as a Uint8Array instead of text (binary data, the bench's bulk transfers). */
  /** `fault`: the buffer is not mapped (NULL): copying to it fails with EFAULT. */
  /**
   * `buf`: read(2) into the program's own buffer: at most buf.length (and `count`) bytes are
   * copied to its start and the result is their number, 0 at EOF (a socket; the bench's readers,
   * which so allocate nothing per call).
   */
  /** `peek`: recv(..., MSG_PEEK): the data is copied and stays queued. */
  | { op: 'read'; fd: number; count?: number; bytes?: boolean; fault?: boolean; buf?: Uint8Array; peek?: boolean }
  /**
   * `data` as text (netcat) or bytes; `more`: send(..., MSG_MORE); `fault`: an unmapped buffer (EFAULT).
   * Bytes are referenced by the write queue, not copied (tcpQueueData()): a program must not change
   * a Uint8Array once write() took it (text is encoded afresh per call).
   */
  | { op: 'write'; fd: number; data: string | Uint8Array; more?: boolean; eor?: boolean; fault?: boolean }
  | { op: 'shutdown'; fd: number; how: number }
  | { op: 'close'; fd: number }
  | { op: 'nanosleep'; ns: number }
  /** Spend CPU time (program start-up, formatting, /proc scans). */
  | { op: 'cpu'; ns: number }
  /** netlink inet_diag dump plus the /proc fd scan `ss -p` does. */
  | { op: 'inet_diag'; info?: boolean }
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

/** The request of one system call. */
export type SysOf<O extends Sys['op']> = Extract<Sys, { op: O }>;

export type SysResult = number | { fd: number } | SocketTable | string | Uint8Array | null | PollResult | WaitStatus | CaptureTap | PipeFds | TcpInfo;
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
export function newCtx(pid: number, argv: string[], k: Kernel, procs: ProcessTable, tty: Tty | null): ProgramCtx {
  return { pid, argv, k, procs, tty, catches: NO_SIGSET, ignores: NO_SIGSET, pendingSignals: NO_SIGNALS };
}

/** An open file: a socket, a terminal, or one end of a pipe. */
export type FileRef =
  | { kind: 'sock'; sk: TcpSock; refs: number; /** f_flags: O_RDWR, O_NONBLOCK (fcntl.ts) */ flags: number }
  | { kind: 'tty'; tty: Tty; refs: number }
  | { kind: 'pipe'; pipe: Pipe; end: 'r' | 'w'; refs: number };

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
  /**
   * When the pending timed call (nanosleep, poll) ends, in ns: fixed when it starts, kept when
   * it is re-run after a wake-up or a stop and SIGCONT, as the kernel's restart_block keeps the
   * absolute expiry (hrtimer_nanosleep_restart(), do_restart_poll()). -1 when none.
   */
  deadline: number;
  /** A close() lingering in tcp_close() (sk_stream_wait_close()): its socket and the jiffy its time ends. */
  closeWait: { sk: TcpSock; expires: number } | null;
  /** A task is its own waiter on wait queues: a wake-up asks its process table to re-run it. */
  wake(): void;
}

function wakeTask(this: Task): void {
  this.ctx.procs.wakeTask(this);
}

/** A new task: an object literal, so that V8 can pretenure tasks like sockets (see newTcpSock). */
export function newTask(pid: number, comm: string, argv: string[], gen: ProgramGen, ctx: ProgramCtx, parent: Task | null, pgid: number): Task {
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
    deadline: -1,
    closeWait: null,
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
  /** Tasks waiting for the softirq to be quiet before they return to user space (resume). */
  private softirqWaiters: Task[] = [];
  /** The first of softirqWaiters still waiting (a FIFO: the array is emptied, not shifted, when all are gone). */
  private softirqHead = 0;
  private softirqWaitArmed = false;
  /** Facts about the machine's environment that programs observe (a resolver, ...). */
  env = { dns: true, ncBacklog: 1 };
  /** Pinned pids for the next processes a terminal's shell starts (chance inputs). */
  readonly pidPins = new Map<string, number[]>();
  /** Extra start-up latency (ns) for the next process a terminal's shell starts. */
  readonly startupPins = new Map<string, number[]>();
  /** The queue each parent's waitpid() sleeps on (exit.ts). */
  readonly childQueues = new WeakMap<Task, Set<Waiter>>();

  constructor(k: Kernel) {
    this.k = k;
  }

  // The entry points code outside src/model calls (the experiment runner, the sandbox, tests),
  // each a call of the function's one home.

  /** tty.ts ttyOpen(): the terminal called `name`. */
  tty(name: string, cols = 80): Tty {
    return ttyOpen(this, name, cols);
  }
  /** tty.ts ttyType(): characters typed on a terminal. */
  ttyType(tty: Tty, text: string): void {
    ttyType(this, tty, text);
  }
  /** tty.ts ttyKey(): a control key typed on a terminal. */
  ttyKey(tty: Tty, keyName: '^C' | '^Z' | '^D' | '^\\'): void {
    ttyKey(this, tty, keyName);
  }
  /** fork.ts forkExec(): start a program as a new task. */
  spawn(program: string, argv: string[], opts: SpawnOptions = {}): Task | null {
    return forkExec(this, program, argv, opts);
  }
  /** signal.ts sendSignal(). */
  signal(task: Task, sig: Signal): void {
    sendSignal(this, task, sig);
  }

  /** What `ss -p` sees now: the inet_diag dump and the /proc/<pid>/fd scan. */
  socketTable(info = false): SocketTable {
    const rows = this.k.inetDiagDump(info);
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

  // Event functions shared by every task (no closure per event).
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
      // wait for the softirq to be quiet, behind the tasks already waiting (one event for them
      // all: with many connections busy, a task per event would be re-posted at every move)
      pt.softirqWaiters.push(task);
      if (!pt.softirqWaitArmed) {
        pt.softirqWaitArmed = true;
        k.sim.post(k.softirqUntil, ProcessTable.softirqQuiet, pt, null);
      }
      return;
    }
    const result = task.result;
    task.result = undefined;
    pt.step(task, result);
  }
  /** The softirq's busy time ran out: the waiting tasks return to user space, in order. */
  private static softirqQuiet(pt: ProcessTable): void {
    const k = pt.k;
    const ws = pt.softirqWaiters;
    // a head index, not splice(): a task stepped here may start softirq work that sends the
    // rest back to wait, and shifting 1,000 waiters at every such event made it quadratic
    let i = pt.softirqHead;
    while (i < ws.length && k.softirqUntil <= k.now) {
      const task = ws[i];
      ws[i++] = undefined as unknown as Task;
      const result = task.result;
      task.result = undefined;
      pt.step(task, result);
    }
    if (i === ws.length) {
      ws.length = 0;
      pt.softirqHead = 0;
      pt.softirqWaitArmed = false;
      return;
    }
    pt.softirqHead = i;
    if (i >= 1024 && i * 2 >= ws.length) {
      ws.splice(0, i); // compact now and then: the FIFO only grows at its end
      pt.softirqHead = 0;
    }
    k.sim.post(k.softirqUntil, ProcessTable.softirqQuiet, pt, null);
  }

  /** @internal alloc_fd() + fd_install(): the lowest free fd. */
  allocFd(task: Task, f: FileRef): number {
    let fd = 0;
    while (task.fds.has(fd)) fd++;
    task.fds.set(fd, f);
    f.refs++;
    if (f.kind === 'sock' && this.k.sim.observed) this.k.sim.emit({ type: 'fd', t: this.k.now, pid: task.pid, fd, inode: f.sk.inode, action: 'install' });
    return fd;
  }

  /** @internal Advance a task's generator with `value`, then execute the next syscall it yields. */
  step(task: Task, value: SysResult | undefined): void {
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
    if (r.done) return doExit(this, task, { kind: 'exited', status: r.value ?? 0 });
    task.pending = r.value;
    this.execute(task);
  }

  /** @internal Off every wait queue, the timeout cancelled. */
  unwait(task: Task): void {
    const qs = task.waitingOn;
    if (Array.isArray(qs)) for (let i = 0; i < qs.length; i++) qs[i].delete(task);
    else if (qs !== null) qs.delete(task);
    task.waitingOn = null;
    if (task.timeoutEvent) this.k.sim.cancel(task.timeoutEvent);
    task.timeoutEvent = null;
  }

  /** @internal block() on one wait queue (no array). */
  blockOn(task: Task, q: WaitQueue): void {
    task.state = 'blocked';
    q.add(task);
    task.waitingOn = fewAdd(task.waitingOn, q);
  }

  /** @internal Sleep on several wait queues (poll). */
  block(task: Task, queues: WaitQueue[]): void {
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

  /** @internal The call's result, for the task's return to user space. */
  complete(task: Task, result: SysResult, costNs = this.k.profile.costs.syscallNs): void {
    const sys = task.pending!;
    task.pending = null;
    task.rerun = false;
    task.deadline = -1;
    if (typeof result === 'number' && this.k.sim.traceDetail && sys.op !== 'cpu' && sys.op !== 'nanosleep')
      this.k.sim.emit({ type: 'syscall', t: this.k.now, pid: task.pid, call: sys.op, args: describeArgs(sys), ret: result < 0 ? -1 : result, errno: result < 0 ? errnoName(-result) : undefined });
    // the task returns to user space only after the softirq work its call started (on lo the
    // whole reply chain runs in the sender's context), so wait until the chain is quiet
    // (ProcessTable.resume). At most one completed call per task is in flight: the next
    // one needs the task to be stepped first.
    task.result = result;
    this.k.sim.post(Math.max(this.k.now + costNs, this.k.softirqUntil), ProcessTable.resume, this, task);
  }

  /** @internal Execute (or re-execute after a wake-up) the task's pending syscall: the dispatch. */
  execute(task: Task): void {
    const s = task.pending;
    if (!s || task.state === 'zombie') return;
    if (task.state === 'stopped') return;
    task.state = 'running';
    // a caught signal interrupts a blocking call
    if (task.ctx.pendingSignals.length && ['pause', 'accept', 'poll', 'read', 'connect', 'nanosleep', 'waitpid'].includes(s.op)) {
      this.unwait(task);
      return this.complete(task, -EINTR);
    }
    // process context: what the call puts on lo is received before its next skb leaves (loopback.ts)
    const k = this.k;
    k.inSyscall = true;
    k.syscallLoXmits = 0;
    try {
      this.dispatch(task, s);
    } finally {
      k.inSyscall = false;
    }
  }

  /** The system call table: each call's implementation, in the module of its kernel file. */
  private dispatch(task: Task, s: Sys): void {
    switch (s.op) {
      case 'socket':
        return sysSocket(this, task, s);
      case 'setsockopt':
        return sysSetsockopt(this, task, s);
      case 'getsockopt':
        return sysGetsockopt(this, task, s);
      case 'fcntl':
        return sysFcntl(this, task, s);
      case 'ioctl':
        return sysIoctl(this, task, s);
      case 'bind':
        return sysBind(this, task, s);
      case 'listen':
        return sysListen(this, task, s);
      case 'connect':
        return sysConnect(this, task, s);
      case 'accept':
        return sysAccept(this, task, s);
      case 'getpeername':
        return sysGetpeername(this, task, s);
      case 'poll':
        return sysPoll(this, task, s);
      case 'read':
        return sysRead(this, task, s);
      case 'write':
        return sysWrite(this, task, s);
      case 'shutdown':
        return sysShutdown(this, task, s);
      case 'close':
        return sysClose(this, task, s);
      case 'nanosleep':
        return sysNanosleep(this, task, s);
      case 'cpu':
        return this.complete(task, 0, s.ns);
      case 'inet_diag':
        return sysInetDiag(this, task, s);
      case 'pcap_open':
        return sysPcapOpen(this, task, s);
      case 'pcap_close':
        return this.complete(task, 0);
      case 'pause':
        return sysPause(task);
      case 'vfs_write':
        return sysVfsWrite(this, task, s);
      case 'spawn':
        return sysSpawn(this, task, s);
      case 'waitpid':
        return sysWaitpid(this, task, s);
      case 'kill':
        return sysKill(this, task, s);
      case 'tcsetpgrp':
        return sysTcsetpgrp(this, task, s.pgid);
      case 'pipe':
        return sysPipe(this, task);
      case 'exit':
        return doExit(this, task, { kind: 'exited', status: s.status });
    }
  }
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

