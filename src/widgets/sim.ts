/**
 * <tcp-lab-sim>: the experiment re-run in the browser by the same model that produced the
 * page's transcripts. A timeline (play, pause, step, scrub; ←/→/Home/End on the slider) drives,
 * in sync, a caption of the moment (narrated from the trace at build time, src/render/narrate.ts),
 * the `ss -natp -o` table in the profile's format, the packet ladder with the current packet
 * highlighted and the challenge ACK marked, and the listener's accept queue. The pictures are
 * laid out for the widget's width (text never below 12 px). A profile switch and two knobs re-run
 * the simulation; the pcap of what is on screen can be downloaded; #t=<seconds> links to a moment.
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

const NATPO = { numeric: true, processes: true, timers: true, states: 'all' as const };


/** What the build puts in the widget's <script type="application/json"> (src/site/sim-data.ts). */
export interface SimPageData {
  exp: Experiment;
  /** Per profile, one caption per moment of the run with the experiment's own settings. */
  captions: Partial<Record<ProfileName, string[]>>;
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
  private captions: SimPageData['captions'] = {};
  private s!: Strings;
  private marks: PacketMark[] = [];
  /** Whether this run uses the experiment's own settings (the captions narrate those). */
  private narrated = false;
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
  /** The ss pane's lines, one text node each: a scrub rewrites only the lines that changed. */
  private ssLines: Text[] = [];
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
    profile: HTMLSelectElement; fin: HTMLInputElement; backlog: HTMLInputElement; play: HTMLButtonElement;
    slider: HTMLInputElement; time: HTMLElement; caption: HTMLElement; ss: HTMLElement; queue: HTMLElement; ladder: HTMLElement; pcap: HTMLButtonElement; link: HTMLAnchorElement;
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
    this.captions = data.captions;
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
    const fin = el('input', { type: 'number', min: '1', max: '120', 'data-testid': 'fin-timeout', 'aria-label': s.finTimeout });
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

    const tl = el('div', { class: 'tcp-sim__timeline' });
    const prev = el('button', { type: 'button', 'aria-label': s.prev, 'data-testid': 'prev' }, '«');
    const play = el('button', { type: 'button', 'aria-label': s.play, 'data-testid': 'play' }, '▶');
    const next = el('button', { type: 'button', 'aria-label': s.next, 'data-testid': 'next' }, '»');
    const slider = el('input', { type: 'range', min: '0', max: '0', value: '0', step: '1', 'aria-label': s.timeline, 'data-testid': 'timeline' });
    const time = el('output', { 'data-testid': 'time', 'aria-live': 'off' });
    // read out when the reader steps (not while playing: see play())
    const caption = el('p', { class: 'tcp-sim__caption', 'data-testid': 'caption', 'aria-live': 'polite', 'aria-label': s.caption });
    prev.addEventListener('click', () => this.seek(this.idx - 1));
    next.addEventListener('click', () => this.seek(this.idx + 1));
    play.addEventListener('click', () => (this.timer === null ? this.play() : this.stop()));
    slider.addEventListener('input', () => this.seek(Number(slider.value)));
    tl.append(prev, play, next, slider, time);

    const panes = el('div', { class: 'tcp-sim__panes' });
    const ssBox = el('figure', { class: 'tcp-sim__ss' });
    ssBox.append(el('figcaption', {}, s.ss));
    // focusable so that a keyboard can scroll its long lines; a named region says what it is
    const ss = el('pre', { 'data-testid': 'ss', tabindex: '0', role: 'region', 'aria-label': s.ss });
    ssBox.append(ss);
    const queue = el('div', { class: 'tcp-sim__queue', 'data-testid': 'queue' });
    const ladderBox = el('figure', { class: 'tcp-sim__ladder' });
    ladderBox.append(el('figcaption', {}, s.ladder));
    // laid out for its width: nothing to scroll, so not focusable
    const ladder = el('div', { 'data-testid': 'ladder' });
    ladderBox.append(ladder);
    panes.append(ssBox, queue, ladderBox);

