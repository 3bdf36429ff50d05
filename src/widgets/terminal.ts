/**
 * <tcp-lab-terminal>: the sandbox, a lab on one simulated Linux host (the same model). Up to four
 * terminals (tabs, or side by side), each with its own bash, share the host; its simulated time
 * follows the wall clock at 1× or 10× (a watch loop prints a line a second and ^C stops it), and
 * Skip jumps to the next event. Goals are checked by the model (the socket table, not the text),
 * and a live view shows the host's `ss -natp -o`, accept queue and packets in the timeline's own panes (panes.ts).
 * Ctrl-C / Ctrl-Z / Ctrl-D (or typing ^C, ^Z, ^D) go to the foreground job, Ctrl-L clears the
 * screen, Up/Down walk the history, Tab completes; `help`, `clear` and `reset` at the prompt.
 *
 * The host runs in a Web Worker (sandbox-worker.ts, sandbox-engine.ts); this element only shows
 * what it is sent (each screen keeps its last SCROLLBACK_LINES lines) and says what happened in a
 * polite live region, a summary per command line rather than every line of a loop. Where no
 * worker can be started, the worker's own script runs on this thread (loaded by a <script>). A
 * model exception ends that host with an error line and boots a new one; so does a worker that
 * stops answering. `exit` (or ^D at the prompt) ends a shell as bash does; Enter or "New shell"
 * starts another on the same host.
 */
import type { ProfileName } from '../model/types.ts';
import { keepTail, type FromWorker, MAX_TERMINALS, SPEEDS, type Goal, type Input, type Key, type ToWorker, type TtyState, type Update } from './sandbox-protocol.ts';
import { strings, type Strings } from './strings.ts';
import { pageRunner, workerRunner, type Runner } from './worker-runner.ts';
import { Panes } from './panes.ts';

/** Lines a screen keeps (it is trimmed back to this when it holds twice as many). */
export const SCROLLBACK_LINES = 2000;
/** Characters a screen keeps (a few very long lines). */
const SCROLLBACK_CHARS = 512 * 1024;
/** A worker that sends nothing for this long is stuck inside one model step (it reports every 250 ms). */
const HANG_MS = 3000;
/** Lines per block of a screen. */
const BLOCK_LINES = 50;

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The last `n` lines of `text` (a partial last line counts as one). */
function lastLines(text: string, n: number): string {
  let i = text.length - 1;
  if (text.endsWith('\n')) i--;
  for (let k = 0; k < n && i >= 0; k++) i = text.lastIndexOf('\n', i) - 1;
  return i < 0 ? text : text.slice(i + 2);
}

