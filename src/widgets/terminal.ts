/**
 * <tcp-lab-terminal>: a sandbox bash on a simulated Linux host (the same model). Each command
 * advances simulated time until the shell prompts again (so `sleep 61` lets a FIN-WAIT-2
 * timewait socket expire), or until nothing is left to happen for a foreground job that waits
 * on the network. Ctrl-C / Ctrl-Z / Ctrl-D (or typing ^C, ^Z, ^D) go to the foreground job.
 *
 * The host runs in a Web Worker (sandbox-worker.ts) in slices of a few ms (sandbox-engine.ts),
 * so a runaway `while true; do ss; done` never blocks the page and ^C reaches it between two
 * slices. This element only appends the output it is sent (the screen keeps its last
 * SCROLLBACK_LINES lines). Where no worker can be made, the same engine runs here, on the main
 * thread, in setTimeout slices of the same budget. A model exception ends that host with an error
 * line and boots a new one; so does a worker that stops answering. `exit` (or ^D at the prompt)
 * ends the shell as bash does, and Enter or the "New shell" button starts another.
 */
import type { ProfileName } from '../model/types.ts';
import { COMMANDS } from '../userland/index.ts';
import { SandboxDriver, SandboxEngine, SLICE_MS, keepTail, shortName, type FromWorker, type Input, type Key, type ToWorker, type Update } from './sandbox-engine.ts';
import SandboxWorker from './sandbox-worker.ts?worker';
import { strings, type Strings } from './strings.ts';

/** Lines the screen keeps (it is trimmed back to this when it holds twice as many). */
export const SCROLLBACK_LINES = 2000;
/** Characters the screen keeps (a few very long lines). */
const SCROLLBACK_CHARS = 512 * 1024;
/** A worker that sends nothing for this long while busy is stuck inside one model step. */
const HANG_MS = 3000;
/** Lines per block of the screen. */
const BLOCK_LINES = 50;

interface Runner {
  send(x: Input): void;
  stop(): void;
  readonly inWorker: boolean;
}

/** The worker's script: offline, the export embeds it (file:// cannot start a worker from a file). */
function makeWorker(): Worker | null {
  if (typeof Worker === 'undefined') return null;
  try {
    const embedded = (globalThis as { TCP_LAB_SANDBOX_WORKER?: unknown }).TCP_LAB_SANDBOX_WORKER;
    if (typeof embedded === 'string') {
      const url = URL.createObjectURL(new Blob(['URL.revokeObjectURL(self.location.href);\n', embedded], { type: 'text/javascript' }));
      return new Worker(url, { name: 'tcp-lab-sandbox' });
    }
    if (location.protocol === 'file:') return null;
    return new SandboxWorker({ name: 'tcp-lab-sandbox' });
  } catch {
    return null;
  }
}

function workerRunner(profile: ProfileName, onUpdate: (u: Update) => void, onError: (message: string) => void): Runner | null {
  const w = makeWorker();
  if (!w) return null;
  w.onmessage = (e: MessageEvent<FromWorker>) => onUpdate(e.data.update);
  w.onerror = (e) => {
    e.preventDefault();
    onError(e.message || 'worker error');
  };
  const post = (m: ToWorker) => w.postMessage(m);
  post({ type: 'boot', profile });
  return { send: (input) => post({ type: 'input', input }), stop: () => w.terminate(), inWorker: true };
}

/** The same engine on this thread, a slice per setTimeout task. */
function localRunner(profile: ProfileName, onUpdate: (u: Update) => void): Runner {
  let stopped = false;
  const driver = new SandboxDriver(
    new SandboxEngine(profile),
    (u) => stopped || onUpdate(u),
    () => performance.now(),
    (fn) => setTimeout(() => stopped || fn(), 0),
    SLICE_MS,
  );
  return { send: (x) => stopped || driver.input(x), stop: () => (stopped = true), inWorker: false };
}

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

export class TcpLabTerminal extends HTMLElement {
  private s!: Strings;
  private profile: ProfileName = 'linux-4.4';
  private screen!: HTMLPreElement;
  private input!: HTMLInputElement;
  private clock!: HTMLElement;
  private note!: HTMLElement;
  private newShellButton!: HTMLButtonElement;
  private history: string[] = [];
  private hpos = 0;

  private runner: Runner | null = null;
  /** Inputs sent to the current runner, and how many it has taken. */
  private sent = 0;
  private taken = 0;
  private running = false;
  private ended = false;
  private noteFor: string | null = null;
  /** The screen's blocks of complete lines, their lines and characters; its unfinished last line. */
  private blocks: Array<{ el: HTMLElement; lines: number; chars: number }> = [];
  private lines = 0;
  private chars = 0;
  private partial!: HTMLElement;
  private partialText = '';
  private atLineStart = true;
  private scrollQueued = false;
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  /** Inputs sent before a new worker first answered (replayed on this thread if it never does). */
  private early: Input[] | null = null;

