/**
 * Record an experiment on the host kernel: real nc, ss and tcpdump inside a fresh network
 * namespace (loopback only), typed by a real interactive bash per terminal at the experiment's
 * times. Writes the terminal blocks, the capture, every ss sample and a machine-readable
 * recording.json. Node-only (src/recorder is not part of the pure model).
 *
 * The terminals are real: src/recorder/pty-host.py (python3, run as root) gives each terminal a
 * pseudo-terminal with a `bash --noediting -i` in it, in new UTS, mount and pid namespaces inside
 * the experiment's network namespace, and reports every byte the terminal shows and, from the
 * kernel's process events, every program started on it (argv, pid) and how and when it ended (wait
 * status). Keys are the tty's control characters (^C ^Z ^D ^\), so the line discipline signals
 * the foreground process group and bash does its own job control: prompts, `fg`, `bg`, `jobs`,
 * `kill %1`, `cmd &` and their notices are bash's.
 *
 * Experiments are untrusted input (they arrive as pull requests), so nothing runs before every
 * command line of the experiment passed the grammar the simulator uses (src/userland/cmdline.ts):
 * no expansion, redirection or operator bash would interpret, only modelled programs and options,
 * capture files as plain names. The line reaches bash as written (a pinned port or pid stands for
 * the one this kernel gave, digits for digits, checked again). Typed text (`> TEXT`) that the
 * grammar refuses is typed only into a foreground job, with that terminal's bash stopped until the
 * job has read it: it never reaches bash. bash and its programs run as `nobody` with only
 * CAP_NET_RAW and CAP_NET_ADMIN (what tcpdump needs) and no-new-privs, in a pid namespace (`kill`
 * reaches only the experiment's processes), on a read-only file system whose only lasting writable
 * place is the scratch folder; the capture files the experiment names are copied into --out
 * afterwards.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, constants, loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { acceptCommandLine, isCmdlineError, linePipelines, PLAIN_FILE, type CommandLine } from '../userland/cmdline.ts';
import { ExperimentError, KNOWN_SYSCTLS } from '../experiment/parse.ts';
import { experimentPorts, redactText } from '../experiment/redact.ts';
import { join, resolve } from 'node:path';
import type { Experiment, Step } from '../experiment/types.ts';
import { screenWindow, type ScreenChunk } from '../experiment/run.ts';

export interface RecordOptions {
  outDir: string;
  /** The --max-gap used (ns), stored so the conformance check compresses the model run alike. */
  maxGapNs?: number;
  sysctl: Record<string, string>;
  /** Dump the socket table this often (ms). */
  sampleMs?: number;
  log?: (line: string) => void;
}

export interface ProcRecord {
  terminal: string;
  /** pid in the experiment's pid namespace (what bash, ps and ss there show). */
  pid: number;
  /** pid on the host (in the recorder's namespace). */
  hostPid?: number;
  /** argv joined with spaces (`?` when the program was gone before its argv could be read). */
  cmd: string;
  argv?: string[] | null;
  /** Index into `steps` of the last step on this terminal before the program started. */
  step?: number;
  /** When it exec'd and when it exited (the kernel's process events), ns since the start. */
  startNs: number;
  endNs: number | null;
  exit: { code: number | null; signal: string | null } | null;
  /** Still running when the experiment ended (the recorder terminated it). */
  killedAtEnd?: boolean;
  /** Real uid of a process still running at the end (experiment programs run as nobody). */
  uid?: number;
  /** Recordings of the emulating recorder only: the process's own output. */
  output?: ScreenChunk[];
}

export interface Recording {
  maxGapNs?: number;
  experiment: string;
  kernel: string;
  /** Congestion control the experiment's netns ran (net.ipv4.tcp_congestion_control). Older recordings: absent (they ran the host's default, bbr). */
  congestionControl?: string;
  /** How the terminals were driven: `bash` (a real bash in a pty). Older recordings: absent. */
  terminal?: string;
  tools: Record<string, string>;
  sysctls: Record<string, string>;
  steps: { label: string | null; terminal: string; action: string; plannedNs: number; actualNs: number }[];
  /** Ephemeral ports the experiment pins (the simulator's choice) -> the port this kernel chose. */
  ports: Record<string, number>;
  /** Pinned pids the kernel could not give (another process took the number) -> the pid it gave. */
  pids?: Record<string, number>;
  processes: ProcRecord[];
  terminals: Record<string, ScreenChunk[]>;
  /** The namespace's TCP sockets every sampleMs, in `ss -tan -o`'s words (the inet_diag dump ss
   * reads), dumped between t and `end` (a dump is not atomic: one that overlaps a packet may mix
   * the sockets before and after it). */
  samples: { t: number; end?: number; text: string }[];
  /** The 1-minute load average when the experiment started, and the CPUs it shared. */
  load?: { loadavg1: number; cpus: number };
  /** CLOCK_REALTIME at the experiment's t=0 (ns since the epoch, ±1 ms), to place packets on its clock. */
  epochT0Ns?: number;
  packets: { t: number; src: string; sport: number; dst: string; dport: number; flags: string; seq: number; ack: number; win: number; len: number; options: string }[];
}

