/**
 * Record an experiment on the host kernel: real nc, ss and tcpdump inside a fresh network
 * namespace (loopback only), keystrokes at the experiment's times, job control emulated the
 * way an interactive bash does it (^Z = SIGSTOP to the job's process group, ^C = SIGINT,
 * fg = SIGCONT). Writes the terminal blocks, the capture, every ss sample and a
 * machine-readable recording.json. Node-only (src/recorder is not part of the pure model).
 *
 * Experiments are untrusted input (they arrive as pull requests), so nothing runs before every
 * command line of the experiment passed the grammar the simulator uses (src/userland/cmdline.ts):
 * no expansion, redirection or operator bash would interpret, only modelled programs and options,
 * capture files as plain names. A program runs as `nobody` with only CAP_NET_RAW and
 * CAP_NET_ADMIN (what tcpdump needs), inside the namespace, in a scratch folder that is its only
 * writable place; the capture files the experiment names are copied into --out afterwards. Its
 * words reach bash single-quoted (toBash), so bash expands nothing. `kill PID` signals only a
 * process this recorder started (a pid the experiment pinned stands for that step's process).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { acceptCommandLine, isCmdlineError, KILL_SIGNALS, linePipelines, PLAIN_FILE, toBash, type CommandLine } from '../userland/cmdline.ts';
import { KNOWN_SYSCTLS } from '../experiment/parse.ts';
import { experimentPorts, redactText } from '../experiment/redact.ts';
import { join, resolve } from 'node:path';
import type { Experiment, Step } from '../experiment/types.ts';
import { screenWindow, type ScreenChunk } from '../experiment/run.ts';

export interface RecordOptions {
  outDir: string;
  /** The --max-gap used (ns), stored so the conformance check compresses the model run alike. */
  maxGapNs?: number;
  sysctl: Record<string, string>;
  /** Sample `ss -natp -o` this often (ms). */
  sampleMs?: number;
  log?: (line: string) => void;
}

export interface ProcRecord {
  terminal: string;
  pid: number;
  cmd: string;
  startNs: number;
  endNs: number | null;
  exit: { code: number | null; signal: string | null } | null;
  /** Still running when the experiment ended (the recorder terminated it). */
  killedAtEnd?: boolean;
  /** Real uid of a process still running at the end (experiment programs run as nobody). */
  uid?: number;
  output: ScreenChunk[];
}

export interface Recording {
  maxGapNs?: number;
  experiment: string;
  kernel: string;
  tools: Record<string, string>;
  sysctls: Record<string, string>;
  steps: { label: string | null; terminal: string; action: string; plannedNs: number; actualNs: number }[];
  /** Ephemeral ports the experiment pins (the simulator's choice) -> the port this kernel chose. */
  ports: Record<string, number>;
  processes: ProcRecord[];
  terminals: Record<string, ScreenChunk[]>;
  samples: { t: number; text: string }[];
  packets: { t: number; src: string; sport: number; dst: string; dport: number; flags: string; seq: number; ack: number; win: number; len: number; options: string }[];
}

const REQUIRED_TOOLS = ['ip', 'nc', 'ss', 'tcpdump', 'tshark', 'setpriv', 'bash'];
const SYSCTL_KEYS = [
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_syn_retries', 'net.ipv4.tcp_synack_retries', 'net.ipv4.tcp_abort_on_overflow',
  'net.ipv4.tcp_max_syn_backlog', 'net.core.somaxconn', 'net.ipv4.tcp_syncookies', 'net.ipv4.tcp_challenge_ack_limit',
  'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syn_linear_timeouts',
];

/** The unprivileged identity experiment programs run as (nobody:nogroup on Debian). */
const NOBODY = { uid: 65534, gid: 65534 };
const CAPS = '-all,+net_raw,+net_admin';
/** Names the recorder writes into --out itself, which an experiment's capture may not take. */
const RECORDER_FILES = /^(?:capture\.pcap|.*\.txt|.*\.json)$/;
/** Largest capture file copied out of the scratch folder. */
const MAX_CAPTURE_BYTES = 256 << 20;

/**
 * Every command line of the experiment, accepted by the shared grammar, or an error naming the
 * step's file:line:col. The recorder calls it before it creates the namespace.
 */
