/**
 * The sandbox as a lab: goals checked by the model (predicates over the host's socket table,
 * accept queues and processes, never over printed text), the `help` text, and Tab completion.
 * Runs in the sandbox's worker with the engine (sandbox-engine.ts); its strings are here, in both
 * languages, so the page's bundle does not carry them.
 */
import type { QueueView } from '../experiment/run.ts';
import type { SockDiag, SocketTable } from '../model/types.ts';
import { TCP_CLOSE_WAIT, TCP_FIN_WAIT2, TCP_LISTEN, TCP_TIME_WAIT } from '../model/types.ts';
import { KILL_SIGNALS, NC_OPTIONS } from '../userland/cmdline.ts';

/** What a goal looks at: the host as `ss -natp` and the accept queues see it, and its processes. */
export interface World {
  table: SocketTable;
  queues: QueueView[];
  /** Is process `pid` stopped (^Z, SIGSTOP)? */
  stopped(pid: number): boolean;
}

export interface GoalDef {
  id: string;
  en: string;
  zh: string;
  test(w: World): boolean;
}

const PORT = 12345;

const listener = (w: World): SockDiag | undefined => w.table.rows.find((r) => r.state === TCP_LISTEN && r.sport === PORT);
/** The listener's children that ss lists (its port, not LISTEN). */
const children = (w: World): SockDiag[] => w.table.rows.filter((r) => r.sport === PORT && r.state !== TCP_LISTEN);
const closeWait = (w: World): SockDiag[] => children(w).filter((r) => r.state === TCP_CLOSE_WAIT);
/** The client end of a child (same 4-tuple, reversed), if it is still in the tables. */
const clientOf = (w: World, c: SockDiag): SockDiag | undefined => w.table.rows.find((r) => r.dport === PORT && r.sport === c.dport);

/**
 * The goals' common shape: the listener shows Recv-Q `recvq` with `closeWaits` CLOSE-WAIT
 * children (and, when `listed` is given, that many children in all that ss can list).
 */
function listenerShows(w: World, recvq: number, closeWaits: number, listed?: number): boolean {
  return listener(w)?.rqueue === recvq && closeWait(w).length === closeWaits && (listed === undefined || children(w).length === listed);
}

/** A listener on 12345 whose every owner is stopped: it never calls accept(). */
function stoppedListener(w: World): boolean {
  const l = listener(w);
  const owners = l ? w.table.owners.get(l.inode) ?? [] : [];
  return owners.length > 0 && owners.every((o) => w.stopped(o.pid));
}

const STOPPED: GoalDef = {
  id: 'stopped-listener',
  en: 'Start a listener and stop it, so that it never calls accept(): `nc -l 12345`, then Ctrl-Z.',
  zh: '启动一个监听进程并把它挂起，让它永远不调用 accept()：`nc -l 12345`，然后按 Ctrl-Z。',
  test: stoppedListener,
};

const CLOSE_WAIT_CHILD: GoalDef = {
  id: 'close-wait-child',
  en: 'Open a second terminal (+), connect a client and quit it: `nc localhost 12345`, then Ctrl-C. Recv-Q 1: the child waits in CLOSE-WAIT, the client in FIN-WAIT-2.',
  zh: '打开第二个终端（+），连上一个客户端再退出：`nc localhost 12345`，然后按 Ctrl-C。Recv-Q 为 1：子套接字停在 CLOSE-WAIT，客户端停在 FIN-WAIT-2。',
  test: (w) => listenerShows(w, 1, 1) && clientOf(w, closeWait(w)[0])?.state === TCP_FIN_WAIT2,
};

const EXPIRED: GoalDef = {
  id: 'fin-wait-2-expired',
  en: 'Wait until the client’s FIN-WAIT-2 socket expires (tcp_fin_timeout: 60 s; try 10× or Skip) while the child stays in CLOSE-WAIT.',
  zh: '等客户端的 FIN-WAIT-2 套接字超时消失（tcp_fin_timeout：60 秒；可以用 10× 或“跳到下一个事件”），而子套接字仍停在 CLOSE-WAIT。',
  test: (w) => listenerShows(w, 1, 1, 1) && !clientOf(w, closeWait(w)[0]),
};

/** Recv-Q counts a child ss cannot list: the reset one still holds its slot in the accept queue. */
function recvq2OneCloseWait(w: World): boolean {
  const q = w.queues.find((x) => x.port === PORT);
  return listenerShows(w, 2, 1, 1) && !!q?.slots.some((s) => !s.hashed);
}