const REQUIRED_TOOLS = ['ip', 'nc', 'ss', 'tcpdump', 'tshark', 'setpriv', 'bash', 'python3'];
const SYSCTL_KEYS = [
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_syn_retries', 'net.ipv4.tcp_synack_retries', 'net.ipv4.tcp_abort_on_overflow',
  'net.ipv4.tcp_max_syn_backlog', 'net.core.somaxconn', 'net.ipv4.tcp_syncookies', 'net.ipv4.tcp_challenge_ack_limit',
  'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syn_linear_timeouts', 'net.ipv4.tcp_retries2', 'net.ipv4.tcp_congestion_control',
];

/**
 * The congestion control every recording runs: the model's (tcp_cong.c's default, cubic on stock
 * Debian/Ubuntu kernels). A new network namespace inherits the host's default (bbr on this host)
 * and may pick only what the global net.ipv4.tcp_allowed_congestion_control lists.
 */
export const RECORDING_CC = 'cubic';
const ALLOWED_CC = '/proc/sys/net/ipv4/tcp_allowed_congestion_control';

/** tcp_allowed_congestion_control with `cc` added (unchanged when it is listed already). */
export function allowedWith(allowed: string, cc: string): string {
  const names = allowed.trim().split(/\s+/).filter(Boolean);
  return names.includes(cc) ? names.join(' ') : [...names, cc].join(' ');
}

/**
 * Lets network namespaces pick `cc` (a global sysctl, like scripts/packetdrill-real.ts does);
 * returns the restore function, which writes back the exact previous value once (later calls do
 * nothing) and nothing when the value did not need to change.
 */
export function allowCongestionControl(cc: string, io: { read: () => string; write: (v: string) => void } = {
  read: () => readFileSync(ALLOWED_CC, 'utf8'),
  write: (v) => writeFileSync(ALLOWED_CC, v),
}): () => void {
  const before = io.read().trim();
  const wanted = allowedWith(before, cc);
  if (wanted === before.split(/\s+/).join(' ')) return () => {};
  io.write(wanted);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    io.write(before);
  };
}

/** The unprivileged identity experiment programs run as (nobody:nogroup on Debian). */
const NOBODY = { uid: 65534, gid: 65534 };
/** Names the recorder writes into --out itself, which an experiment's capture may not take. */
const RECORDER_FILES = /^(?:capture\.pcap|.*\.txt|.*\.json)$/;
/** Largest capture file copied out of the scratch folder. */
const MAX_CAPTURE_BYTES = 256 << 20;
/** The home folder inside the recording's mount namespace (the scratch folder, bind-mounted). */
const HOME = '/tmp/home';
/** What the keys of an experiment type: the tty's control characters (stty's intr, susp, eof, quit). */
const KEY_BYTES: Record<string, string> = { '^C': '\x03', '^Z': '\x1a', '^D': '\x04', '^\\': '\x1c' };
/** A host name and user that can stand in a prompt literally (PS1 expands `$`, `\`, backquotes). */
const PROMPT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The argv of a step's command line when it runs exactly one program (else null). */
function onlyProgram(step: Step | undefined): string[] | null {
  if (!step || step.action.kind === 'key') return null;
  const cl = acceptCommandLine(step.action.line);
  if (isCmdlineError(cl)) return null;
  const stages = linePipelines(cl).flatMap((p) => p.stages);
  return stages.length === 1 ? stages[0].words.map((w) => w.text) : null;
}

/** An error of the experiment's input, at a column of a step's line (printed as one located line). */
const located = (step: Step, col: number, message: string) => new ExperimentError({ ...step.loc, col }, message);

/**
 * Every command line of the experiment, accepted by the shared grammar, or an error naming the
 * step's file:line:col. The recorder calls it before it creates the namespace. Typed text
 * (`> TEXT`) is not required to be a command line: it is checked when it is typed (see
 * recordExperiment).
 */
