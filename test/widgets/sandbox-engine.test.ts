// The sandbox's engine (src/widgets/sandbox-engine.ts) in Node, on a clock the test moves:
// simulated time follows the wall clock (1×, 10×) and Skip jumps to the next event; ^C ends a
// watch loop; several terminals share one host; goals are predicates over the socket table;
// help, clear and reset at the prompt; input reaches whatever reads the terminal; a model
// exception boots a new host; exit and a new shell; the same output however finely it is sliced.
import { describe, expect, test, vi } from 'vitest';
import { performance } from 'node:perf_hooks';
import { BOOT_NS, LADDER_PACKETS, SandboxDriver, SandboxEngine, type EngineOptions } from '../../src/widgets/sandbox-engine.ts';
import { keepTail, MAX_TERMINALS, shortName, type Input, type Update } from '../../src/widgets/sandbox-protocol.ts';
import { complete, goalSet } from '../../src/widgets/sandbox-lab.ts';
import { COMMANDS } from '../../src/userland/index.ts';

/**
 * An engine on a test clock: `pump(ms)` moves the clock `step` ms at a time, stepping the engine
 * (with no deadline: the clock does not move while it runs) and collecting each terminal's screen.
 */
class Lab {
  now = 0;
  readonly e: SandboxEngine;
  screens: string[] = [];
  last!: Update;
  goals: string[] = [];
  crashes: string[] = [];
  /** The live view as the element would show it (each update sends what changed). */
  live = { ss: '', queue: '', ladder: '', packets: 0 };
  /** What was read out. */
  said: string[] = [];
  /** How many updates sent each part of the live view. */
  liveSent: Record<string, number> = {};
  constructor(o: Partial<EngineOptions> = {}) {
    this.e = new SandboxEngine({ profile: 'linux-4.4', ...o }, () => this.now);
    this.pump(10);
  }
  private drain(): void {
    const u = this.e.drain();
    for (const it of u.items) {
      if (it.kind === 'out') this.screens[it.tty] = (this.screens[it.tty] ?? '') + it.text;
      else if (it.kind === 'clear') this.screens[it.tty] = '';
      else if (it.kind === 'reset') this.screens = [];
      else this.crashes.push(it.message);
    }
    if (u.goals) this.goals = u.goals.filter((g) => g.done).map((g) => g.id);
    this.live = { ...this.live, ...u.live };
    for (const t of u.ttys) if (t.say) this.said.push(t.say);
    if (u.say) this.said.push(u.say);
    for (const k of Object.keys(u.live ?? {})) this.liveSent[k] = (this.liveSent[k] ?? 0) + 1;
    this.last = u;
  }
  pump(ms: number, step = 10): this {
    for (const end = this.now + ms; this.now < end; this.now += step) {
      this.e.step(Infinity);
      this.drain();
    }
    this.e.step(Infinity);
    this.drain();
    return this;
  }
  input(x: Input): this {
    this.e.input(x);
    this.drain();
    return this;
  }
  /** Type a line (or a ^X key) into terminal `tty` and let `ms` of wall clock pass. */
  type(line: string, tty = 0, ms = 200): this {
    this.input(/^\^[CZD\\]$/.test(line) ? { kind: 'key', tty, key: line as '^C' } : { kind: 'line', tty, text: line });
    return this.pump(ms);
  }
  /** Skip to the next event, then let a little wall clock pass. */
  skip(): this {
    return this.input({ kind: 'skip' }).pump(20);
  }
  screen(tty = 0): string {
    return this.screens[tty] ?? '';
  }
  get simS(): number {
    return this.last.simNs / 1e9;
  }
}

const PROMPT_END = (n: number) => new RegExp(`\\[#${n}#root@lab ~\\]\\$$`);
const count = (text: string, re: RegExp) => text.match(re)?.length ?? 0;