const RECVQ2: GoalDef = {
  id: 'recvq-2-one-close-wait',
  en: 'Reuse that client’s port and quit again (`nc -v -p PORT localhost 12345`, then Ctrl-C): make the listener show Recv-Q 2 with one CLOSE-WAIT row.',
  zh: '复用那个客户端的端口再连一次并退出（`nc -v -p PORT localhost 12345`，然后按 Ctrl-C）：让监听套接字显示 Recv-Q 2，却只有一行 CLOSE-WAIT。',
  test: recvq2OneCloseWait,
};

const FULL_QUEUE: GoalDef = {
  id: 'full-queue',
  en: 'Fill the accept queue of a stopped listener: two clients that connect and quit (`nc localhost 12345`, Ctrl-C, twice). Recv-Q 2, two CLOSE-WAIT rows.',
  zh: '填满挂起的监听进程的 accept 队列：两个客户端先后连上再退出（`nc localhost 12345`、Ctrl-C，两次）。Recv-Q 为 2，两行 CLOSE-WAIT。',
  test: (w) => listenerShows(w, 2, 2),
};

const TIME_WAIT_ROW: GoalDef = {
  id: 'time-wait',
  en: 'Get a TIME-WAIT row: a connection that both ends close (`nc -l 12345` in one terminal, `nc localhost 12345` in another, Ctrl-C on the client, then on the server).',
  zh: '得到一行 TIME-WAIT：两端都关闭的连接（一个终端 `nc -l 12345`，另一个 `nc localhost 12345`，先在客户端按 Ctrl-C，再在服务端按）。',
  test: (w) => w.table.rows.some((r) => r.state === TCP_TIME_WAIT && (r.sport === PORT || r.dport === PORT)),
};

/** Goal sets by experiment id (SimWidget's `experiment`); the collision's is the default. */
export const GOAL_SETS: Record<string, GoalDef[]> = {
  'seed-collision': [STOPPED, CLOSE_WAIT_CHILD, EXPIRED, RECVQ2],
  'seed-recvq': [STOPPED, FULL_QUEUE, RECVQ2],
  'accept-queue-overflow': [STOPPED, FULL_QUEUE, TIME_WAIT_ROW],
};

export function goalSet(name: string): GoalDef[] {
  return Object.hasOwn(GOAL_SETS, name) ? GOAL_SETS[name] : GOAL_SETS['seed-collision'];
}

export const isZh = (lang: string): boolean => lang.toLowerCase().startsWith('zh');

/** What the engine says beside a screen and in the element's live region, in both languages. */
const EN = {
  unknownCommand: (cmd: string, have: string) => `“${cmd}” is not installed on this simulated host (bash said so above). It has: ${have}, and the shell builtins echo, jobs, fg, bg, kill, cd, true, exit; loops (while … do … done) and pipes into grep work too. Type help for more.`,
  shellExited: 'The shell has exited. Press Enter (or “New shell”) to start another one on the same host.',
  refused: (why: string) => `tcp-lab does not model all of this line: ${why}.`,
  goalReached: (goal: string) => `Goal reached: ${goal}`,
  linesOut: (n: number, last: string) => `${n} lines of output, the last: ${last}`,
};
const ZH: typeof EN = {
  unknownCommand: (cmd: string, have: string) => `这台模拟主机上没有“${cmd}”（上面 bash 已经提示）。可用的程序：${have}，以及 shell 内建命令 echo、jobs、fg、bg、kill、cd、true、exit；也支持 while … do … done 循环和通过管道接 grep。输入 help 查看更多。`,
  shellExited: 'shell 已退出。按回车（或点“新的 shell”）在同一台主机上再开一个。',
  refused: (why: string) => `tcp-lab 没有模拟这一行的全部内容：${why}。`,
  goalReached: (goal: string) => `达成目标：${goal}`,
  linesOut: (n: number, last: string) => `输出了 ${n} 行，最后一行：${last}`,
};
export type LabText = typeof EN;
export const labText = (lang: string): LabText => (isZh(lang) ? ZH : EN);