export function validateForRecording(exp: Experiment, sysctl: Record<string, string> = {}): Map<Step, CommandLine> {
  const lines = new Map<Step, CommandLine>();
  for (const [what, v] of [['host.hostname', exp.host.hostname], ['host.user', exp.host.user]])
    if (!PROMPT_NAME.test(v)) throw new Error(`${exp.file}: ${what} ${JSON.stringify(v)} cannot be recorded: the prompt and the UTS namespace take letters, digits, '.', '_' and '-' (at most 63)`);
  for (const step of exp.steps) {
    // typed text is typed as it is: a control character in it would be a key (^C, ^Z, ^D, ^U...)
    if (step.action.kind === 'type') {
      const c = /[\x00-\x1f\x7f]/.exec(step.action.line);
      if (c) throw located(step, step.loc.col + 2 + c.index, `control character U+${c[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} in typed text, expected printable text (keys are steps of their own: ^C ^Z ^D ^\\)`);
    }
    if (step.action.kind !== 'command') continue;
    const cl = acceptCommandLine(step.action.line);
    if (isCmdlineError(cl)) throw located(step, step.loc.col + 2 + cl.col, cl.message);
    lines.set(step, cl);
    for (const name of captureNames(cl))
      if (RECORDER_FILES.test(name)) throw located(step, step.loc.col, `capture file ${name} would overwrite the recorder's own output, expected another name (e.g. ${exp.id}.pcap)`);
  }
  for (const [k, v] of Object.entries({ ...exp.sysctl, ...sysctl })) {
    if (!(KNOWN_SYSCTLS as readonly string[]).includes(k)) throw new Error(`sysctl ${k} is not one the recorder may set, expected one of ${KNOWN_SYSCTLS.join(', ')}`);
    for (const x of Array.isArray(v) ? v : String(v).trim().split(/\s+/))
      if (!/^-?\d{1,10}$/.test(String(x))) throw new Error(`sysctl ${k}=${String(v)}: expected integers`);
  }
  return lines;
}

/** The capture files a line's tcpdump writes (`-w NAME`), plain names by the grammar. */
function captureNames(cl: CommandLine): string[] {
  const out: string[] = [];
  for (const p of linePipelines(cl))
    for (const s of p.stages) {
      const w = s.words.map((x) => x.text);
      if (w[0] !== 'tcpdump') continue;
      const i = w.indexOf('-w');
      if (i > 0 && PLAIN_FILE.test(w[i + 1] ?? '')) out.push(w[i + 1]);
    }
  return out;
}

function which(name: string): string | null {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  return null;
}

const PACKAGES: Record<string, string> = { ip: 'iproute2', ss: 'iproute2', nc: 'netcat-openbsd', setpriv: 'util-linux', python3: 'python3' };

/** What is missing for a recording on this machine (empty when it can run). */
export function preflight(): string[] {
  const missing: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root privileges (network namespaces need CAP_SYS_ADMIN)');
  for (const t of REQUIRED_TOOLS) if (!which(t)) missing.push(`the \`${t}\` program (Debian package ${PACKAGES[t] ?? t})`);
  if (!missing.length) {
    const probe = `tcplab-probe-${process.pid}`;
    try {
      execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
      execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
    } catch (e) {
      missing.push(`network namespaces (\`ip netns add\` failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()})`);
    }
  }
  return missing;
}

/** A wait status (as the kernel's exit event gives it) as an exit code or a signal name. */
export function waitStatus(status: number): { code: number | null; signal: string | null } {
  const sig = status & 0x7f;
  if (!sig) return { code: (status >> 8) & 0xff, signal: null };
  const name = Object.entries(constants.signals).find(([, n]) => n === sig)?.[0];
  return { code: null, signal: name ?? `SIG${sig}` };
}

/** The pty host's events (src/recorder/pty-host.py). */
type HostEvent =
  | { e: 'ready'; bash: Record<string, number> }
  | { e: 'out'; term: string; t: number; text: string }
  | { e: 'typed'; id: number; t: number; ok: boolean; closed?: boolean }
  | { e: 'exec'; t: number; pid: number; nspid: number | null; ppid: number | null; term: string; argv: string[] | null }
  | { e: 'exit'; t: number; pid: number; status: number }
  | { e: 'closed'; term: string; t: number }
  | { e: 'unread'; term: string; t: number }
  | { e: 'sample'; t: number; end: number; text: string }
  | { e: 'lost'; t: number }
  | { e: 'done' };