    const foot = el('div', { class: 'tcp-sim__foot' });
    const pcap = el('button', { type: 'button', 'data-testid': 'pcap' }, s.pcap);
    pcap.addEventListener('click', () => this.download());
    const link = el('a', { href: '#', 'data-testid': 'permalink' }, s.permalink);
    foot.append(pcap, link);
    // the pictures' rules, once (an SVG's own <style> would restyle the whole page on every scrub)
    const css = el('style', {}, LADDER_CSS + QUEUE_CSS);
    root.append(css, controls, tl, caption, panes, foot);
    this.append(root);
    this.ui = { profile, fin, backlog, play, slider, time, caption, ss, queue, ladder, pcap, link };
    // redraw the pictures for the width they get (a phone: 300 to 340 px; never scaled down)
    this.width = panes.clientWidth;
    if (typeof ResizeObserver !== 'undefined') {
      this.resize = new ResizeObserver((entries) => {
        const w = Math.floor(entries[0].contentRect.width);
        if (w && w !== this.width) {
          this.width = w;
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
    return {
      profile: this.ui.profile.value as ProfileName,
      fin: Math.max(1, Math.min(120, Number(this.ui.fin.value) || 60)),
      ncBacklog: Math.max(0, Number(this.ui.backlog.value) || 0),
    };
  }

  /** Run the model (in the worker) with the chosen profile and knobs; show the answer to the last request. */
  private rerun(): void {
    const k = this.knobs();
    const id = ++this.runs;
    this.setAttribute('aria-busy', 'true');
    runTimeline({ exp: this.exp, profile: k.profile, finTimeout: k.fin, ncBacklog: k.ncBacklog }).then(
      (run) => id === this.runs && this.show(run, k),
      (e: Error) => {
        if (id !== this.runs) return;
        this.removeAttribute('aria-busy');
        console.error(`tcp-lab-sim: the run failed: ${e.message}`);
      },
    );
  }

  /** A run arrived: the first builds the controls over the build-time pictures; a re-run keeps the moment in time if possible. */
  private show(run: SimRun, k: ReturnType<TcpLabSim['knobs']>): void {
    const first = !this.res;
    const keepT = first ? null : this.moment()?.t ?? 0;
    if (first) this.build();
    this.res = run;
    this.frames = run.frames;
    this.marks = run.marks;
    this.drawn = '';
    this.queueWidth = 0;
    this.narrated = k.fin === Number(this.exp.sysctl['net.ipv4.tcp_fin_timeout'] ?? 60) && k.ncBacklog === 1 && this.captions[k.profile]?.length === run.moments.length;
    this.ui.slider.max = String(Math.max(0, this.res.moments.length - 1));
    this.dataset.profile = run.profile;
    this.dataset.moments = String(this.res.moments.length);
    this.dataset.mode = runMode();
    // room for the longest ss table of the run (and its header): the widget keeps its height while scrubbing
    const most = this.res.moments.reduce((a, m) => Math.max(a, m.table.rows.length), 0);
    this.ui.ss.style.minHeight = `calc(${most + 1}lh + 1rem)`;
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

  private showSs(text: string): void {
    const lines = text.split('\n');
    const nodes = this.ssLines;
    while (nodes.length > lines.length) nodes.pop()!.remove();
    while (nodes.length < lines.length) nodes.push(this.ui.ss.appendChild(document.createTextNode('')));
    lines.forEach((l, i) => {
      const data = i < lines.length - 1 ? `${l}\n` : l;
      if (nodes[i].data !== data) nodes[i].data = data;
    });
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
    u.slider.value = String(this.idx);
    const pk = this.frames.filter((f) => f.t <= m.t);
    const last = pk.at(-1);
    const what = last ? `${last.frame.seg.sport} → ${last.frame.seg.dport}` : s.nothing;
    u.time.textContent = `t = ${secs} s`;
    this.showSs(renderSs(m.table, NATPO, { iproute2: this.res.iproute2, columns: null }));
    const q = m.queues.find((x) => x.port === 12345) ?? m.queues[0] ?? null;
    const caption = this.narrated ? this.captions[this.res.profile]![this.idx] : s.captionsOff;
    u.caption.textContent = caption;
    u.slider.setAttribute('aria-valuetext', `${s.time} ${secs} s, ${s.event} ${this.idx + 1}/${this.res.moments.length}: ${this.narrated ? caption : what}`);
    const width = this.width || 640;
    // Only what changed is touched: a scrub costs a few class changes, not new SVG to lay out.
    // each state's picture is drawn once and kept, stacked in one grid cell: a scrub shows one
    // and hides another (visibility), and none is laid out again
    if (this.queueWidth !== width) {
      this.queueWidth = width;
      this.queues.clear();
      u.queue.replaceChildren();
    }
    const queueKey = JSON.stringify(q);
    let pic = this.queues.get(queueKey);
    if (!pic) {
      const box = el('div');
      box.innerHTML = renderQueue(q, { title: s.queue, empty: s.queueEmpty, reset: s.queueReset, recvq: s.recvq }, { width, style: false });
      this.queues.set(queueKey, (pic = box.firstElementChild!));
      pic.classList.add('off');
      u.queue.append(pic);
    }
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
    const n = pk.length;
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