/** Set an attribute only when it changes (an idle host reports 4 times a second: no needless style work). */
function attr(e: Element, name: string, value: string): void {
  if (e.getAttribute(name) !== value) e.setAttribute(name, value);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** One terminal: its tab, screen, input line, note and history. */
interface Pane {
  i: number;
  root: HTMLElement;
  tab: HTMLButtonElement;
  screen: HTMLPreElement;
  partial: HTMLElement;
  input: HTMLInputElement;
  note: HTMLElement;
  newShell: HTMLButtonElement;
  blocks: Array<{ el: HTMLElement; lines: number; chars: number }>;
  lines: number;
  chars: number;
  partialText: string;
  scrollQueued: boolean;
  history: string[];
  hpos: number;
  state: TtyState;
}

export class TcpLabTerminal extends HTMLElement {
  private s!: Strings;
  private profile: ProfileName = 'linux-4.4';
  private panes: Pane[] = [];
  private active = 0;
  private ui!: {
    tabs: HTMLElement; add: HTMLButtonElement; split: HTMLButtonElement; speeds: HTMLButtonElement[]; clock: HTMLElement;
    panes: HTMLElement; say: HTMLElement; goals: HTMLElement; goalsTitle: HTMLElement; live: HTMLDetailsElement; livePanes: Panes;
  };
  /** The reader asked for a new terminal: focus its input line when it comes. */
  private focusNew = false;
  private completionId = 0;

  private runner: Runner | null = null;
  /** Inputs sent to the current runner, and how many it has taken. */
  private sent = 0;
  private taken = 0;
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  /** Messages sent before a new worker first answered (replayed on this thread if it never does). */
  private early: ToWorker[] | null = null;

  private observer: IntersectionObserver | null = null;
  private resize: ResizeObserver | null = null;
  /** On screen in a visible page (the worker then reports its clock and renders the live view). */
  private seen = true;
  private onScreen = true;

  /**
   * The host boots (a simulated 10 s of a Linux machine, then the first prompt) when the terminal
   * comes near the viewport, as <tcp-lab-sim> does, not while the page loads.
   * Until then the reader sees the no-JS note.
   */
  connectedCallback(): void {
    if (this.dataset.ready || this.observer) return;
    if (typeof IntersectionObserver === 'undefined') return this.activate();
    this.observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && this.activate(), { rootMargin: '400px 0px' });
    this.observer.observe(this);
  }

  disconnectedCallback(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.resize?.disconnect();
  }

  private activate(): void {
    this.observer?.disconnect();
    this.observer = null;
    if (this.dataset.ready) return;
    this.s = strings(document.documentElement.lang);
    this.profile = (this.dataset.profile as ProfileName) ?? 'linux-4.4';
    this.build();
    this.start();
    this.dataset.ready = 'true';
    const look = () => {
      const on = this.onScreen && !document.hidden;
      if (on === this.seen) return;
      this.seen = on;
      this.send({ kind: 'seen', on });
    };
    new IntersectionObserver((entries) => {
      this.onScreen = entries.some((e) => e.isIntersecting);
      look();
    }).observe(this);
    document.addEventListener('visibilitychange', look);
  }

  private build(): void {
    const s = this.s;
    const id = this.id || 'tcp-term';
    this.replaceChildren();
    const help = el('p', 'tcp-term__help', { id: `${id}-help` }, s.terminalHelp);
    const bar = el('div', 'tcp-term__bar');
    const tabs = el('div', 'tcp-term__tabs', { role: 'tablist', 'aria-label': s.terminals });
    tabs.addEventListener('keydown', (e) => {
      const n = this.panes.length;
      const to = { ArrowRight: this.active + 1, ArrowLeft: this.active - 1 + n, Home: 0, End: n - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      this.select(to % n, 'tab');
    });
    const add = el('button', 'tcp-term__btn', { type: 'button', 'aria-label': s.newTerminal, title: s.newTerminal, 'data-testid': 'new-terminal' }, '+');
    add.addEventListener('click', () => {
      this.focusNew = true;
      this.send({ kind: 'open' });
    });
    const split = el('button', 'tcp-term__btn', { type: 'button', 'aria-pressed': 'false', 'data-testid': 'split' }, s.split);
    split.addEventListener('click', () => this.setSplit(split.getAttribute('aria-pressed') !== 'true'));
    const speedBox = el('span', 'tcp-term__speed', { role: 'group', 'aria-label': s.speed });
    const speeds = SPEEDS.map((v) => {
      const b = el('button', 'tcp-term__btn', { type: 'button', 'aria-pressed': String(v === 1), 'data-speed': String(v) }, `${v}×`);
      b.addEventListener('click', () => this.send({ kind: 'speed', speed: v }));
      return b;
    });
    const skip = el('button', 'tcp-term__btn', { type: 'button', 'data-testid': 'skip' }, s.skip);
    skip.addEventListener('click', () => this.send({ kind: 'skip' }));
    speedBox.append(...speeds, skip);
    const reset = el('button', 'tcp-term__btn', { type: 'button', 'data-testid': 'reset', title: s.resetTitle }, s.reset);
    reset.addEventListener('click', () => this.send({ kind: 'reset' }));
    const clock = el('span', 'tcp-term__clock', { 'data-testid': 'clock' });
    bar.append(tabs, add, split, speedBox, reset, clock);

    const goals = el('details', 'tcp-term__goals', { open: '' });
    const goalsTitle = el('summary', '', {}, s.goals);
    const goalList = el('ol', '', { 'data-testid': 'goals' });
    goals.append(goalsTitle, goalList);

    const panes = el('div', 'tcp-term__panes');
    const say = el('p', 'tcp-term__say', { role: 'status', 'data-testid': 'say' });

    const live = el('details', 'tcp-term__live', { open: '', 'data-testid': 'live' });
    live.append(el('summary', '', {}, s.live));
    // the timeline's panes (panes.ts), driven by the live host: named groups rather than landmarks
    // (a timeline may sit beside it, with panes of the same names), focusable
    const livePanes = new Panes(s, { testid: 'live-', role: 'group' });
    live.append(livePanes.root);
    live.addEventListener('toggle', () => this.send({ kind: 'live', on: live.open, width: live.clientWidth }));
    // the live pictures are drawn for the view's width (nothing to scroll sideways), again when it changes
    if (typeof ResizeObserver !== 'undefined') {
      let width = 0;
      this.resize = new ResizeObserver((entries) => {
        const w = Math.floor(entries[0].contentRect.width);
        if (w && w !== width && live.open && this.runner) this.send({ kind: 'live', on: true, width: (width = w) });
      });
      this.resize.observe(live);
    }

    this.append(help, goals, bar, panes, say, live);
    this.ui = { tabs, add, split, speeds, clock, panes, say, goals: goalList, goalsTitle, live, livePanes };
    this.panes = [];
    this.addPane();
    this.setClock(0, false);
  }

  private addPane(): void {
    const s = this.s;
    const i = this.panes.length;
    const id = `${this.id || 'tcp-term'}-${i + 1}`;
    const name = s.terminalN(i + 1);
    const tab = el('button', 'tcp-term__tab', { type: 'button', role: 'tab', id: `${id}-tab`, 'aria-controls': id, 'data-testid': 'tab' }, String(i + 1));
    tab.setAttribute('aria-label', name);
    tab.addEventListener('click', () => this.select(i, 'input'));
    this.ui.tabs.append(tab);
    const root = el('div', 'tcp-term__pane', { id, 'data-testid': 'pane', 'data-tty': String(i) });
    const title = el('span', 'tcp-term__name', { 'aria-hidden': 'true' }, name);
    // the screen is a log the reader can scroll and read, not a live region: a loop's hundreds of
    // lines are summarised in the element's status line instead (say())
    const screen = el('pre', 'tcp-term__screen', { 'data-testid': 'screen', role: 'log', 'aria-live': 'off', 'aria-label': s.screenOf(name), tabindex: '0' });
    const partial = el('span', 'tcp-term__partial');
    screen.append(partial);
    const form = el('form', 'tcp-term__form');
    const input = el('input', '', {
      'data-testid': 'command', 'aria-label': s.commandIn(name), 'aria-describedby': `${this.id || 'tcp-term'}-help`,
      autocomplete: 'off', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false', enterkeyhint: 'send',
    });
    const newShell = el('button', 'tcp-term__new', { type: 'button', 'data-testid': 'new-shell', hidden: '' }, s.newShell);
    newShell.addEventListener('click', () => {
      this.newShell(p);
      input.focus();
    });
    form.append(input, newShell);
    // a hint outside the screen (which stays what the simulated programs print)
    const note = el('p', 'tcp-term__note', { 'data-testid': 'note', role: 'status', hidden: '' });
    root.append(title, screen, form, note);
    this.ui.panes.append(root);
    const p: Pane = {
      i, root, tab, screen, partial, input, note, newShell, blocks: [], lines: 0, chars: 0, partialText: '', scrollQueued: false,
      history: [], hpos: 0, state: { ended: false, prompt: false, unknown: null, refused: null, note: '' },
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = input.value;
      input.value = '';
      if (v.trim() && v !== p.history.at(-1)) p.history.push(v);
      p.hpos = p.history.length;
      this.submit(v, i);
    });
    input.addEventListener('keydown', (e) => this.keydown(e, p));
    input.addEventListener('focus', () => this.active !== i && this.select(i, null));
    this.panes.push(p);
    this.setSplit(this.ui.split.getAttribute('aria-pressed') === 'true');
    this.ui.add.disabled = this.panes.length >= MAX_TERMINALS;
    this.select(i, null);
  }

  private keydown(e: KeyboardEvent, p: Pane): void {
    const input = p.input;
    const k = e.key;
    if (e.ctrlKey && !e.altKey && !e.metaKey && ['c', 'z', 'd', '\\', 'l'].includes(k.toLowerCase())) {
      e.preventDefault();
      if (k.toLowerCase() === 'l') this.clearScreen(p, false);
      else this.key(`^${k.toUpperCase()}` as Key, p.i);
    } else if (k === 'ArrowUp' && p.hpos > 0) {
      e.preventDefault();
      input.value = p.history[--p.hpos];
    } else if (k === 'ArrowDown' && p.hpos < p.history.length) {
      e.preventDefault();
      p.hpos++;
      input.value = p.history[p.hpos] ?? '';
    } else if (k === 'Tab' && !e.shiftKey && input.value.trim() && !p.state.ended) {
      // with something typed, Tab completes (an empty line lets Tab move the focus on)
      e.preventDefault();
      this.send({ kind: 'complete', tty: p.i, text: input.value, id: ++this.completionId });
    }
  }

  /** Show terminal `i`; focus its tab or its input line. */
  private select(i: number, focus: 'tab' | 'input' | null): void {
    this.active = i;
    const split = this.ui.split.getAttribute('aria-pressed') === 'true';
    for (const p of this.panes) {
      const on = p.i === i;
      p.tab.setAttribute('aria-selected', String(on));
      p.tab.tabIndex = on ? 0 : -1;
      p.root.hidden = !on && !split;
    }
    if (focus) this.panes[i][focus].focus();
  }

  private setSplit(on: boolean): void {
    this.ui.split.setAttribute('aria-pressed', String(on));
    this.ui.panes.classList.toggle('tcp-term__panes--split', on);
    this.ui.tabs.hidden = on;
    for (const p of this.panes) {
      // side by side, each terminal is a group named by its title; as tabs, a tab panel
      p.root.setAttribute('role', on ? 'group' : 'tabpanel');
      p.root.setAttribute('aria-label', this.s.terminalN(p.i + 1));
    }
    this.select(this.active, null);
  }

  /** A new host (in a worker when one can be started). */
  private start(): void {
    this.runner?.stop();
    this.sent = this.taken = 0;
    const onMsg = (m: FromWorker) => m.type === 'update' && this.update(m.update);
    const runner = workerRunner(
      (m) => {
        if (this.runner !== runner) return;
        this.early = null;
        onMsg(m);
      },
      (message) => {
        if (this.runner !== runner) return;
        if (this.early) this.fallBack();
        else this.restart(this.s.hostCrashed(message));
      },
    );
    this.early = runner ? [] : null;
    this.useRunner(runner ?? this.pageRunner());
    const boot: ToWorker = { type: 'boot', profile: this.profile, lang: document.documentElement.lang, goals: this.dataset.goals ?? '' };
    this.early?.push(boot);
    this.runner!.send(boot);
    for (let i = 1; i < this.panes.length; i++) this.send({ kind: 'open' });
    if (this.ui.live.open) this.send({ kind: 'live', on: true, width: this.ui.live.clientWidth });
    if (!this.seen) this.send({ kind: 'seen', on: false });
  }

  private pageRunner(): Runner {
    const r: Runner = pageRunner(
      (m) => this.runner === r && m.type === 'update' && this.update(m.update),
      () => this.runner === r && this.print(this.s.noWorker),
    );
    return r;
  }

  /** A worker that could not start at all: its script on this thread, given what was sent. */
  private fallBack(): void {
    this.runner?.stop();
    const early = this.early ?? [];
    this.early = null;
    this.useRunner(this.pageRunner());
    for (const m of early) this.runner!.send(m);
  }

  private useRunner(r: Runner): void {
    this.runner = r;
    this.dataset.mode = r.inWorker ? 'worker' : 'main-thread';
    this.heartbeat();
  }

  private restart(line: string): void {
    for (const p of this.panes) this.print(line, p);
    this.start();
  }

  private send(x: Input): void {
    if (!this.runner) return;
    const m: ToWorker = { type: 'input', input: x };
    this.sent++;
    this.dataset.busy = 'true';
    this.early?.push(m);
    this.runner.send(m);
  }

  /** Type a line (or a ^X key written out) into terminal `tty` (the active one). */
  submit(line: string, tty = this.active): void {
    const p = this.panes[tty];
    if (!p) return;
    if (p.state.ended) return this.newShell(p);
    const t = line.trim();
    if (/^\^[CZD\\]$/i.test(t)) return this.key(t.toUpperCase() as Key, tty);
    p.state.prompt = false;
    p.root.dataset.prompt = 'false';
    this.send({ kind: 'line', tty, text: line });
  }

  key(k: Key, tty = this.active): void {
    if (this.panes[tty]?.state.ended) return;
    this.send({ kind: 'key', tty, key: k });
  }

  /** A new shell on a terminal whose shell exited. */
  private newShell(p: Pane): void {
    if (!p.state.ended) return;
    p.state.ended = false;
    this.send({ kind: 'new-shell', tty: p.i });
  }

  /**
   * For tests: make the model throw from inside its event loop, as a model bug would, or (hang)
   * run a model step that never returns.
   */
  injectFault(message: string, hang = false): void {
    this.send({ kind: 'fault', message, hang });
  }

  /** A worker that stops answering (it reports every 250 ms while seen) is stuck inside one model step. */
  private heartbeat(): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    const runner = this.runner;
    if (!runner?.inWorker) return;
    this.watchdog = setTimeout(() => {
      if (this.runner !== runner) return;
      // unseen, the worker reports only what happens (and a hidden page's timers run late): look again later
      if (!this.seen) return this.heartbeat();
      if (this.early) this.fallBack();
      else this.restart(this.s.hostHung);
    }, HANG_MS);
  }

  private update(u: Update): void {
    const s = this.s;
    this.heartbeat();
    for (const it of u.items) {
      if (it.kind === 'out') this.output(this.panes[it.tty], it.text);
      else if (it.kind === 'crash') for (const p of this.panes) this.print(s.hostCrashed(it.message), p);
      else if (it.kind === 'clear') this.clearScreen(this.panes[it.tty], true);
      else for (const p of this.panes) this.clearScreen(p, true);
    }
    while (this.panes.length < u.ttys.length) this.addPane();
    if (this.focusNew && this.panes.length === u.ttys.length && u.seq >= this.sent) {
      this.focusNew = false;
      this.select(this.panes.length - 1, 'input');
    }
    this.taken = u.seq;
    const settled = u.seq >= this.sent;
    attr(this, 'data-busy', String(!settled));
    attr(this, 'data-sim-time', String(u.simNs));
    this.setClock(u.simNs, u.behind);
    if (this.dataset.speed !== String(u.speed)) {
      this.dataset.speed = String(u.speed);
      for (const b of this.ui.speeds) b.setAttribute('aria-pressed', String(Number(b.dataset.speed) === u.speed));
    }
    u.ttys.forEach((st, i) => this.setState(this.panes[i], st, settled));
    if (u.goals) this.setGoals(u.goals);
    if (u.say) this.say(u.say);
    if (u.live) {
      const l = this.ui.livePanes;
      if (u.live.ss !== undefined) l.showSs(u.live.ss);
      if (u.live.queue !== undefined) l.queue.innerHTML = u.live.queue;
      if (u.live.ladder !== undefined) l.ladder.innerHTML = u.live.ladder;
    }
    const c = u.completion;
    if (c && c.id === this.completionId) {
      const p = this.panes[c.tty];
      if (c.candidates.length) this.lines(p, `${p.partialText}${p.input.value}\n${c.candidates.join('  ')}\n`);
      p.input.value = c.text;
    }
  }

  private setClock(ns: number, behind: boolean): void {
    const text = `${this.s.simTime}: ${(ns / 1e9).toFixed(1)} s${behind ? ` (${this.s.behind})` : ''}`;
    if (this.ui.clock.textContent !== text) this.ui.clock.textContent = text;
  }

  private setState(p: Pane, st: TtyState, settled: boolean): void {
    const was = p.state;
    // (an update sent before the worker took our last input may still say the shell has ended)
    if (!settled && was.ended !== st.ended) st = { ...st, ended: was.ended };
    p.state = st;
    const prompt = st.prompt && settled;
    attr(p.root, 'data-prompt', String(prompt));
    attr(p.root, 'data-ended', String(st.ended));
    if (p.newShell.hidden === st.ended) p.newShell.hidden = !st.ended;
    if (p.note.textContent !== st.note) p.note.textContent = st.note;
    if (p.note.hidden === !!st.note) p.note.hidden = !st.note;
    // what the worker sums up of a command's output, for the terminal on show
    if (st.say && p.i === this.active) this.say(st.say);
  }

  private setGoals(goals: Goal[]): void {
    const s = this.s;
    this.ui.goals.replaceChildren(
      ...goals.map((g) => {
        const li = el('li', '', { 'data-done': String(g.done), 'data-goal': g.id });
        li.append(el('span', 'tcp-term__mark', {}, g.done ? s.goalDone : s.goalTodo));
        // `code` in the goal's text
        g.text.split('`').forEach((part, j) => li.append(j % 2 ? el('code', '', {}, part) : part));
        return li;
      }),
    );
    const n = goals.filter((g) => g.done).length;
    this.ui.goalsTitle.textContent = `${s.goals} (${n}/${goals.length})`;
    this.dataset.goalsDone = String(n);
  }

  /** Say something in the element's polite live region. */
  private say(text: string): void {
    this.ui.say.textContent = text.length > 300 ? text.slice(0, 300) + '…' : text;
  }

  /** Ctrl-L keeps the line being typed at (the prompt); `clear` and reset empty the screen. */
  private clearScreen(p: Pane | undefined, all: boolean): void {
    if (!p) return;
    for (const b of p.blocks) b.el.remove();
    p.blocks = [];
    p.lines = p.chars = 0;
    if (all) p.partial.textContent = p.partialText = '';
  }

  /** A line of the element's own (an error), on a line of its own. */
  private print(line: string, p = this.panes[this.active]): void {
    this.output(p, `${p.partialText === '' ? '' : '\n'}${line}\n`);
  }

  /**
   * Append output to a screen. Complete lines go into blocks of their own (<span>s shown as
   * blocks, skipped by the browser while out of view), so the browser lays out only the new
   * lines in view, not the whole screen; the unfinished last line (the prompt, say) is the last
   * block, rewritten as it grows.
   */
  private output(p: Pane | undefined, text: string): void {
    if (!p || !text) return;
    const all = p.partialText + text;
    const cut = all.lastIndexOf('\n') + 1;
    if (cut > 0) this.lines(p, all.slice(0, cut));
    const rest = all.slice(cut);
    p.partialText = rest.length > SCROLLBACK_CHARS ? rest.slice(-SCROLLBACK_CHARS) : rest;
    if (p.partial.textContent !== p.partialText) p.partial.textContent = p.partialText;
    this.scrollEnd(p);
  }

  /** Keep a screen scrolled to its end (once a frame). */
  private scrollEnd(p: Pane): void {
    if (p.scrollQueued) return;
    p.scrollQueued = true;
    requestAnimationFrame(() => {
      p.scrollQueued = false;
      p.screen.scrollTop = p.screen.scrollHeight;
    });
  }

  /**
   * Complete lines, before the unfinished last one, in blocks of at most BLOCK_LINES lines (the
   * browser skips those out of view); the oldest blocks are dropped once the screen holds more
   * than SCROLLBACK_LINES lines.
   */
  private lines(p: Pane, done: string): void {
    if (done.length > SCROLLBACK_CHARS) done = keepTail(done, SCROLLBACK_CHARS);
    let lines = countLines(done);
    if (lines > SCROLLBACK_LINES) {
      done = lastLines(done, SCROLLBACK_LINES);
      lines = SCROLLBACK_LINES;
    }
    for (let from = 0; from < done.length; ) {
      let to = from;
      for (let k = 0; k < BLOCK_LINES && to < done.length; k++) to = done.indexOf('\n', to) + 1 || done.length;
      const piece = done.slice(from, to);
      const n = countLines(piece);
      const b = el('span', 'tcp-term__lines', {}, piece);
      b.style.containIntrinsicBlockSize = `auto ${n}lh`;
      p.screen.insertBefore(b, p.partial);
      p.blocks.push({ el: b, lines: n, chars: piece.length });
      from = to;
    }
    p.lines += lines;
    p.chars += done.length;
    while (p.blocks.length > 1 && (p.lines - p.blocks[0].lines >= SCROLLBACK_LINES || p.chars > SCROLLBACK_CHARS)) {
      const b = p.blocks.shift()!;
      b.el.remove();
      p.lines -= b.lines;
      p.chars -= b.chars;
    }
    this.scrollEnd(p);
  }
}