/** What `help` prints at the prompt (the lab's help, not bash's builtin list). */
export function helpText(lang: string, commands: readonly string[]): string {
  const c = commands.join(', ');
  return isZh(lang)
    ? `tcp-lab 沙盒：一台模拟的 Linux 主机（只有 lo），每个终端一个 bash。
程序：${c}。bash 内建命令：echo、jobs、fg、bg、kill、true、exit。
也可以用循环和管道：while true; do ss -natp -o | grep 12345; sleep 1; done
按键：Ctrl-C、Ctrl-Z、Ctrl-D；Ctrl-L 清屏；↑/↓ 历史命令；Tab 补全。
时间按所选速度流逝（1× 为真实时间，10×）；“跳到下一个事件”越过空闲时间，直接到下一个定时器或 sleep 结束。
+ 打开新终端（最多 4 个），它们连着同一台主机。
实验命令：help（本说明）、clear（清屏）、reset（重新开一台主机）。
试试：nc -l 12345，按 Ctrl-Z；在新终端里：nc localhost 12345，再按 Ctrl-C；然后 ss -natp -o。
`
    : `tcp-lab sandbox: a simulated Linux host (lo only) with a bash on each terminal.
Programs: ${c}. Bash builtins: echo, jobs, fg, bg, kill, true, exit.
Loops and pipes work: while true; do ss -natp -o | grep 12345; sleep 1; done
Keys: Ctrl-C, Ctrl-Z, Ctrl-D; Ctrl-L clears the screen; Up/Down: history; Tab completes.
Time runs at the chosen speed (1x is real time, 10x); Skip jumps over idle time to the next
timer or the end of a sleep.
+ opens another terminal (up to 4) on the same host.
Lab commands: help (this text), clear (the screen), reset (a new host).
Try: nc -l 12345, then Ctrl-Z; in a new terminal: nc localhost 12345, Ctrl-C; then ss -natp -o.
`;
}

/** Commands the reader types at the prompt that the lab answers itself. */
export const LAB_COMMANDS = ['help', 'clear', 'reset'];

const BUILTIN_WORDS = ['echo', 'jobs', 'fg', 'bg', 'kill', 'true', 'exit', 'while'];
const SS_WORDS = ['-n', '-a', '-t', '-l', '-p', '-o', '-4', '-natp', '-nlt', 'state'];
const SS_STATES = ['established', 'syn-sent', 'syn-recv', 'fin-wait-1', 'fin-wait-2', 'time-wait', 'close-wait', 'last-ack', 'listening', 'closing', 'all', 'connected'];
const ARG_WORDS: Record<string, string[]> = {
  ss: SS_WORDS,
  nc: [...Object.keys(NC_OPTIONS).map((o) => `-${o}`), 'localhost', '127.0.0.1'],
  tcpdump: ['-i', 'lo', '-n', '-nn', '-U', '-s', '-w', 'tcp', 'port'],
  kill: [...Object.keys(KILL_SIGNALS).filter((s) => /^[A-Z]/.test(s)).map((s) => `-${s}`), '%1', '%2'],
  grep: ['-E', '-F', '-G', '-i', '-v', '-w', '-x', '-e'],
  fg: ['%1', '%2'],
  bg: ['%1', '%2'],
};

/**
 * Tab completion of the word at the end of `line`: a command name at the start of a pipeline
 * stage, else a word its command takes (options, `state NAME`, lo, localhost). Returns the new
 * line (completed as far as every candidate agrees, with a space after a unique one) and, when
 * nothing could be added, the candidates to list.
 */
export function complete(line: string, commands: readonly string[]): { text: string; candidates: string[] } {
  const m = /(^|[\s|;])([^\s|;]*)$/.exec(line)!;
  const word = m[2];
  const before = line.slice(0, line.length - word.length);
  // the stage's words so far
  const stage = before.split(/[|;]/).pop()!.trim().split(/\s+/).filter(Boolean);
  if (stage[0] === 'do') stage.shift();
  let pool: string[];
  if (!stage.length) pool = [...commands, ...BUILTIN_WORDS, ...LAB_COMMANDS];
  else if (stage[0] === 'ss' && stage.at(-1) === 'state') pool = SS_STATES;
  else pool = ARG_WORDS[stage[0]] ?? [];
  const candidates = [...new Set(pool.filter((c) => c.startsWith(word)))].sort();
  if (!candidates.length) return { text: line, candidates: [] };
  if (candidates.length === 1) return { text: before + candidates[0] + ' ', candidates: [] };
  let p = candidates[0];
  for (const c of candidates) while (!c.startsWith(p)) p = p.slice(0, -1);
  return p.length > word.length ? { text: before + p, candidates: [] } : { text: line, candidates };
}
