/**
 * <tcp-lab-terminal>: a sandbox bash on a simulated Linux host (the same model). Each command
 * advances simulated time until the shell prompts again (so `sleep 61` lets a FIN-WAIT-2
 * timewait socket expire), or until nothing is left to happen for a foreground job that waits
 * on the network. Ctrl-C / Ctrl-Z / Ctrl-D (or typing ^C, ^Z, ^D) go to the foreground job.
 */
import { createHost } from '../model/index.ts';
import type { Kernel } from '../model/kernel.ts';
import type { ProcessTable } from '../model/process.ts';
import type { ProfileName } from '../model/types.ts';
import { COMMANDS, installUserland, startShell } from '../userland/index.ts';
import { strings, type Strings } from './strings.ts';

const MAX_ADVANCE_NS = 600e9;

export class TcpLabTerminal extends HTMLElement {
  private k!: Kernel;
  private procs!: ProcessTable;
  private s!: Strings;
  private screen!: HTMLPreElement;
  private input!: HTMLInputElement;
  private clock!: HTMLElement;
  private note!: HTMLElement;
  private seen = 0;
  private prompts = 0;
  private history: string[] = [];
  private hpos = 0;

  private observer: IntersectionObserver | null = null;

  /**
   * The host boots (a simulated 10 s of a Linux machine, then the first prompt) when the terminal
   * comes near the viewport, as <tcp-lab-sim> does, not while the page loads: the boot and the
   * layout that scrolling its screen needs would otherwise run in the same task as the module's
   * evaluation, a long task on a slow phone. Until then the reader sees the no-JS note.
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
    this.boot((this.dataset.profile as ProfileName) ?? 'linux-4.4');
    this.dataset.ready = 'true';
  }

  private boot(profile: ProfileName): void {
    const s = this.s;
    this.replaceChildren();
    const { k, procs } = createHost({ profile, seed: 4 });
    this.k = k;
    this.procs = procs;
    installUserland(procs, k.profile, { user: 'root', hostname: 'lab' });
    startShell(procs, k.profile, 'sandbox', { user: 'root', hostname: 'lab', history: 1 });
    k.sim.runUntil(k.now + 10e9);
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
    const form = document.createElement('form');
    form.className = 'tcp-term__form';
    this.input = document.createElement('input');
    this.input.setAttribute('data-testid', 'command');
    this.input.setAttribute('aria-label', s.command);
    this.input.setAttribute('aria-describedby', help.id);
    this.input.autocomplete = 'off';
    this.input.spellcheck = false;
    this.clock = document.createElement('span');
    this.clock.className = 'tcp-term__clock';
    this.clock.setAttribute('data-testid', 'clock');
    form.append(this.input, this.clock);
    // a hint outside the screen (which stays exactly what bash prints) when a command is unknown
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
        this.key(`^${e.key.toUpperCase()}` as '^C');
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
    this.seen = 0;
    this.prompts = 0;
    this.refresh();
  }

  /** Type a line (or a ^X key written out) into the terminal. */
  submit(line: string): void {
    const t = line.trim();
    if (/^\^[CZD\\]$/i.test(t)) return this.key(t.toUpperCase() as '^C');
    const before = (this.screen.textContent ?? '').length;
    this.procs.ttyType(this.procs.tty('sandbox'), line + '\n');
    this.advance();
    const missing = /bash: ([^:\n]+): command not found/.exec((this.screen.textContent ?? '').slice(before));
    this.note.hidden = !missing;
    this.note.textContent = missing ? this.s.unknownCommand(missing[1], COMMANDS.join(', ')) : '';
  }

  key(k: '^C' | '^Z' | '^D' | '^\\'): void {
    this.procs.ttyKey(this.procs.tty('sandbox'), k);
    this.advance();
  }

  private promptCount(): number {
    let n = 0;
    for (const e of this.k.sim.trace) if (e.type === 'output' && e.tty === 'sandbox' && /\[#\d+#root@lab ~\]\$$/.test(e.text)) n++;
    return n;
  }

  /** Run the model until the shell prompts again, or nothing more can happen soon. */
  private advance(): void {
    const k = this.k;
    const before = this.promptCount();
    const start = k.now;
    k.sim.runUntil(k.now + 50e6); // let the command start
    while (this.promptCount() === before && k.now - start < MAX_ADVANCE_NS) {
      const next = k.sim.peek();
      if (next === Infinity) break;
      // a foreground job waiting on the network with only far timers pending: stop and show it
      if (next - k.now > 2e9 && !this.sleeping()) break;
      k.sim.runUntil(next);
    }
    k.sim.runUntil(k.now + 5e6);
    this.refresh();
  }

  /** Is the foreground job a `sleep` (which should simply let time pass)? */
  private sleeping(): boolean {
    for (const t of this.procs.tasks.values()) if (t.comm === 'sleep' && t.state !== 'zombie') return true;
    return false;
  }

  private refresh(): void {
    let text = this.screen.textContent ?? '';
    const tr = this.k.sim.trace;
    for (; this.seen < tr.length; this.seen++) {
      const e = tr[this.seen];
      if (e.type === 'output' && e.tty === 'sandbox') text += e.text;
    }
    this.screen.textContent = text;
    this.screen.scrollTop = this.screen.scrollHeight;
    this.clock.textContent = `${this.s.simTime}: ${(this.k.now / 1e9 - 10).toFixed(3)} s`;
    this.dataset.simTime = String(this.k.now);
  }
}
