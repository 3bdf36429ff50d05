/**
 * <tcp-lab-sim>: the experiment re-run in the browser by the same model that produced the
 * page's transcripts. A timeline (play, pause, step, scrub; ←/→/Home/End on the slider) drives,
 * in sync, a caption of the moment (narrated from the run's trace in the worker, src/render/narrate.ts),
 * the `ss -natp -o` table in the profile's format, the packet ladder with the current packet
 * highlighted and the challenge ACK marked, and the listener's accept queue. The pictures are
 * laid out for the widget's width (text never below 12 px). A profile switch and two knobs re-run
 * the simulation (tcp_fin_timeout takes what the kernel's sysctl takes; the worker says when not); the pcap of what is on screen can be downloaded; #t=<seconds> links to a moment.
 * It opens on the moment the build chose (`start`: the first challenge ACK, else the fullest queue).
 *
 * The model runs in the widgets' worker (sim-client.ts → sim-run.ts), not on the page: a run is
 * asynchronous, and until the first one arrives the reader sees the build-time pictures (the
 * controls appear with it). While a profile or knob re-runs, the widget is aria-busy and keeps
 * showing the previous run; the page's bundle holds the renderers and this element, not the model.
 */
import type { Experiment } from '../experiment/types.ts';
import { renderSs } from '../render/ss.ts';
import { renderLadder, LADDER_CSS, LADDER_WINDOW as WINDOW } from '../render/svg-ladder.ts';
import { renderQueue, QUEUE_CSS } from '../render/svg-queue.ts';
import type { PacketMark } from '../render/narrate.ts';
import { writePcap } from '../render/pcap.ts';
import type { ProfileName } from '../model/types.ts';
import { strings, type Strings } from './strings.ts';
import { PROFILE_NAMES, type SimMoment, type SimRun } from './sim-protocol.ts';
import { runMode, runTimeline } from './sim-client.ts';
import { Panes } from './panes.ts';

const NATPO = { numeric: true, processes: true, timers: true, states: 'all' as const };