export function validateForRecording(exp: Experiment, sysctl: Record<string, string> = {}): Map<Step, CommandLine> {
  const lines = new Map<Step, CommandLine>();
  for (const step of exp.steps) {
    if (step.action.kind !== 'command') continue;
    const cl = acceptCommandLine(step.action.line);
    if (isCmdlineError(cl)) throw new Error(`${step.loc.file}:${step.loc.line}:${step.loc.col + 2 + cl.col}: ${cl.message}`);
    lines.set(step, cl);
    for (const name of captureNames(cl))
      if (RECORDER_FILES.test(name)) throw new Error(`${step.loc.file}:${step.loc.line}:${step.loc.col}: capture file ${name} would overwrite the recorder's own output, expected another name (e.g. ${exp.id}.pcap)`);
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

/** What is missing for a recording on this machine (empty when it can run). */
export function preflight(): string[] {
  const missing: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root privileges (network namespaces need CAP_SYS_ADMIN)');
  for (const t of REQUIRED_TOOLS) if (!which(t)) missing.push(`the \`${t}\` program (Debian package ${t === 'ip' || t === 'ss' ? 'iproute2' : t === 'nc' ? 'netcat-openbsd' : t === 'setpriv' ? 'util-linux' : t})`);
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

interface Job {
  n: number;
  child: ChildProcess;
  cmd: string;
  rec: ProcRecord;
  state: 'running' | 'stopped' | 'done';
  stdinKeep: boolean;
}

export async function recordExperiment(exp: Experiment, opts: RecordOptions): Promise<Recording> {
  const log = opts.log ?? (() => {});
  // refuse the experiment before anything is created or started
  const lines = validateForRecording(exp, opts.sysctl);
  const ns = `tcplab-rec-${process.pid}`;
  const out = resolve(opts.outDir);
  mkdirSync(out, { recursive: true });
  // the experiment's programs run (and write their files) here, as nobody
  const work = mkdtempSync(join(tmpdir(), 'tcplab-rec-'));
  chownSync(work, NOBODY.uid, NOBODY.gid);
  /** experiment pid (a {pid=N} pin) -> the real pid of that step's process */
  const pinnedPids = new Map<number, number>();
  const children = new Set<ChildProcess>();
  let t0 = process.hrtime.bigint();
  const now = (): number => Number(process.hrtime.bigint() - t0);
  const rec: Recording = {
    maxGapNs: opts.maxGapNs,
    experiment: exp.id, kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), tools: toolVersions(), sysctls: {},
    steps: [], ports: {}, processes: [], terminals: {}, samples: [], packets: [],
  };
  const cleanup = () => {
    for (const c of children) {
      if (c.pid && c.exitCode === null && c.signalCode === null) {
        try { process.kill(-c.pid, 'SIGCONT'); process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' }); } catch { /* not there */ }
    rmSync(work, { recursive: true, force: true });
  };
  const onSignal = () => { cleanup(); process.exit(130); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
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
    const nsExec = (args: string[], detached = true): ChildProcess => {
      const c = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached, cwd: out });
      children.add(c);
      return c;
    };
    // an experiment's command line: bash as nobody, with only the capabilities tcpdump needs,
    // a clean environment, the scratch folder as its working directory
    const jobExec = (script: string): ChildProcess => {
      const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/nonexistent'];
      for (const k of ['LANG', 'LC_ALL', 'TZ']) if (process.env[k]) env.push(`${k}=${process.env[k]}`);
      const c = spawn('ip', ['netns', 'exec', ns, 'setpriv', `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups',
        `--inh-caps=${CAPS}`, `--ambient-caps=${CAPS}`, `--bounding-set=${CAPS}`, '--no-new-privs',
        'env', '-i', ...env, 'bash', '--norc', '--noprofile', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, cwd: work });
      children.add(c);
      return c;
    };
    // background capture of everything TCP on lo (the conformance check reads it)
    const cap = nsExec(['tcpdump', '-i', 'lo', '-s', '0', '-U', '-w', join(out, 'capture.pcap'), 'tcp']);
    await waitFor(() => existsSync(join(out, 'capture.pcap')), 5000);
    await sleep(300);
    t0 = process.hrtime.bigint(); // the experiment's clock starts now
    // the ss sampler
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const text = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-natp', '-o'], { encoding: 'utf8' });
          rec.samples.push({ t: now(), text });
        } catch { /* namespace going away */ }
        await sleep(opts.sampleMs ?? 100);
      }
    })();

    // one emulated interactive shell per terminal
    const terms = new Map<string, { history: number; chunks: ScreenChunk[]; fg: Job | null; jobs: Job[] }>();
    const write = (term: string, text: string) => terms.get(term)!.chunks.push({ t: now(), text });
    const prompt = (term: string) => write(term, `[#${terms.get(term)!.history}#${exp.host.user}@${exp.host.hostname} ~]$`);
    for (const t of exp.terminals) {
      terms.set(t.name, { history: t.history, chunks: [], fg: null, jobs: [] });
      prompt(t.name);
    }
    const start = (term: string, line: string, cl: CommandLine): Job => {
      // `exec` keeps the pid of a single program; pipelines and loops keep bash as the leader
      const isSimple = cl.kind === 'list' && cl.items.length === 1 && cl.items[0].stages.length === 1;
      const c = jobExec(isSimple ? `exec ${toBash(cl)}` : toBash(cl));
      const pr: ProcRecord = { terminal: term, pid: c.pid ?? -1, cmd: line, startNs: now(), endNs: null, exit: null, output: [] };
      rec.processes.push(pr);
      // bash numbers jobs per shell: one more than the highest job number still in its table
      const n = 1 + Math.max(0, ...terms.get(term)!.jobs.map((j) => j.n));
      const job: Job = { n, child: c, cmd: line, rec: pr, state: 'running', stdinKeep: true };
      const onData = (d: Buffer) => {
        const text = d.toString();
        pr.output.push({ t: now(), text });
        write(term, text);
      };
      c.stdout!.on('data', onData);
      c.stderr!.on('data', onData);
      c.on('exit', (code, signal) => {
        pr.endNs = now();
        pr.exit = { code, signal };
        job.state = 'done';
        const st = terms.get(term)!;
        if (st.fg === job) {
          st.fg = null;
          if (signal === 'SIGINT') write(term, '\n');
          else if (signal === 'SIGKILL') write(term, 'Killed\n');
          else if (signal === 'SIGTERM') write(term, 'Terminated\n');
          prompt(term);
        } else if (st.jobs.includes(job)) {
          st.jobs.splice(st.jobs.indexOf(job), 1);
          if (signal) write(term, `[${job.n}]+  ${(signal === 'SIGKILL' ? 'Killed' : 'Terminated').padEnd(24)}${job.cmd}\n`);
        }
      });
      return job;
    };
    const signalJob = (j: Job, sig: NodeJS.Signals) => {
      try { process.kill(-j.child.pid!, sig); } catch { /* gone */ }
    };
    const apply = async (step: Step) => {
      const st = terms.get(step.terminal)!;
      if (step.action.kind === 'key') {
        write(step.terminal, step.action.key);
        if (step.action.key === '^C') {
          if (st.fg) signalJob(st.fg, 'SIGINT');
          else { write(step.terminal, '\n'); prompt(step.terminal); }
        } else if (step.action.key === '^Z' && st.fg) {
          const j = st.fg;
          signalJob(j, 'SIGSTOP');
          j.state = 'stopped';
          st.fg = null;
          st.jobs.push(j);
          write(step.terminal, `\n[${j.n}]+  ${'Stopped'.padEnd(24)}${j.cmd}\n`);
          prompt(step.terminal);
        } else if (step.action.key === '^D' && st.fg) st.fg.child.stdin!.end();
        return;
      }
      // a port pinned earlier stands for whatever port the kernel really chose there
      let line = step.action.line;
      for (const [pinned, real] of Object.entries(rec.ports)) line = line.replace(new RegExp(`\\b${pinned}\\b`, 'g'), String(real));
      write(step.terminal, line + '\n');
      if (st.fg) { st.fg.child.stdin!.write(line + '\n'); return; }
      if (!line.trim()) { prompt(step.terminal); return; }
      st.history++;
      // checked again after the port substitution (digits for digits), then run as parsed
      const cl = acceptCommandLine(line);
      if (isCmdlineError(cl)) throw new Error(`${step.loc.file}:${step.loc.line}:${step.loc.col + 2 + cl.col}: ${cl.message}`);
      // a builtin alone on the line is emulated here (bash -c has no job table); anything else,
      // lists and pipelines with echo included, runs in a real bash
      const single = cl.kind === 'list' && cl.items.length === 1 && cl.items[0].stages.length === 1;
      const w = single ? cl.items[0].stages[0].words.map((y) => y.text) : [];
      // bash's job specs: none, %, %% and %+ are the current (newest) job; %N or N job N
      const pick = (spec?: string): Job | undefined =>
        !spec || spec === '%' || spec === '%%' || spec === '%+' ? st.jobs.at(-1) : st.jobs.find((x) => x.n === Number(spec.replace('%', '')));
      if (w[0] === 'fg' || w[0] === 'bg') {
        const j = pick(w[1]);
        if (!j) { write(step.terminal, `bash: ${w[0]}: ${w[1] ?? 'current'}: no such job\n`); prompt(step.terminal); return; }
        signalJob(j, 'SIGCONT');
        j.state = 'running';
        if (w[0] === 'bg') { write(step.terminal, `[${j.n}]+ ${j.cmd} &\n`); prompt(step.terminal); return; }
        st.jobs.splice(st.jobs.indexOf(j), 1);
        write(step.terminal, j.cmd + '\n');
        st.fg = j;
        return;
      }
      if (w[0] === 'jobs') {
        st.jobs.forEach((j, i) => write(step.terminal, `[${j.n}]${i === st.jobs.length - 1 ? '+' : '-'}  ${(j.state === 'stopped' ? 'Stopped' : 'Running').padEnd(24)}${j.cmd}\n`));
        prompt(step.terminal);
        return;
      }
      if (w[0] === 'kill') {
        const spec = w[1].startsWith('-') ? w[1].slice(1).toUpperCase() : 'TERM';
        const sig = (KILL_SIGNALS[spec] ?? KILL_SIGNALS[spec.replace(/^SIG/, '')]) as NodeJS.Signals;
        for (const target of w.slice(1).filter((x) => !x.startsWith('-'))) {
          const j = target.startsWith('%') ? pick(target) : undefined;
          // a pid: only a process this recorder started (a pinned pid stands for its step's process)
          const real = pinnedPids.get(Number(target)) ?? Number(target);
          const own = [...children].find((c) => c.pid === real && c.exitCode === null && c.signalCode === null && c !== cap);
          if (j) signalJob(j, sig);
          else if (target.startsWith('%')) write(step.terminal, `bash: kill: ${target}: no such job\n`);
          else if (own) try { process.kill(real, sig); } catch { /* gone */ }
          else write(step.terminal, `bash: kill: (${target}) - No such process\n`);
        }
        await sleep(50);
        prompt(step.terminal);
        return;
      }
      if (w[0] === 'echo' || w[0] === 'true') {
        if (w[0] === 'echo') write(step.terminal, w.slice(1).join(' ') + '\n');
        prompt(step.terminal);
        return;
      }
      st.fg = start(step.terminal, line, cl);
      if (step.pins.pid !== undefined && st.fg.child.pid) pinnedPids.set(step.pins.pid, st.fg.child.pid);
      const pinned = step.pins.ephemeralPort;
      if (pinned !== undefined) {
        // learn the local port of this job's connection from ss (-p shows the pid)
        const pid = st.fg.child.pid;
        for (let i = 0; i < 100 && rec.ports[pinned] === undefined; i++) {
          await sleep(10);
          const text = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-natp'], { encoding: 'utf8' });
          const row = text.split('\n').find((l) => l.includes(`pid=${pid},`));
          const m = row && /\S+:(\d+)\s+\S+:\d+/.exec(row.split(/\s+/).slice(3).join(' '));
          if (m) rec.ports[pinned] = Number(m[1]);
        }
        log(`  port ${pinned} of the experiment is ${rec.ports[pinned] ?? 'unknown'} on this kernel`);
      }
    };
    for (const step of exp.steps) {
      const wait = step.at / 1e6 - now() / 1e6;
      if (wait > 0) await sleep(wait);
      const actual = now();
      rec.steps.push({ label: step.label ?? null, terminal: step.terminal, action: step.action.kind === 'key' ? step.action.key : `$ ${step.action.line}`, plannedNs: step.at, actualNs: actual });
      log(`[t=${(actual / 1e9).toFixed(3)}] ${step.terminal}: ${step.action.kind === 'key' ? step.action.key : '$ ' + step.action.line}`);
      await apply(step);
    }
    await sleep((exp.inputs.tailNs ?? 3e9) / 1e6);
    sampling = false;
    await sampler;
    // end: whatever still runs is terminated (TERM before CONT, so a stopped job dies without
    // running again); the conformance check treats these as still running
    for (const st of terms.values())
      for (const j of [...st.jobs, ...(st.fg ? [st.fg] : [])]) {
        j.rec.killedAtEnd = true;
        try {
          const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${j.child.pid}/status`, 'utf8'));
          if (m) j.rec.uid = Number(m[1]);
        } catch { /* already gone */ }
        signalJob(j, 'SIGTERM');
        signalJob(j, 'SIGCONT');
      }
    try { process.kill(-cap.pid!, 'SIGINT'); } catch { /* gone */ }
    await waitFor(() => cap.exitCode !== null || cap.signalCode !== null, 5000);
    for (const [name, st] of terms) rec.terminals[name] = st.chunks;
    // the capture files the experiment named, from the scratch folder into --out (regular
    // files only: never a link a program may have left there)
    for (const cl of lines.values())
      for (const name of captureNames(cl)) {
        const from = join(work, name);
        const st = existsSync(from) ? lstatSync(from) : null;
        if (st?.isFile() && st.size <= MAX_CAPTURE_BYTES) copyFileSync(from, join(out, name));
        else if (st) log(`  ${name}: not a regular file of at most ${MAX_CAPTURE_BYTES} bytes, not copied`);
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
async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