describe('time follows the wall clock', () => {
  test('boots to the first prompt at simulated time 0; a command runs to the next prompt', () => {
    const lab = new Lab();
    expect(lab.screen()).toBe('[#1#root@lab ~]$');
    expect(lab.last.simNs).toBeLessThan(20e6); // the 10 ms the test's clock moved
    lab.type('echo hello');
    expect(lab.screen()).toBe('[#1#root@lab ~]$echo hello\nhello\n[#2#root@lab ~]$');
    expect(lab.last.ttys).toEqual([{ ended: false, prompt: true, unknown: null, refused: null, note: '' }]);
    expect(lab.said).toEqual(['hello']);
    expect(lab.last.seq).toBe(1);
  });

  test('at 1× a watch loop prints once a second of wall clock, at 10× ten times as often, and ^C stops it at once', () => {
    const lab = new Lab();
    lab.type('while true; do ss -nt; sleep 1; echo ---; done', 0, 5000);
    // about 5 passes in 5 s (ss takes 21 ms, the shell a few ms more)
    const at1 = count(lab.screen(), /^---$/gm);
    expect(at1).toBeGreaterThanOrEqual(4);
    expect(at1).toBeLessThanOrEqual(5);
    expect(lab.simS).toBeGreaterThan(5);
    expect(lab.simS).toBeLessThan(5.3);
    lab.input({ kind: 'speed', speed: 10 }).pump(2000);
    const at10 = count(lab.screen(), /^---$/gm) - at1;
    expect(at10).toBeGreaterThanOrEqual(18);
    expect(at10).toBeLessThanOrEqual(20);
    expect(lab.simS).toBeGreaterThan(25);
    expect(lab.last.speed).toBe(10);
    // ^C reaches the loop within the next step: the prompt is back, the clock runs on
    lab.input({ kind: 'key', tty: 0, key: '^C' }).pump(10);
    expect(lab.screen()).toMatch(/\^C\n\[#2#root@lab ~\]\$$/);
    const t = lab.simS;
    lab.pump(1000);
    expect(lab.simS).toBeCloseTo(t + 10, 1);
    expect(count(lab.screen(), /^---$/gm)).toBe(at1 + at10);
  });

  test('the same inputs at the same wall-clock times give the same output however finely the run is sliced', () => {
    const script: Array<[number, string, number]> = [
      [100, 'nc -l 12345', 0], [300, '^Z', 0], [400, 'nc localhost 12345', 1], [900, '^C', 1],
      [1000, 'while true; do ss -natp -o; sleep 1; done', 1], [3500, '^C', 1], [3600, 'jobs', 0],
    ];
    const once = (step: number) => {
      const lab = new Lab();
      lab.input({ kind: 'open' });
      for (const [at, line, tty] of script) {
        lab.pump(at - lab.now, step);
        lab.now = at;
        lab.type(line, tty, 0);
      }
      lab.pump(500, step);
      return lab.screens;
    };
    const coarse = once(100);
    const fine = once(1);
    expect(fine).toEqual(coarse);
    expect(coarse[0]).toContain('[1]+  Stopped                 nc -l 12345');
    expect(count(coarse[1], /^CLOSE-WAIT +1 +0 /gm)).toBe(3); // three passes of the loop
  });

  test('Skip jumps to the next event: the FIN-WAIT-2 timer, then the end of the sleep', () => {
    const lab = new Lab();
    lab.type('nc -l 12345').type('^Z').input({ kind: 'open' }).pump(50);
    lab.type('nc localhost 12345', 1).type('^C', 1);
    lab.type('sleep 100', 1);
    expect(lab.goals).toEqual(['stopped-listener', 'close-wait-child']);
    const before = lab.simS;
    // nothing is due now: Skip goes to the FIN-WAIT-2 socket's expiry (tcp_fin_timeout 60 s)
    lab.skip();
    expect(lab.simS - before).toBeGreaterThan(58);
    expect(lab.simS - before).toBeLessThan(61);
    expect(lab.goals).toContain('fin-wait-2-expired');
    expect(lab.screen(1)).not.toMatch(PROMPT_END(3));
    // then to the end of the sleep, and the prompt
    lab.skip();
    expect(lab.screen(1)).toMatch(PROMPT_END(3));
    expect(lab.simS).toBeGreaterThan(100);
    expect(lab.simS).toBeLessThan(101);
    // with the shell at its prompt and nothing scheduled, Skip changes nothing
    const t = lab.simS;
    lab.skip();
    expect(lab.simS - t).toBeLessThan(0.1);
  });

  test('a host that cannot keep up drops the lag: its time runs slower than the speed, not faster afterwards', () => {
    // a clock that moves 1 ms at every read: a 8 ms slice runs a few events only
    let t = 0;
    const e = new SandboxEngine({ profile: 'linux-6.x' }, () => (t += 1));
    while (e.step(t + 8));
    e.input({ kind: 'speed', speed: 10 });
    e.input({ kind: 'line', tty: 0, text: 'while true; do ss; done' });
    let behind = false;
    for (let i = 0; i < 200; i++) {
      e.step(t + 8);
      behind ||= e.drain().behind;
    }
    expect(behind).toBe(true);
    const sim = e.drain().simNs;
    expect(sim / 1e6).toBeLessThan(10 * t);
    e.input({ kind: 'key', tty: 0, key: '^C' });
    for (let i = 0; i < 200 && e.step(t + 8); i++);
    const u = e.drain();
    expect(u.behind).toBe(false);
    expect(u.ttys[0].prompt).toBe(true);
  });
});

describe('several terminals on one host', () => {
  test('a listener started in one terminal is seen by ss in another; output and keys stay in their terminal', () => {
    const lab = new Lab();
    lab.input({ kind: 'open' }).pump(50);
    expect(lab.screen(1)).toBe('[#1#root@lab ~]$');
    lab.type('nc -l 12345', 0);
    lab.type('ss -nlt', 1);
    expect(lab.screen(1)).toMatch(/^LISTEN .*:12345/m);
    expect(lab.screen(0)).toBe('[#1#root@lab ~]$nc -l 12345\n');
    // ^C in terminal 2 reaches its own shell only
    lab.type('^C', 1);
    expect(lab.screen(0)).toBe('[#1#root@lab ~]$nc -l 12345\n');
    lab.type('ss -nlt', 1);
    expect(lab.screen(1).match(/^LISTEN .*:12345/gm)).toHaveLength(2);
    expect(lab.last.ttys.map((t) => t.prompt)).toEqual([false, true]);
    // up to four terminals
    for (let i = 0; i < 5; i++) lab.input({ kind: 'open' });
    lab.pump(50);
    expect(lab.last.ttys).toHaveLength(MAX_TERMINALS);
    expect(lab.screen(3)).toBe('[#1#root@lab ~]$');
  });

  test('typed input goes to whatever reads the terminal: a line typed into a connected nc is sent, not run', () => {
    const lab = new Lab();
    lab.input({ kind: 'open' }).pump(50);
    lab.type('nc -l 12345', 0).type('nc localhost 12345', 1).type('help', 1).type('echo hi', 1);
    // nc sends both lines to the listener, which prints them; bash never sees them
    expect(lab.screen(0)).toBe('[#1#root@lab ~]$nc -l 12345\nhelp\necho hi\n');
    expect(lab.screen(1)).toBe('[#1#root@lab ~]$nc localhost 12345\nhelp\necho hi\n');
    lab.type('^C', 1);
    expect(lab.screen(1)).toMatch(PROMPT_END(2));
    // a listener in the background does not read the terminal: the next lines are bash's
    lab.type('nc -l 12346 &', 1).type('echo hi | grep hi', 1).type('jobs', 1);
    expect(lab.screen(1)).toMatch(/\$nc -l 12346 &\n\[1\] \d+\n\[#3#root@lab ~\]\$echo hi \| grep hi\nhi\n\[#4#root@lab ~\]\$jobs\n\[1\]\+  Running {17}nc -l 12346 &\n\[#5#root@lab ~\]\$$/);
  });

  test('a ^C that lands between two jobs of a loop, then a line typed at once: the loop ends, then the line runs', () => {
    const lab = new Lab();
    lab.type('while true; do echo x; done', 0, 20);
    lab.input({ kind: 'key', tty: 0, key: '^C' });
    lab.input({ kind: 'line', tty: 0, text: 'echo after' });
    lab.pump(100);
    // (the terminal echoes the line when it is typed; bash reads it once the loop has ended)
    expect(lab.screen()).toMatch(/\^C(echo after\n)?\n\[#2#root@lab ~\]\$(echo after\n)?after\n\[#3#root@lab ~\]\$$/);
    expect(count(lab.screen(), /(?<!echo )after\n/g)).toBe(1);
  });
});

describe('goals are checked on the model, not on the text', () => {
  test('the collision: a stopped listener, a CLOSE-WAIT child, the client expired, then Recv-Q 2 with one CLOSE-WAIT row', () => {
    const lab = new Lab({ goals: 'seed-collision' });
    expect(lab.last.goals ?? lab.goals).toEqual([]);
    lab.type('nc -l 12345');
    expect(lab.goals).toEqual([]); // listening, but accept() would take a client
    lab.type('^Z');
    expect(lab.goals).toEqual(['stopped-listener']);
    lab.input({ kind: 'open' }).pump(50);
    lab.type('nc localhost 12345', 1).type('^C', 1);
    expect(lab.goals).toEqual(['stopped-listener', 'close-wait-child']);
    const port = /127\.0\.0\.1:(\d+) +127\.0\.0\.1:12345/.exec(lab.type('ss -nt', 1).screen(1))![1];
    lab.input({ kind: 'speed', speed: 10 }).pump(6500);
    expect(lab.goals).toContain('fin-wait-2-expired');
    expect(lab.goals).not.toContain('recvq-2-one-close-wait');
    lab.type(`nc -v -p ${port} localhost 12345`, 1, 1500).type('^C', 1);
    expect(lab.goals).toEqual(['stopped-listener', 'close-wait-child', 'fin-wait-2-expired', 'recvq-2-one-close-wait']);
    lab.type('ss -natp', 1);
    expect(lab.screen(1)).toMatch(/^LISTEN +2 +1 /m);
    // reset: a new host, every goal unmet again, one terminal's screen per terminal
    lab.input({ kind: 'reset' }).pump(50);
    expect(lab.goals).toEqual([]);
    expect(lab.screens).toEqual(['[#1#root@lab ~]$', '[#1#root@lab ~]$']);
  });

  test('printing what a goal describes does not reach it; two live children (Recv-Q 2, one CLOSE-WAIT, one ESTAB) do not either', () => {
    const lab = new Lab();
    lab.type("echo 'LISTEN     2      1  *:12345'; echo CLOSE-WAIT");
    expect(lab.goals).toEqual([]);
    lab.input({ kind: 'open' }).input({ kind: 'open' }).pump(50);
    lab.type('nc -l 12345').type('^Z');
    lab.type('nc localhost 12345', 1).type('^C', 1);
    lab.type('nc localhost 12345', 2);
    lab.type('ss -nt', 1);
    expect(lab.screen(1)).toMatch(/^ESTAB .*:12345 /m);
    expect(lab.goals).not.toContain('recvq-2-one-close-wait');
  });

  test('each goal set names its goals in both languages', () => {
    for (const set of ['seed-collision', 'seed-recvq', 'accept-queue-overflow']) for (const g of goalSet(set)) expect(g.en && g.zh).toBeTruthy();
    const zh = new Lab({ lang: 'zh-CN' });
    expect(zh.e.goals()[0].text).toMatch(/^启动/);
  });
});

describe('the lab at the prompt: help, clear, reset; Tab completion; notes', () => {
  test('help prints the lab help and a new prompt; clear empties the screen; reset boots a new host', () => {
    const lab = new Lab();
    lab.type('help');
    expect(lab.screen()).toMatch(/^\[#1#root@lab ~\]\$help\ntcp-lab sandbox: a simulated Linux host/);
    expect(lab.screen()).toContain('Programs: nc, ss, tcpdump, sleep, grep, yes, iptables.');
    expect(lab.screen()).toMatch(PROMPT_END(2));
    lab.type('nc -l 12345 ').type('^C').type('clear');
    expect(lab.screen()).toBe('[#4#root@lab ~]$');
    lab.type('nc -l 12345').type('^Z').type('reset', 0, 50);
    expect(lab.screen()).toBe('[#1#root@lab ~]$');
    expect(lab.simS).toBeLessThan(0.1);
    lab.type('ss -nlt');
    expect(lab.screen()).not.toMatch(/12345/);
    const zh = new Lab({ lang: 'zh-cn' }).type('help');
    expect(zh.screen()).toContain('tcp-lab 沙盒');
  });

  test('what the model does not implement is said beside the screen; an unknown command is cut to 40 characters', () => {
    const lab = new Lab();
    lab.type("ss -nt '( sport = :12345 )'");
    expect(lab.last.ttys[0].refused).toMatch(/filter expressions are not modelled/);
    lab.type('echo ok');
    expect(lab.last.ttys[0].refused).toBeNull();
    lab.type('frobnicate');
    expect(lab.last.ttys[0].unknown).toBe('frobnicate');
    expect(lab.last.ttys[0].refused).toBeNull();
    expect(lab.last.ttys[0].note).toMatch(/^“frobnicate” is not installed on this simulated host \(bash said so above\)\. It has: nc, ss, tcpdump, sleep, grep, yes, iptables,/);
    lab.type('x'.repeat(100_000));
    expect(lab.last.ttys[0].unknown).toBe('x'.repeat(40) + '…');
    expect(lab.last.ttys[0].note.length).toBeLessThan(400);
    lab.type("ss -nt '( sport = :12345 )'");
    expect(lab.last.ttys[0].note).toMatch(/^tcp-lab does not model all of this line: ss filter expressions are not modelled/);
    // ss -s is a real option the model lacks (the grammar's support table says so); -Y is no option at all
    lab.type('ss -s');
    expect(lab.last.ttys[0].note).toBe('tcp-lab does not model all of this line: ss option -s is not modelled, expected -n -a -t -l -p -o -4 -i.');
    lab.type('ss -Y');
    expect(lab.last.ttys[0].note).toBe('tcp-lab does not model all of this line: unknown ss option -Y, expected -n -a -t -l -p -o -4 -i.');
    lab.type('exit');
    expect(lab.last.ttys[0].note).toMatch(/^The shell has exited/);
    const zh = new Lab({ lang: 'zh-CN' }).type('frobnicate');
    expect(zh.last.ttys[0].note).toMatch(/^这台模拟主机上没有“frobnicate”/);
  });

  test('what is read out: a short output whole, a loop as a count and its last line every 10 s, a goal reached', () => {
    const lab = new Lab();
    const said = lab.said;
    const run = (line: string, ms = 200) => lab.type(line, 0, ms);
    run('echo hello there');
    expect(said).toEqual(['hello there']);
    said.length = 0;
    run('while true; do ss -nt; sleep 1; echo ---; done', 25_000);
    // a pass a second, three lines each: summarised twice in 25 s, never read out line by line
    expect(said).toHaveLength(2);
    for (const x of said) expect(x).toMatch(/^\d+ lines of output, the last: (---|State .*)$/);
    said.length = 0;
    lab.input({ kind: 'key', tty: 0, key: '^C' }).pump(50);
    expect(said.join('\n').length).toBeLessThan(200);
    said.length = 0;
    run('nc -l 12345');
    lab.input({ kind: 'key', tty: 0, key: '^Z' }).pump(100);
    expect(said).toContain('Goal reached: Start a listener and stop it, so that it never calls accept(): nc -l 12345, then Ctrl-Z.');
  });

  test('Tab completion: command names, options, ss states, stages after a pipe or do', () => {
    expect(complete('n', COMMANDS)).toEqual({ text: 'nc ', candidates: [] });
    expect(complete('s', COMMANDS)).toEqual({ text: 's', candidates: ['sleep', 'ss'] });
    expect(complete('ss state clo', COMMANDS)).toEqual({ text: 'ss state clos', candidates: [] });
    expect(complete('ss state close', COMMANDS)).toEqual({ text: 'ss state close-wait ', candidates: [] });
    expect(complete('ss -natp | gr', COMMANDS)).toEqual({ text: 'ss -natp | grep ', candidates: [] });
    expect(complete('while true; do s', COMMANDS).candidates).toEqual(['sleep', 'ss']);
    expect(complete('tcpdump -i l', COMMANDS)).toEqual({ text: 'tcpdump -i lo ', candidates: [] });
    expect(complete('nc -l 12345 x', COMMANDS)).toEqual({ text: 'nc -l 12345 x', candidates: [] });
    expect(complete('he', COMMANDS)).toEqual({ text: 'help ', candidates: [] });
    const lab = new Lab();
    lab.input({ kind: 'complete', tty: 0, text: 'tcpd', id: 7 });
    expect(lab.last.completion).toEqual({ id: 7, tty: 0, text: 'tcpdump ', candidates: [] });
  });
});

describe('the live view', () => {
  test('ss -natp -o, the accept queue and the last packets of the host, sent when they change', () => {
    const lab = new Lab();
    lab.type('nc -l 12345');
    expect(lab.live.ss).toBe(''); // not asked for
    lab.input({ kind: 'live', on: true }).pump(300);
    expect(lab.live.ss).toMatch(/^State/);
    expect(lab.live.ss).toMatch(/^LISTEN +0 +1 .*users:\(\("nc",pid=\d+,fd=3\)\)/m);
    expect(lab.live.queue).toContain('data-slot="1"');
    expect(lab.live.queue).toContain('data-state="empty"');
    lab.type('^Z').input({ kind: 'open' }).pump(50).type('nc localhost 12345', 1).type('^C', 1, 300);
    expect(lab.live.ss).toMatch(/^CLOSE-WAIT/m);
    expect(lab.live.queue).toContain('data-state="CLOSE-WAIT"');
    expect(lab.live.packets).toBe(5); // SYN, SYN-ACK, ACK, FIN, ACK
    expect(count(lab.live.ladder, /<g class="pkt/g)).toBe(5);
    // nothing changed: the queue and ladder are not sent again (the ss timer column counts down)
    lab.liveSent = {};
    lab.pump(2000);
    expect(lab.liveSent.ss).toBeGreaterThanOrEqual(1);
    expect(lab.liveSent.queue).toBeUndefined();
    expect(lab.liveSent.ladder).toBeUndefined();
    // the ladder keeps the last LADDER_PACKETS packets
    for (let i = 0; i < 6; i++) lab.type('nc localhost 9', 1); // SYN, RST
    lab.pump(300);
    expect(lab.live.packets).toBeGreaterThan(LADDER_PACKETS);
    expect(count(lab.live.ladder, /<g class="pkt/g)).toBe(LADDER_PACKETS);
    // turned off: nothing more is rendered
    lab.input({ kind: 'live', on: false }).pump(300);
    expect(lab.last.live).toBeUndefined();
  });
});

describe('hostile input', () => {
  test('while true; do ss; done on the real clock: slices stay within the budget, ^C ends the loop', () => {
    const e = new SandboxEngine({ profile: 'linux-6.x' }, () => performance.now());
    while (e.step(performance.now() + 8));
    e.input({ kind: 'speed', speed: 10 });
    e.input({ kind: 'line', tty: 0, text: 'while true; do ss; done' });
    const steps: number[] = [];
    let out = '';
    const take = () => e.drain().items.map((i) => (i.kind === 'out' ? i.text : '')).join('');
    for (const end = performance.now() + 300; performance.now() < end; ) {
      const t0 = process.cpuUsage();
      e.step(performance.now() + 8);
      const t = process.cpuUsage(t0);
      steps.push((t.user + t.system) / 1000);
      out += take();
    }
    expect(count(out, /^State/gm)).toBeGreaterThan(5);
    // a slice overruns its budget by at most a few events: CPU time of the thread, since on a
    // shared machine the wall time of a slice also counts the time it waited for a core
    expect(steps.reduce((a, b) => Math.max(a, b), 0)).toBeLessThan(40);
    e.input({ kind: 'key', tty: 0, key: '^C' });
    for (const end = performance.now() + 100; performance.now() < end; ) e.step(performance.now() + 8);
    out += take();
    expect(out).toMatch(/\^C\n\[#2#root@lab ~\]\$$/);
  });

  test('an exception thrown inside the model ends that host: a crash item, a new host with as many terminals, the next command works', () => {
    const lab = new Lab();
    lab.input({ kind: 'open' }).pump(50).type('nc -l 12345');
    lab.input({ kind: 'fault', message: 'test fault' }).pump(50);
    expect(lab.crashes).toEqual(['test fault']);
    expect(lab.screen(0)).toMatch(/nc -l 12345\n\[#1#root@lab ~\]\$$/);
    expect(lab.screen(1)).toMatch(/^\[#1#root@lab ~\]\$\[#1#root@lab ~\]\$$/);
    expect(lab.simS).toBeLessThan(0.1);
    lab.type('ss -nlt');
    expect(lab.screen(0)).toMatch(/State[^\n]*\n\[#2#root@lab ~\]\$$/); // the old listener is gone
  });

  test('exit ends the shell; input to it goes nowhere; a new shell on the same host prompts again; ^D at the prompt exits', () => {
    const lab = new Lab();
    lab.type('nc -l 12345').type('^Z').type('exit');
    // bash's first exit with a stopped job only warns
    expect(lab.screen()).toMatch(/\$exit\nexit\nThere are stopped jobs\.\n\[#3#root@lab ~\]\$$/);
    expect(lab.last.ttys[0].ended).toBe(false);
    lab.type('exit');
    expect(lab.screen()).toMatch(/\$exit\nexit\n$/);
    expect(lab.last.ttys[0].ended).toBe(true);
    const before = lab.screen();
    lab.type('echo lost');
    expect(lab.screen()).toBe(before);
    lab.input({ kind: 'new-shell', tty: 0 }).pump(50);
    expect(lab.last.ttys[0].ended).toBe(false);
    expect(lab.screen()).toMatch(/exit\n\[#1#root@lab ~\]\$$/);
    lab.type('ss -nlt');
    expect(lab.screen()).toMatch(/LISTEN .*:12345/); // the same host: the stopped listener is still there
    lab.type('^D');
    expect(lab.screen()).toMatch(/\$exit\n$/);
    expect(lab.last.ttys[0].ended).toBe(true);
  });

  test('a flood nobody fetches keeps its tail only', () => {
    const e = new SandboxEngine({ profile: 'linux-4.4' }, () => performance.now());
    while (e.step(performance.now() + 8));
    e.input({ kind: 'line', tty: 0, text: 'while true; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done' });
    for (let i = 0; i < 100; i++) e.step(performance.now() + 8);
    const u = e.drain();
    const chars = u.items.reduce((n, i) => n + (i.kind === 'out' ? i.text.length : 0), 0);
    expect(chars).toBeLessThanOrEqual(2 * 256 * 1024);
    expect(chars).toBeGreaterThan(256 * 1024);
    e.input({ kind: 'key', tty: 0, key: '^C' });
    for (const end = performance.now() + 100; performance.now() < end; ) e.step(performance.now() + 8);
    expect(e.drain().items.map((i) => (i.kind === 'out' ? i.text : '')).join('')).toMatch(/\^C\n\[#2#root@lab ~\]\$$/);
  });

  test('shortName and keepTail', () => {
    expect(shortName('abc', 40)).toBe('abc');
    expect(shortName('a'.repeat(39) + '😀', 40)).toBe('a'.repeat(39) + '…');
    expect(keepTail('one\ntwo\nthree\n', 8)).toBe('three\n');
    expect(keepTail('abcdef', 3)).toBe('def');
  });
});

describe('sandbox driver', () => {
  test('an update at once after an input, every 250 ms while seen and idle (the clock), none while unseen, and a watch loop on the clock', async () => {
    // fake timers and a fake performance.now(): the driver's waits and slices run in no real time
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const updates: Array<Update & { at: number }> = [];
      const clock = () => globalThis.performance.now(); // (the faked one, not node:perf_hooks')
      const d = new SandboxDriver(new SandboxEngine({ profile: 'linux-4.4' }, clock), (u) => updates.push({ ...u, at: clock() }), clock, (fn) => setTimeout(fn, 0));
      const sleep = (ms: number) => vi.advanceTimersByTimeAsync(ms);
      const out = () => updates.map((u) => u.items.map((i) => (i.kind === 'out' ? i.text : '')).join('')).join('');
      await sleep(1010);
      expect(out()).toBe('[#1#root@lab ~]$');
      // idle: the boot's update, then a tick of the clock every 250 ms
      expect(updates.length).toBe(5);
      const n = updates.length;
      const t0 = clock();
      d.input({ kind: 'line', tty: 0, text: 'while true; do echo tick; sleep 0.2; done' });
      await sleep(1000);
      expect(updates[n].seq).toBe(1);
      expect(updates[n].at - t0).toBeLessThan(5);
      expect(count(out(), /^tick$/gm)).toBe(5); // at 0 s, then after each 0.2 s sleep (and its few ms)
      d.input({ kind: 'key', tty: 0, key: '^C' });
      await sleep(60); // the prompt comes a few simulated µs later, reported within REPORT_MS
      expect(updates.at(-1)!.ttys[0].prompt).toBe(true);
      // off screen: no ticks of the clock, only what happens (here nothing); seen again: ticks
      d.input({ kind: 'seen', on: false });
      await sleep(10);
      const unseen = updates.length;
      await sleep(5000);
      expect(updates.length).toBe(unseen);
      expect(vi.getTimerCount()).toBe(0); // nothing scheduled: it sleeps until an input
      d.input({ kind: 'seen', on: true });
      await sleep(1010);
      expect(updates.length - unseen).toBe(5);
      expect(updates.at(-1)!.simNs / 1e9).toBeGreaterThan(7); // time ran on meanwhile
      d.stop();
      const stopped = updates.length;
      await sleep(1000);
      expect(updates.length).toBe(stopped);
      expect(BOOT_NS).toBe(10e9);
    } finally {
      vi.useRealTimers();
    }
  });
});