export async function recordExperiment(exp: Experiment, opts: RecordOptions): Promise<Recording> {
  const log = opts.log ?? (() => {});
  // refuse the experiment before anything is created or started
  validateForRecording(exp, opts.sysctl);
  const ns = `tcplab-rec-${process.pid}`;
  const out = resolve(opts.outDir);
  mkdirSync(out, { recursive: true });
  // the experiment's programs run (and write their files) here, as nobody
  const work = mkdtempSync(join(tmpdir(), 'tcplab-rec-'));
  chownSync(work, NOBODY.uid, NOBODY.gid);
  const children = new Set<ChildProcess>();
  let restoreCc = () => {};
  let t0 = process.hrtime.bigint();
  const mono = (): bigint => process.hrtime.bigint();
  const now = (): number => Number(mono() - t0);
  const rel = (t: number): number => Math.max(0, Number(BigInt(t) - t0));
  const rec: Recording = {
    maxGapNs: opts.maxGapNs,
    experiment: exp.id, kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), terminal: 'bash', tools: toolVersions(), sysctls: {},
    steps: [], ports: {}, pids: {}, processes: [], terminals: {}, samples: [], packets: [],
  };
  const cleanup = () => {
    for (const c of children) {
      if (c.pid && c.exitCode === null && c.signalCode === null) {
        try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' }); } catch { /* not there */ }
    // the host's allowed list as it was before the run, also after an error or a signal
    restoreCc();
    rmSync(work, { recursive: true, force: true });
  };
  const onSignal = () => { cleanup(); process.exit(130); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    // the model's congestion control, not the host default the netns inherited
    restoreCc = allowCongestionControl(RECORDING_CC);
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv4.tcp_congestion_control=${RECORDING_CC}`]);
    rec.congestionControl = execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.tcp_congestion_control'], { encoding: 'utf8' }).trim();
    if (rec.congestionControl !== RECORDING_CC) throw new Error(`the experiment's network namespace runs ${rec.congestionControl}, not ${RECORDING_CC}`);
    const sysctl = { ...Object.fromEntries(Object.entries(exp.sysctl).map(([k, v]) => [k, Array.isArray(v) ? v.join(' ') : String(v)])), ...opts.sysctl };
    // a sysctl that is not per network namespace on this kernel would change the host: refuse
    const hostValue = (k: string) => { try { return execFileSync('sysctl', ['-n', k], { encoding: 'utf8' }); } catch { return null; } };
    for (const [k, v] of Object.entries(sysctl)) {
      const before = hostValue(k);
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `${k}=${v}`]);
      if (hostValue(k) !== before) {
        if (before !== null) execFileSync('sysctl', ['-qw', `${k}=${before.trim().replace(/\s+/g, ' ')}`]);
        throw new Error(`sysctl ${k} is not per network namespace on this kernel (setting it changed the host's value, now restored); the recorder does not change host settings`);
      }
    }
    for (const k of SYSCTL_KEYS) {
      try { rec.sysctls[k] = execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-n', k], { encoding: 'utf8' }).trim().replace(/\s+/g, ' '); } catch { /* absent on this kernel */ }
    }
    const nsExec = (args: string[]): ChildProcess => {
      const c = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, cwd: out });
      children.add(c);
      return c;
    };
    // background capture of everything TCP on lo (the conformance check reads it)
    const cap = nsExec(['tcpdump', '-i', 'lo', '-s', '0', '-U', '-w', join(out, 'capture.pcap'), 'tcp']);
    await waitFor(() => existsSync(join(out, 'capture.pcap')), 5000);

    // the terminals: a real bash each, in a pty, in the namespaces (src/recorder/pty-host.py)
    const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME, TERM: 'dumb', HISTFILE: '' };
    for (const k of ['LANG', 'LC_ALL', 'TZ']) if (process.env[k]) env[k] = process.env[k]!;
    const host = spawn(which('python3')!, ['-I', fileURLToPath(new URL('./pty-host.py', import.meta.url)), JSON.stringify({
      netns: ns, hostname: exp.host.hostname, scratch: work, home: HOME, uid: NOBODY.uid, gid: NOBODY.gid, setpriv: which('setpriv'), env,
      // bash's history number `\!` from the experiment's `history: N` on; the user and host
      // literally (bash runs as nobody; both are plain names, checked above)
      terminals: exp.terminals.map((t) => ({ name: t.name, cols: t.cols, ps1: `[#$((\\!+${t.history - 1}))#${exp.host.user}@${exp.host.hostname} \\W]$` })),
    })], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    children.add(host);
    const screens = new Map(exp.terminals.map((t) => [t.name, [] as ScreenChunk[]]));
    const byHostPid = new Map<number, ProcRecord>();
    const closed = new Set<string>();
    const replies = new Map<number, (ev: Extract<HostEvent, { e: 'typed' }>) => void>();
    let failure: Error | null = null;
    let hostDone = false;
    let ready = false;
    /** The step whose typed text the terminal's foreground job has not read yet. */
    const pendingText = new Map<string, Step>();
    let stderr = '';
    host.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    let buf = '';
    const onEvent = (ev: HostEvent) => {
      if (ev.e === 'ready') ready = true;
      else if (ev.e === 'out') screens.get(ev.term)?.push({ t: rel(ev.t), text: ev.text });
      else if (ev.e === 'typed') {
        replies.get(ev.id)?.(ev);
        replies.delete(ev.id);
      }
      else if (ev.e === 'exec') {
        const t = rel(ev.t);
        let step = -1;
        rec.steps.forEach((s, i) => { if (s.terminal === ev.term && s.actualNs <= t) step = i; });
        // a program that ended before its argv could be read: a step with one program ran it
        const argv = ev.argv ?? onlyProgram(exp.steps[step]);
        const pr: ProcRecord = { terminal: ev.term, pid: ev.nspid ?? -1, hostPid: ev.pid, cmd: argv?.join(' ') ?? '?', argv, step, startNs: t, endNs: null, exit: null };
        rec.processes.push(pr);
        byHostPid.set(ev.pid, pr);
      } else if (ev.e === 'exit') {
        const pr = byHostPid.get(ev.pid);
        if (pr) { pr.endNs = rel(ev.t); pr.exit = waitStatus(ev.status); }
      } else if (ev.e === 'closed') closed.add(ev.term);
      else if (ev.e === 'unread') {
        const step = pendingText.get(ev.term);
        const refusal = acceptCommandLine(step?.action.kind === 'type' ? step.action.line : '');
        failure ??= step && isCmdlineError(refusal)
          ? located(step, step.loc.col + 2 + refusal.col, `the typed text was not read by the foreground program of terminal ${step.terminal}, which stopped or ended first; bash would have read it as a command line, and the grammar refuses it (${refusal.message}): the recording stops here`)
          : new Error(`terminal ${ev.term}: typed text was left unread`);
      } else if (ev.e === 'sample') rec.samples.push({ t: rel(ev.t), end: rel(ev.end), text: ev.text });
      else if (ev.e === 'lost') log('  warning: the kernel dropped process events (the host was busy); some processes may lack their end');
      else if (ev.e === 'done') hostDone = true;
    };
    host.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) onEvent(JSON.parse(line) as HostEvent);
      }
    });
    let hostExited = false;
    host.on('exit', () => {
      hostExited = true;
      // the terminals are gone: nothing more can be typed (what waits for an answer gets one)
      if (!hostDone) failure ??= new Error(`the terminal host (src/recorder/pty-host.py) ended during the recording: ${stderr.trim().split('\n').at(-1) || 'no message'}`);
      for (const r of replies.values()) r({ e: 'typed', id: 0, t: Number(mono()), ok: true });
    });
    await waitFor(() => hostExited || (ready && [...screens.values()].every((c) => c.length > 0)), 10_000);
    if (!ready || hostExited) throw new Error(`the terminal host did not start: ${stderr.trim() || 'no prompt within 10 s'}`);
    let nextId = 0;
    host.stdin!.on('error', () => { /* the host ended: the exit handler says so */ });
    const send = (op: Record<string, unknown>): Promise<Extract<HostEvent, { e: 'typed' }>> => {
      const id = ++nextId;
      if (hostExited) return Promise.resolve({ e: 'typed', id, t: Number(mono()), ok: true });
      host.stdin!.write(JSON.stringify({ ...op, id }) + '\n');
      return new Promise((res) => replies.set(id, res));
    };
    await sleep(100);
    // a busy machine delays programs and the recorder itself: say so, and keep the figure
    rec.load = { loadavg1: loadavg()[0], cpus: availableParallelism() };
    if (rec.load.loadavg1 > 1.5 * rec.load.cpus) log(`  warning: load average ${rec.load.loadavg1.toFixed(1)} on ${rec.load.cpus} CPUs: program start-up and exit times may be off by hundreds of ms`);
    t0 = mono(); // the experiment's clock starts now; the first prompts are at t=0
    rec.epochT0Ns = Math.round((performance.timeOrigin + performance.now()) * 1e6);
    for (const chunks of screens.values()) for (const c of chunks) c.t = 0;
    // the socket table every sampleMs, dumped by the host (inet_diag, what ss reads)
    send({ op: 'sample', ms: opts.sampleMs ?? 100 });
    /** The first program started on a terminal at or after a time (the step's job). */
    const startedBy = async (term: string, from: number): Promise<ProcRecord | undefined> => {
      let p: ProcRecord | undefined;
      await waitFor(() => !!(p = rec.processes.find((x) => x.terminal === term && x.startNs >= from)) || failure !== null, 1000);
      return p;
    };
    // a number the experiment pinned stands for what this kernel gave there
    const substitute = (line: string): string => {
      let l = line;
      for (const [pinned, real] of [...Object.entries(rec.ports), ...Object.entries(rec.pids ?? {})]) l = l.replace(new RegExp(`\\b${pinned}\\b`, 'g'), String(real));
      return l;
    };
    const ss = () => new Promise<string>((res) => execFile('ip', ['netns', 'exec', ns, 'ss', '-natp'], { encoding: 'utf8' }, (err, so) => res(err ? '' : so)));
    /**
     * What a step's pins stand for on this kernel, learnt while the experiment goes on: the pid
     * its program got (when the pinned one was taken) and the local port of its connection (ss -p
     * shows the program's host pid), as long as the program runs.
     */
    const learnPins = async (step: Step, from: number) => {
      const p = await startedBy(step.terminal, from);
      if (!p) return;
      if (step.pins.pid !== undefined && p.pid !== step.pins.pid) {
        rec.pids![step.pins.pid] = p.pid;
        log(`  pid ${step.pins.pid} was taken: the process got ${p.pid}, later lines use that`);
      }
      const pinned = step.pins.ephemeralPort;
      if (pinned === undefined || !p.hostPid) return;
      // the connection may be any stage's: `yes | nc …` starts yes and nc in either order
      const stages = () => rec.processes.filter((x) => x.terminal === step.terminal && x.startNs >= from && x.hostPid && !x.exit);
      for (let i = 0; i < 200 && rec.ports[pinned] === undefined && stages().length; i++) {
        const pids = stages().map((x) => `pid=${x.hostPid},`);
        const row = (await ss()).split('\n').find((l) => pids.some((x) => l.includes(x)));
        const m = row && /\S+:(\d+)\s+\S+:\d+/.exec(row.split(/\s+/).slice(3).join(' '));
        if (m) rec.ports[pinned] = Number(m[1]);
        else await sleep(5);
      }
      log(`  port ${pinned} of the experiment is ${rec.ports[pinned] ?? 'unknown (the program had no connection to show)'} on this kernel`);
    };
    const learning: Promise<void>[] = [];
    for (const step of exp.steps) {
      const wait = step.at / 1e6 - now() / 1e6;
      if (wait > 0) await sleepUnless(wait, () => failure !== null);
      if (failure) throw failure;
      const a = step.action;
      const shown = a.kind === 'key' ? a.key : `${a.kind === 'command' ? '$' : '>'} ${a.line}`;
      const entry = { label: step.label ?? null, terminal: step.terminal, action: shown, plannedNs: step.at, actualNs: now() };
      rec.steps.push(entry);
      log(`[t=${(entry.actualNs / 1e9).toFixed(3)}] ${step.terminal}: ${shown}`);
      if (closed.has(step.terminal)) {
        log(`  terminal ${step.terminal} has no shell any more (it exited): nothing typed`);
        continue;
      }
      let reply;
      if (a.kind === 'key') reply = await send({ op: 'key', term: step.terminal, data: KEY_BYTES[a.key] });
      else if (a.kind === 'command') {
        // checked again after the substitution (digits for digits), then typed as written
        const line = substitute(a.line);
        const cl = acceptCommandLine(line);
        if (isCmdlineError(cl)) throw located(step, step.loc.col + 2 + cl.col, cl.message);
        reply = await send({ op: 'type', term: step.terminal, data: line + '\r', pid: step.pins.pid });
      } else {
        // typed text: a command line the grammar accepts may go wherever the terminal sends it;
        // anything else only to a foreground program (never to bash)
        const refusal = acceptCommandLine(a.line);
        const guard = isCmdlineError(refusal);
        if (guard) pendingText.set(step.terminal, step);
        reply = await send({ op: 'type', term: step.terminal, data: a.line + '\r', guard });
        if (!reply.ok && guard)
          throw located(step, step.loc.col + 2 + refusal.col, `bash is reading terminal ${step.terminal} (no program runs in the foreground), so it would run this typed text as a command line, and the grammar refuses it: ${refusal.message}`);
      }
      if (failure) throw failure;
      entry.actualNs = rel(reply.t);
      if (a.kind !== 'command') continue;
      if (step.pins.pid !== undefined || step.pins.ephemeralPort !== undefined) learning.push(learnPins(step, entry.actualNs));
    }
    await sleepUnless((exp.inputs.tailNs ?? 3e9) / 1e6, () => failure !== null);
    if (failure) throw failure;
    await Promise.all(learning);
    send({ op: 'sample', ms: 0 });
    // end: what still runs is terminated by the host (the conformance check treats these as
    // still running)
    for (const p of rec.processes)
      if (!p.exit) {
        p.killedAtEnd = true;
        try {
          const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p.hostPid}/status`, 'utf8'));
          if (m) p.uid = Number(m[1]);
        } catch { /* already gone */ }
      }
    // the capture ends with the experiment: what the teardown sends is not part of it
    try { process.kill(-cap.pid!, 'SIGINT'); } catch { /* gone */ }
    await waitFor(() => cap.exitCode !== null || cap.signalCode !== null, 5000);
    if (!hostExited) host.stdin!.write('{"op":"end"}\n');
    await waitFor(() => hostDone || hostExited, 10_000);
    for (const [name, chunks] of screens) rec.terminals[name] = chunks;
    // the capture files the experiment named, from the scratch folder into --out (regular
    // files only: never a link a program may have left there)
    for (const step of exp.steps) {
      if (step.action.kind !== 'command') continue;
      const cl = acceptCommandLine(step.action.line);
      if (isCmdlineError(cl)) continue;
      for (const name of captureNames(cl)) {
        const from = join(work, name);
        const st = existsSync(from) ? lstatSync(from) : null;
        if (st?.isFile() && st.size <= MAX_CAPTURE_BYTES) copyFileSync(from, join(out, name));
        else if (st) log(`  ${name}: not a regular file of at most ${MAX_CAPTURE_BYTES} bytes, not copied`);
      }
    }
  } finally {
    cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  rec.packets = tsharkPackets(join(out, 'capture.pcap'));
  writeOutputs(exp, rec, out);
  return rec;
}

function toolVersions(): Record<string, string> {
  const v = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? '').split('\n')[0].trim() || 'unknown';
    }
  };
  return {
    ss: v('ss', ['-V']),
    tcpdump: v('tcpdump', ['--version']),
    tshark: v('tshark', ['-v']),
    netcat: v('dpkg-query', ['-W', '-f', '${Version}', 'netcat-openbsd']),
  };
}

function tsharkPackets(pcap: string): Recording['packets'] {
  if (!existsSync(pcap)) return [];
  const fields = ['frame.time_epoch', 'ip.src', 'tcp.srcport', 'ip.dst', 'tcp.dstport', 'tcp.flags.str', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.window_size_value', 'tcp.len', 'tcp.options'];
  const txt = execFileSync('tshark', ['-r', pcap, '-T', 'fields', ...fields.flatMap((f) => ['-e', f]), '-E', 'separator=\t'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'ignore'] });
  return txt.split('\n').filter(Boolean).map((l) => {
    const f = l.split('\t');
    return { t: Number(f[0]), src: f[1], sport: +f[2], dst: f[3], dport: +f[4], flags: f[5], seq: +f[6], ack: +f[7], win: +f[8], len: +f[9], options: f[10] ?? '' };
  });
}

function writeOutputs(exp: Experiment, rec: Recording, out: string): void {
  writeFileSync(join(out, 'recording.json'), JSON.stringify(rec, null, 1) + '\n');
  writeFileSync(join(out, 'samples.txt'), rec.samples.map((s) => `--- t=${(s.t / 1e9).toFixed(3)}\n${s.text}`).join(''));
  const env = { ...process.env, LC_ALL: 'C', TZ: 'UTC' };
  const pcap = join(out, 'capture.pcap');
  if (existsSync(pcap)) {
    writeFileSync(join(out, 'tshark.txt'), execFileSync('tshark', ['-r', pcap], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] }));
    writeFileSync(join(out, 'tcpdump.txt'), tcpdumpText(pcap));
  }
  for (const b of exp.blocks) {
    if (b.kind !== 'terminal') continue;
    writeFileSync(join(out, `${b.name}.txt`), terminalBlock(exp, rec, b, Infinity));
  }
  for (const [name, chunks] of Object.entries(rec.terminals)) writeFileSync(join(out, `terminal-${name}.txt`), chunks.map((c) => c.text).join(''));
}

/** `tcpdump -nn -r FILE` in the C locale and UTC, as the recorded tcpdump.txt is written. */
function tcpdumpText(pcap: string): string {
  return execFileSync('tcpdump', ['-nn', '-r', pcap], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'ignore'] });
}

/**
 * A terminal block's text: the terminal's screen between the block's bounds. `endNs` caps the
 * `end` bound (Infinity: up to the teardown, where the recorder terminates what still runs).
 */
function terminalBlock(exp: Experiment, rec: Recording, b: Extract<Experiment['blocks'][number], { kind: 'terminal' }>, endNs: number): string {
  const stepAt = (label: string) => rec.steps.find((s) => s.label === label)?.actualNs ?? 0;
  const boundNs = (x: import('../experiment/types.ts').BlockBound, term: string, end: boolean): number => {
    if (x.kind === 'start') return -Infinity;
    if (x.kind === 'end') return endNs;
    if (x.kind === 'time') return x.at;
    if (x.kind === 'before') return stepAt(x.label);
    const i = rec.steps.findIndex((s) => s.label === x.label);
    const next = rec.steps.slice(i + 1).find((s) => s.terminal === term);
    return next ? next.actualNs : end ? endNs : rec.steps[i].actualNs;
  };
  return screenWindow(rec.terminals[b.terminal] ?? [], boundNs(b.from, b.terminal, false), boundNs(b.to, b.terminal, true));
}

/**
 * Write `expected/<block>.txt` for the experiment's terminal and tcpdump blocks from a
 * recording (the terminals in `recording.json`, the experiment's own capture file or else
 * `tcpdump.txt`), with the values a real run leaves to chance redacted (src/experiment/redact.ts). Only meaningful for a recording of the experiment
 * as written (no --max-gap compression, no sysctl overrides): the experiment file's `recorded:`
 * list can then check its linux-6.x blocks against them. Returns the block names written.
 */
export function writeExpectedBlocks(exp: Experiment, out: string): string[] {
  const rec = JSON.parse(readFileSync(join(out, 'recording.json'), 'utf8')) as Recording;
  const keepPorts = experimentPorts(exp);
  const dir = join(out, 'expected');
  mkdirSync(dir, { recursive: true });
  // the experiment ends `tail` after its last step, as in the simulator; what the recorder's
  // teardown prints after that ("Terminated") is not part of it
  const endNs = (rec.steps.at(-1)?.actualNs ?? 0) + (exp.inputs.tailNs ?? 3e9);
  // terminals that sample `ss`: row order follows the kernel's hash of the (random) ports and
  // column widths follow their digits, so only the conformance check compares them
  const sampling = new Set(exp.steps.flatMap((s) => (s.action.kind === 'command' && /\bss\b/.test(s.action.line) ? [s.terminal] : [])));
  const written: string[] = [];
  for (const b of exp.blocks) {
    let text: string | null = null;
    if (b.kind === 'terminal' && !sampling.has(b.terminal)) text = redactText(terminalBlock(exp, rec, b, endNs), 'terminal', { keepPorts });
    else if (b.kind === 'tcpdump') {
      // the experiment's own capture file, as its tcpdump wrote it (it may miss the last packets
      // before ^C, like the real tool); else the recorder's whole-run capture
      const own = join(out, PLAIN_FILE.test(b.capture) ? b.capture : 'capture.pcap');
      const raw = existsSync(own)
        ? tcpdumpText(own)
        : existsSync(join(out, 'tcpdump.txt'))
          ? readFileSync(join(out, 'tcpdump.txt'), 'utf8')
          : null;
      if (raw !== null) text = redactText(raw, 'tcpdump', { keepPorts });
    }
    if (text === null) continue;
    writeFileSync(join(dir, `${b.name}.txt`), text);
    written.push(b.name);
  }
  return written;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Sleep, but wake early (checked every 20 ms) when `stop` becomes true. */
async function sleepUnless(ms: number, stop: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!stop() && Date.now() < end) await sleep(Math.min(20, end - Date.now()));
}
async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