/** What the build puts in the widget's <script type="application/json"> (src/site/sim-data.ts). */
export interface SimPageData {
  exp: Experiment;
  /** The moment to open on, ns since the start. */
  start: number;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export class TcpLabSim extends HTMLElement {
  private exp!: Experiment;
  private s!: Strings;
  private marks: PacketMark[] = [];
  private width = 0;
  private resize: ResizeObserver | null = null;
  /**
   * The ladder of the whole run, drawn once per run and width, under a clip rectangle: a scrub
   * moves the clip's bottom and the highlight band (two attributes), not the style of each row.
   */
  private rows: { y0: number; y1: number }[] = [];
  private clip: SVGRectElement | null = null;
  private band: SVGRectElement | null = null;
  private slide: SVGGElement | null = null;
  /** Where the rows' window starts in the SVG (the clip's top). */
  private view = { top: 0 };
  private drawn = '';
  /** Accept-queue pictures by state, drawn once each and kept (see render()). */
  private queues = new Map<string, Element>();
  private queueShown: Element | null = null;
  private queueWidth = 0;
  /** The ss listing, accept queue and ladder (panes.ts): a scrub rewrites only the ss lines that changed. */
  private panes!: Panes;
  /**
   * Per moment of the run, what a scrub shows, computed on the first visit: the ss listing, the
   * queue picture's key and how many packets are on the wire by then.
   */
  private memo: { ss: string; queue: string; q: SimMoment['queues'][number] | null; packets: number }[] = [];
  /** The caption's and the clock's text nodes: a scrub sets their data (no node replaced, no style recalculated). */
  private captionText!: Text;
  private timeText!: Text;
  private res: SimRun | null = null;
  private frames: SimRun['frames'] = [];
  /** Runs asked for; only the answer to the last one is shown. */
  private runs = 0;
  /** activate() has run (the first run may not have arrived yet: data-ready comes with it). */
  private started = false;
  /** The moment the build chose to open on, ns. */
  private start = 0;
  private idx = 0;
  private timer: number | null = null;
  private ui!: {
    profile: HTMLSelectElement; fin: HTMLInputElement; backlog: HTMLInputElement; note: HTMLElement; play: HTMLButtonElement;
    slider: HTMLInputElement; time: HTMLElement; caption: HTMLElement; sizer: HTMLElement; ss: HTMLElement; queue: HTMLElement; ladder: HTMLElement; pcap: HTMLButtonElement; link: HTMLAnchorElement;
  };

  private observer: IntersectionObserver | null = null;

  /**
   * The simulation runs when the widget comes near the viewport (or gets keyboard focus, or the
   * URL links to a moment), not at page load: until then the reader sees the build-time
   * pictures, and the page's first paint and main thread stay free (the way Astro's
   * `client:visible` islands hydrate).
   */
  connectedCallback(): void {
    if (this.dataset.ready || this.observer) return;
    const activate = () => this.activate();
    if (/#t=/.test(location.hash) || typeof IntersectionObserver === 'undefined') return activate();
    this.observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && activate(), { rootMargin: '400px 0px' });
    this.observer.observe(this);
    this.addEventListener('focusin', activate, { once: true });
  }

  private activate(): void {
    this.observer?.disconnect();
    this.observer = null;
    if (this.started) return;
    const json = this.querySelector('script[type="application/json"]');
    if (!json?.textContent) return;
    this.started = true;
    const data = JSON.parse(json.textContent) as SimPageData;
    this.exp = data.exp;
    this.start = data.start;
    this.s = strings(document.documentElement.lang);
    this.rerun();
  }

  disconnectedCallback(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.resize?.disconnect();
    this.stop();
  }

  private build(): void {
    const s = this.s;
    const fallback = this.querySelector('[data-sim-fallback]') as HTMLElement | null;
    if (fallback) fallback.hidden = true;
    const root = el('div', { class: 'tcp-sim__live' });
    const controls = el('div', { class: 'tcp-sim__controls' });
    const profile = el('select', { 'data-testid': 'profile', 'aria-label': s.profile });
    for (const p of PROFILE_NAMES) profile.append(el('option', { value: p }, p));
    profile.value = this.dataset.profile ?? this.exp.profile;
    // any value the kernel takes (the worker checks it with the sysctl's own range); the note says what it means
    const fin = el('input', { type: 'number', step: '1', 'data-testid': 'fin-timeout', 'aria-label': s.finTimeout, 'aria-describedby': `${this.id || this.dataset.experiment}-knob-note` });
    fin.value = String(this.exp.sysctl['net.ipv4.tcp_fin_timeout'] ?? 60);
    const backlog = el('input', { type: 'number', min: '0', max: '8', 'data-testid': 'backlog', 'aria-label': s.backlog });
    backlog.value = '1';
    const label = (text: string, input: HTMLElement) => {
      const l = el('label', { class: 'tcp-sim__knob' }, `${text} `);
      l.append(input);
      return l;
    };
    controls.append(label(s.profile, profile), label(s.finTimeout, fin), label(s.backlog, backlog));
    for (const c of [profile, fin, backlog]) c.addEventListener('change', () => this.rerun());
    const note = el('p', { class: 'tcp-sim__knobnote', id: `${this.id || this.dataset.experiment}-knob-note`, 'data-testid': 'knob-note', role: 'status' }, s.finMeaning);

    const tl = el('div', { class: 'tcp-sim__timeline' });
    const prev = el('button', { type: 'button', 'aria-label': s.prev, 'data-testid': 'prev' }, '«');
    const play = el('button', { type: 'button', 'aria-label': s.play, 'data-testid': 'play' }, '▶');
    const next = el('button', { type: 'button', 'aria-label': s.next, 'data-testid': 'next' }, '»');
    const slider = el('input', { type: 'range', min: '0', max: '0', value: '0', step: '1', 'aria-label': s.timeline, 'data-testid': 'timeline' });
    const time = el('output', { 'data-testid': 'time', 'aria-live': 'off' });
    // a scrub changes the slider and the clock: each sits in a box of its own, size-contained,
    // that the browser lays out alone (a flex item itself cannot be: see the stylesheet)
    const track = el('div', { class: 'tcp-sim__track' });
    track.append(slider);
    this.timeText = time.appendChild(el('span')).appendChild(document.createTextNode(''));
    // read out when the reader steps (not while playing: see play()). It lies over every caption of
    // the run, stacked invisibly in one grid cell (the sizer): the box is as tall as the tallest, so
    // the panes never move, and the caption, size-contained, is laid out alone when its text changes
    const captionBox = el('div', { class: 'tcp-sim__captionbox' });
    const caption = el('p', { class: 'tcp-sim__caption', 'data-testid': 'caption', 'aria-live': 'polite', 'aria-label': s.caption });
    this.captionText = caption.appendChild(document.createTextNode(''));
    const sizer = el('div', { class: 'tcp-sim__sizer', 'aria-hidden': 'true' });
    captionBox.append(sizer, caption);
    prev.addEventListener('click', () => this.seek(this.idx - 1));
    next.addEventListener('click', () => this.seek(this.idx + 1));
    play.addEventListener('click', () => (this.timer === null ? this.play() : this.stop()));
    slider.addEventListener('input', () => this.seek(Number(slider.value)));
    tl.append(prev, play, next, track, time);

    // the panes, as the sandbox's live view shows them too (panes.ts), driven here by the scrubbed moment
    this.panes = new Panes(s, { testid: '', role: 'region' });
    const { root: panes, ss, queue, ladder } = this.panes;

    const foot = el('div', { class: 'tcp-sim__foot' });
    const pcap = el('button', { type: 'button', 'data-testid': 'pcap' }, s.pcap);
    pcap.addEventListener('click', () => this.download());
    const link = el('a', { href: '#', 'data-testid': 'permalink' }, s.permalink);
    foot.append(pcap, link);
    // the pictures' rules, once (an SVG's own <style> would restyle the whole page on every scrub)
    const css = el('style', {}, LADDER_CSS + QUEUE_CSS);
    root.append(css, controls, note, tl, captionBox, panes, foot);
    this.append(root);
    this.ui = { profile, fin, backlog, note, play, slider, time, caption, sizer, ss, queue, ladder, pcap, link };
    // redraw the pictures for the width they get (a phone: 300 to 340 px; never scaled down)
    this.width = panes.clientWidth;
    if (typeof ResizeObserver !== 'undefined') {
      this.resize = new ResizeObserver((entries) => {
        const w = Math.floor(entries[0].contentRect.width);
        if (w && w !== this.width) {
          this.width = w;
          this.fitSs();
          this.render();
        }
      });
      this.resize.observe(panes);
    }
  }

  /** The chosen profile and knobs (before the controls exist: the experiment's own). */
  private knobs(): { profile: ProfileName; fin: number; ncBacklog: number } {
    const own = Number(this.exp.sysctl['net.ipv4.tcp_fin_timeout'] ?? 60);
    if (!this.ui) return { profile: (this.dataset.profile ?? this.exp.profile) as ProfileName, fin: own, ncBacklog: 1 };
    // tcp_fin_timeout as typed (an empty field: the experiment's own); the worker refuses what the kernel refuses
    const fin = this.ui.fin.value.trim() === '' ? own : Number(this.ui.fin.value);
    return {
      profile: this.ui.profile.value as ProfileName,
      fin,
      ncBacklog: Math.max(0, Number(this.ui.backlog.value) || 0),
    };
  }

  /** Run the model (in the worker) with the chosen profile and knobs; show the answer to the last request. */
  private rerun(): void {
    const k = this.knobs();
    const id = ++this.runs;
    this.setAttribute('aria-busy', 'true');
    const lang = this.s === strings('zh') ? 'zh' : 'en';
    runTimeline({ exp: this.exp, profile: k.profile, finTimeout: k.fin, ncBacklog: k.ncBacklog, lang }).then(
      (run) => id === this.runs && this.show(run),
      (e: Error) => {
        if (id !== this.runs) return;
        this.removeAttribute('aria-busy');
        // a knob the kernel refuses: say so beside the knobs, keep showing the last run
        if (this.ui && /^net\.ipv4\./.test(e.message)) {
          this.ui.note.textContent = `${this.s.knobRefused}${e.message}`;
          this.ui.note.dataset.error = 'true';
        } else console.error(`tcp-lab-sim: the run failed: ${e.message}`);
      },
    );
  }

  /** A run arrived: the first builds the controls over the build-time pictures; a re-run keeps the moment in time if possible. */
  private show(run: SimRun): void {
    const first = !this.res;
    const keepT = first ? null : this.moment()?.t ?? 0;
    if (first) this.build();
    this.res = run;
    this.frames = run.frames;
    this.marks = run.marks;
    this.drawn = '';
    this.queueWidth = 0;
    this.memo = [];
    if (this.ui.note.dataset.error) {
      this.ui.note.textContent = this.s.finMeaning;
      delete this.ui.note.dataset.error;
    }
    this.ui.slider.max = String(Math.max(0, this.res.moments.length - 1));
    this.dataset.profile = run.profile;
    this.dataset.moments = String(this.res.moments.length);
    this.dataset.mode = runMode();
    this.ui.sizer.replaceChildren(...run.captions.map((c) => el('p', { class: 'tcp-sim__caption' }, c)));
    this.fitSs();
    if (keepT !== null) this.seekTime(keepT);
    else {
      const m = /#t=([\d.]+)/.exec(location.hash);
      this.seekTime(m ? Number(m[1]) * 1e9 : this.start);
      this.dataset.ready = 'true';
    }
    this.removeAttribute('aria-busy');
  }

  private moment(): SimMoment | undefined {
    return this.res?.moments[this.idx];
  }

  /**
   * Room for the longest ss table of the run (and its header) and a scroll bar: the widget keeps
   * its height while scrubbing, and the pane, size-contained, is laid out alone when its lines change.
   */
  private fitSs(): void {
    if (!this.res) return;
    const ss = this.ui.ss;
    const most = this.res.moments.reduce((a, m) => Math.max(a, m.table.rows.length), 0);
    ss.style.overflowX = 'scroll';
    const bar = ss.offsetHeight - ss.clientHeight;
    ss.style.overflowX = '';
    ss.style.height = `calc(${most + 1}lh + 1rem + ${bar}px)`;
  }

  /** What a scrub to moment i shows, computed on the first visit. */
  private memoOf(i: number): TcpLabSim['memo'][number] {
    const m = this.res!.moments[i];
    let mm = this.memo[i];
    if (!mm) {
      const q = m.queues.find((x) => x.port === 12345) ?? m.queues[0] ?? null;
      let packets = 0;
      while (packets < this.frames.length && this.frames[packets].t <= m.t) packets++;
      mm = this.memo[i] = { ss: renderSs(m.table, NATPO, { iproute2: this.res!.iproute2, columns: null }), queue: JSON.stringify(q), q, packets };
    }
    return mm;
  }

  /** Show the moment at or before tNs (ns since the start): #t= links (src/site/moments.ts) call it. */
  seekTime(tNs: number): void {
    const ms = this.res?.moments ?? [];
    let i = 0;
    while (i + 1 < ms.length && ms[i + 1].t <= tNs) i++;
    this.seek(i);
  }

  seek(i: number): void {
    if (!this.res) return;
    const n = this.res.moments.length;
    this.idx = Math.max(0, Math.min(n - 1, i));
    this.render();
  }

  private render(): void {
    const m = this.moment();
    const u = this.ui;
    const s = this.s;
    if (!m || !this.res) return;
    const secs = (m.t / 1e9).toFixed(6);
    if (u.slider.value !== String(this.idx)) u.slider.value = String(this.idx);
    const mm = this.memoOf(this.idx);
    this.timeText.data = `t = ${secs} s`;
    this.panes.showSs(mm.ss);
    const caption = this.res.captions[this.idx] ?? '';
    this.captionText.data = caption;
    u.slider.setAttribute('aria-valuetext', `${s.time} ${secs} s, ${s.event} ${this.idx + 1}/${this.res.moments.length}: ${caption}`);
    const width = this.width || 640;
    // Only what changed is touched: a scrub costs a few class changes, not new SVG to lay out.
    // each state's picture is drawn once and kept, stacked in one grid cell: a scrub shows one
    // and hides another (visibility), and none is laid out again
    // (all of the run's, at once: the cell is as tall as the tallest from the start, and stays so)
    if (this.queueWidth !== width) {
      this.queueWidth = width;
      this.queues.clear();
      this.queueShown = null;
      u.queue.replaceChildren();
      this.res.moments.forEach((_, i) => {
        const key = this.memoOf(i).queue;
        if (this.queues.has(key)) return;
        const box = el('div');
        box.innerHTML = renderQueue(this.memoOf(i).q, { title: s.queue, empty: s.queueEmpty, reset: s.queueReset, recvq: s.recvq }, { width, style: false });
        const pic = box.firstElementChild!;
        pic.classList.add('off');
        this.queues.set(key, pic);
        u.queue.append(pic);
      });
    }
    const pic = this.queues.get(mm.queue)!;
    if (pic !== this.queueShown) {
      this.queueShown?.classList.add('off');
      pic.classList.remove('off');
      this.queueShown = pic;
    }
    if (String(width) !== this.drawn) {
      this.drawn = String(width);
      u.ladder.innerHTML = renderLadder(
        this.frames.map((f) => ({ t: f.t, seg: f.frame.seg })),
        { title: s.ladder, description: s.ladderDesc, width, marks: this.marks, markLabels: { challenge: s.markChallenge, retrans: s.markRetrans }, id: `${this.id || this.dataset.experiment}-ladder`, style: false, clip: true, window: WINDOW },
      );
      this.rows = [...u.ladder.querySelectorAll<SVGGElement>('g.pkt')].map((g) => ({ y0: Number(g.dataset.y0), y1: Number(g.dataset.y1) }));
      this.clip = u.ladder.querySelector('rect.shown');
      this.band = u.ladder.querySelector('rect.band');
      this.slide = u.ladder.querySelector('g.rows');
      const svg = u.ladder.querySelector('svg');
      this.view = { top: Number(svg?.dataset.top) - 6 };
    }
    // packets 1..n shown, the n-th on the band; past WINDOW packets the rows slide up, whole rows
    const n = mm.packets;
    const row = this.rows[n - 1];
    const up = n > WINDOW ? this.rows[n - WINDOW].y0 - this.rows[0].y0 : 0;
    this.slide?.setAttribute('transform', `translate(0 ${-up})`);
    this.clip?.setAttribute('height', String(row ? row.y1 - up - this.view.top : 0));
    this.band?.setAttribute('y', String(row?.y0 ?? 0));
    this.band?.setAttribute('height', String(row ? row.y1 - row.y0 : 0));
    u.ladder.dataset.shown = String(n);
    u.link.href = `#t=${(m.t / 1e9).toFixed(6)}`;
    this.dataset.t = secs;
  }

  private play(): void {
    const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.ui.play.textContent = '||';
    this.ui.play.setAttribute('aria-label', this.s.pause);
    this.ui.caption.setAttribute('aria-live', 'off');
    this.timer = window.setInterval(() => {
      if (!this.res || this.idx >= this.res.moments.length - 1) return this.stop();
      this.seek(this.idx + 1);
    }, reduce ? 1000 : 250);
  }

  private stop(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    if (this.ui) {
      this.ui.play.textContent = '▶';
      this.ui.play.setAttribute('aria-label', this.s.play);
      this.ui.caption.setAttribute('aria-live', 'polite');
    }
  }

  private download(): void {
    const m = this.moment();
    if (!m) return;
    const bytes = writePcap(this.frames.filter((f) => f.t <= m.t).map((f) => f.frame));
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/vnd.tcpdump.pcap' }));
    const a = el('a', { href: url, download: `${this.exp.id}-${this.res!.profile}.pcap` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