  private observer: IntersectionObserver | null = null;

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
  }

  private build(): void {
    const s = this.s;
    this.replaceChildren();
    const help = document.createElement('p');
    help.className = 'tcp-term__help';
    help.id = `${this.id || 'tcp-term'}-help`;
    help.textContent = s.terminalHelp;
    this.screen = document.createElement('pre');
    this.screen.className = 'tcp-term__screen';
    this.screen.setAttribute('data-testid', 'screen');
    this.screen.setAttribute('role', 'log');
    this.screen.setAttribute('aria-live', 'polite');
    this.screen.setAttribute('aria-label', s.terminal);
    this.screen.tabIndex = 0;
    this.partial = document.createElement('span');
    this.partial.className = 'tcp-term__partial';
    this.screen.append(this.partial);
    const form = document.createElement('form');
    form.className = 'tcp-term__form';
    this.input = document.createElement('input');
    this.input.setAttribute('data-testid', 'command');
    this.input.setAttribute('aria-label', s.command);
    this.input.setAttribute('aria-describedby', help.id);
    this.input.autocomplete = 'off';
    this.input.spellcheck = false;
    this.newShellButton = document.createElement('button');
    this.newShellButton.type = 'button';
    this.newShellButton.className = 'tcp-term__new';
    this.newShellButton.setAttribute('data-testid', 'new-shell');
    this.newShellButton.textContent = s.newShell;
    this.newShellButton.hidden = true;
    this.newShellButton.addEventListener('click', () => {
      this.newShell();
      this.input.focus();
    });
    this.clock = document.createElement('span');
    this.clock.className = 'tcp-term__clock';
    this.clock.setAttribute('data-testid', 'clock');
    form.append(this.input, this.newShellButton, this.clock);
    // a hint outside the screen (which stays exactly what bash prints) when a command is unknown
    // or the shell has exited
    this.note = document.createElement('p');
    this.note.className = 'tcp-term__note';
    this.note.setAttribute('data-testid', 'note');
    this.note.setAttribute('role', 'status');
    this.note.hidden = true;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = this.input.value;
      this.input.value = '';
      if (v.trim()) this.history.push(v);
      this.hpos = this.history.length;
      this.submit(v);
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.ctrlKey && ['c', 'z', 'd', '\\'].includes(e.key.toLowerCase())) {
        e.preventDefault();
        this.key(`^${e.key.toUpperCase()}` as Key);
      } else if (e.key === 'ArrowUp' && this.hpos > 0) {
        e.preventDefault();
        this.input.value = this.history[--this.hpos];
      } else if (e.key === 'ArrowDown' && this.hpos < this.history.length) {
        e.preventDefault();
        this.hpos++;
        this.input.value = this.history[this.hpos] ?? '';
      }
    });
    this.append(help, this.screen, form, this.note);
    this.clock.textContent = `${s.simTime}: ${(0).toFixed(3)} s`;
  }

  /** A new host (in a worker when one can be made). */
  private start(): void {
    this.runner?.stop();
    this.sent = 0;
    this.taken = 0;
    this.running = true;
    this.setEnded(false);
    const onUpdate = (u: Update) => this.update(u);
    const runner = workerRunner(
      this.profile,
      (u) => {
        if (this.runner === runner) this.early = null;
        onUpdate(u);
      },
      (message) => {
        if (this.runner !== runner) return;
        if (this.early) this.fallBack();
        else this.restart(this.s.hostCrashed(message));
      },
    );
    this.early = runner ? [] : null;
    this.useRunner(runner ?? localRunner(this.profile, onUpdate));
  }

  /** A worker that could not start at all: the same engine on this thread, given what was typed. */
  private fallBack(): void {
    this.runner?.stop();
    const local = localRunner(this.profile, (u) => this.update(u));
    for (const x of this.early ?? []) local.send(x);
    this.early = null;
    this.useRunner(local);
  }

  private useRunner(r: Runner): void {
    this.runner = r;
    this.dataset.mode = r.inWorker ? 'worker' : 'main-thread';
    this.setBusy();
  }

  private restart(line: string): void {
    this.print(line);
    this.start();
  }

  private send(x: Input): void {
    if (!this.runner) return;
    this.sent++;
    this.early?.push(x);
    this.runner.send(x);
    this.setBusy();
  }

  /** Type a line (or a ^X key written out) into the terminal. */
  submit(line: string): void {
    if (this.ended) return this.newShell();
    const t = line.trim();
    if (/^\^[CZD\\]$/i.test(t)) return this.key(t.toUpperCase() as Key);
    this.send({ kind: 'line', text: line });
  }

  key(k: Key): void {
    if (this.ended) return;
    this.send({ kind: 'key', key: k });
  }

  /** A new shell on the same host, after the last one exited. */
  newShell(): void {
    if (!this.ended) return;
    this.setEnded(false);
    this.send({ kind: 'new-shell' });
  }

  /**
   * For tests: make the model throw from inside its event loop, as a model bug would, or (hang)
   * run a model step that never returns.
   */
  injectFault(message: string, hang = false): void {
    this.send({ kind: 'fault', message, hang });
  }

  private update(u: Update): void {
    for (const it of u.items) {
      if (it.kind === 'out') this.output(it.text);
      else if (it.kind === 'crash') {
        this.print(this.s.hostCrashed(it.message));
        this.setEnded(false);
      } else this.setEnded(true);
    }
    // (an update sent before the worker took our last input may still say the shell has ended)
    if (u.seq >= this.sent && u.ended !== this.ended) this.setEnded(u.ended);
    this.taken = u.seq;
    this.running = u.busy;
    this.clock.textContent = `${this.s.simTime}: ${(Math.max(0, u.simNs) / 1e9).toFixed(3)} s`;
    this.dataset.simTime = String(u.simNs);
    if (!this.ended && u.unknown !== this.noteFor) {
      this.noteFor = u.unknown;
      this.note.hidden = u.unknown === null;
      this.note.textContent = u.unknown === null ? '' : this.s.unknownCommand(shortName(u.unknown), COMMANDS.join(', '));
    }
    this.setBusy();
  }

  private setBusy(): void {
    const busy = this.running || this.taken < this.sent;
    this.dataset.busy = String(busy);
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = null;
    // A worker that stops answering is stuck inside one model step: only terminate() ends that.
    if (busy && this.runner?.inWorker) {
      const runner = this.runner;
      this.watchdog = setTimeout(() => {
        if (this.runner !== runner) return;
        if (this.early) this.fallBack();
        else this.restart(this.s.hostHung);
      }, HANG_MS);
    }
  }

  private setEnded(ended: boolean): void {
    this.ended = ended;
    this.newShellButton.hidden = !ended;
    this.dataset.ended = String(ended);
    if (ended) {
      this.noteFor = null;
      this.note.hidden = false;
      this.note.textContent = this.s.shellExited;
    } else if (this.noteFor === null) this.note.hidden = true;
  }

  /** A line of the widget's own (an error), on a line of its own. */
  private print(line: string): void {
    this.output(`${this.atLineStart ? '' : '\n'}${line}\n`);
  }

  /**
   * Append output to the screen. Complete lines go into blocks of their own (<span>s shown as
   * blocks, skipped by the browser while out of view), so the browser lays out only the new
   * lines in view, not the whole screen; the unfinished last line (the prompt, say) is the last
   * block, rewritten as it grows. The oldest blocks are
   * dropped once the screen holds more than SCROLLBACK_LINES lines.
   */
  private output(text: string): void {
    if (!text) return;
    const all = this.partialText + text;
    const cut = all.lastIndexOf('\n') + 1;
    if (cut > 0) {
      let done = all.slice(0, cut);
      if (done.length > SCROLLBACK_CHARS) done = keepTail(done, SCROLLBACK_CHARS);
      let lines = countLines(done);
      if (lines > SCROLLBACK_LINES) {
        done = lastLines(done, SCROLLBACK_LINES);
        lines = SCROLLBACK_LINES;
      }
      // blocks of at most BLOCK_LINES lines: the browser skips those out of view (site.css)
      for (let from = 0; from < done.length; ) {
        let to = from;
        for (let k = 0; k < BLOCK_LINES && to < done.length; k++) to = done.indexOf('\n', to) + 1 || done.length;
        const piece = done.slice(from, to);
        const n = countLines(piece);
        const el = document.createElement('span');
        el.className = 'tcp-term__lines';
        el.style.containIntrinsicBlockSize = `auto ${n}lh`;
        el.textContent = piece;
        this.screen.insertBefore(el, this.partial);
        this.blocks.push({ el, lines: n, chars: piece.length });
        from = to;
      }
      this.lines += lines;
      this.chars += done.length;
      while (this.blocks.length > 1 && (this.lines - this.blocks[0].lines >= SCROLLBACK_LINES || this.chars > SCROLLBACK_CHARS)) {
        const b = this.blocks.shift()!;
        b.el.remove();
        this.lines -= b.lines;
        this.chars -= b.chars;
      }
    }
    const rest = all.slice(cut);
    this.partialText = rest.length > SCROLLBACK_CHARS ? rest.slice(-SCROLLBACK_CHARS) : rest;
    if (this.partial.textContent !== this.partialText) this.partial.textContent = this.partialText;
    this.atLineStart = this.partialText === '';
    if (!this.scrollQueued) {
      this.scrollQueued = true;
      requestAnimationFrame(() => {
        this.scrollQueued = false;
        this.screen.scrollTop = this.screen.scrollHeight;
      });
    }
  }
}
