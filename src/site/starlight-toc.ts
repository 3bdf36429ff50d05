// The behaviour of Starlight's "On this page" lists (<starlight-toc> beside the page from 72rem
// up, and <mobile-starlight-toc>, its subclass, in the bar under the header below that): mark
// the link of the section being read with aria-current. Starlight's own module
// (components-internals/TableOfContents/starlight-toc) is replaced by this one at build time
// (src/site/toc-plugin.ts); the markup, styles and the mobile subclass stay Starlight's.
//
// Why: Starlight finds the elements to watch with one document.querySelectorAll whose parts
// (`~ *`, `:not(:has(...))`) test every element of <main> against its siblings and subtree, and
// both lists (one of them always hidden) do it, each in an idle callback after load. On the
// collision chapter (1.9k elements in <main>, most of them transcript lines) that is 22–25 ms per
// list on a desktop CPU, ~90 ms apiece at Lighthouse's 4× mobile slowdown, i.e. two long tasks
// after load. Here the same elements are found from the headings and the content's top-level
// children (a few dozen nodes), and only the list that is displayed sets itself up.

/** Starlight's PAGE_TITLE_ID: the page title's id, the "Overview" entry of the list. */
const PAGE_TITLE_ID = '_top';

const onIdle = (cb: () => void): void => {
  if (typeof window.requestIdleCallback === 'function') window.requestIdleCallback(cb);
  else setTimeout(cb, 1);
};

export class StarlightTOC extends HTMLElement {
  private _current = this.querySelector<HTMLAnchorElement>('a[aria-current="true"]');
  protected minH = parseInt(this.dataset.minH || '2', 10);
  protected maxH = parseInt(this.dataset.maxH || '3', 10);
  /** Headings that can appear in the list, e.g. `h1#_top,:where(h2,h3)[id]` (as Starlight). */
  protected tocHeadingSelector = `h1#${PAGE_TITLE_ID},:where(${Array.from({ length: 1 + this.maxH - this.minH }, (_, i) => `h${this.minH + i}`).join()})[id]`;

  set current(link: HTMLAnchorElement) {
    if (link === this._current) return;
    if (this._current) this._current.removeAttribute('aria-current');
    link.setAttribute('aria-current', 'true');
    this._current = link;
  }

  constructor() {
    super();
    onIdle(() => this.whenDisplayed());
  }

  /**
   * Set up once this list is displayed. One of the two lists sits in a `display: none` wrapper
   * at any width; a ResizeObserver reports a box for it only when it is displayed (and again
   * whenever the window crosses the breakpoint), without forcing a layout.
   */
  private whenDisplayed(): void {
    const box = this.querySelector('nav') ?? this;
    if (typeof ResizeObserver === 'undefined') return this.init();
    const ro = new ResizeObserver((entries) => {
      if (!entries.some((e) => e.contentRect.width > 0 || e.contentRect.height > 0)) return;
      ro.disconnect();
      this.init();
    });
    ro.observe(box);
  }

  private init(): void {
    const links = [...this.querySelectorAll<HTMLAnchorElement>('a')];
    const isHeading = (el: Element) => el.matches(this.tocHeadingSelector);
    /** The heading a content element belongs to: the nearest one before it (Starlight's walk). */
    const headingOf = (start: Element): Element | null => {
      let el: Element | null = start;
      while (el) {
        if (el.matches('.sl-markdown-content, main > *')) return document.getElementById(PAGE_TITLE_ID);
        if (isHeading(el)) return el;
        const child = el.querySelector(this.tocHeadingSelector);
        if (child) return child;
        let prev: Element | null = el.previousElementSibling;
        while (prev?.lastElementChild) prev = prev.lastElementChild;
        el = prev ?? el.parentElement;
      }
      return null;
    };
    const setCurrent = (entries: IntersectionObserverEntry[]) => {
      for (const { isIntersecting, target } of entries) {
        if (!isIntersecting) continue;
        const heading = headingOf(target);
        if (!heading) continue;
        const link = links.find((l) => l.hash === '#' + encodeURIComponent(heading.id));
        if (link) {
          this.current = link;
          break;
        }
      }
    };
    const toObserve = this.targets();
    let observer: IntersectionObserver | undefined;
    const observe = () => {
      if (observer) return;
      observer = new IntersectionObserver(setCurrent, { rootMargin: this.getRootMargin() });
      toObserve.forEach((el) => observer!.observe(el));
    };
    observe();
    let timeout: ReturnType<typeof setTimeout> | undefined;
    window.addEventListener('resize', () => {
      observer?.disconnect();
      observer = undefined;
      clearTimeout(timeout);
      timeout = setTimeout(() => onIdle(observe), 200);
    });
  }

  /**
   * The elements Starlight watches, in document order: the headings of the list; the siblings
   * after a heading (or a `.sl-heading-wrapper`); the children of `.sl-markdown-content`; the
   * children of <main>. Of the last three, only those that contain no heading.
   */
  private targets(): Element[] {
    const main = document.querySelector('main');
    if (!main) return [];
    const headings = [...main.querySelectorAll(`:where(${this.tocHeadingSelector})`)];
    // Every ancestor of a heading, up to <main>: the elements that "contain a heading".
    const holdsHeading = new Set<Element>();
    for (const h of headings) for (let p = h.parentElement; p && p !== main && !holdsHeading.has(p); p = p.parentElement) holdsHeading.add(p);
    const found = new Set<Element>(headings);
    /** el and its following siblings, those that contain no heading. */
    const addFrom = (el: Element | null) => {
      for (; el; el = el.nextElementSibling) if (!holdsHeading.has(el)) found.add(el);
    };
    for (const h of [...headings, ...main.querySelectorAll('.sl-heading-wrapper')]) addFrom(h.nextElementSibling);
    for (const c of main.querySelectorAll('.sl-markdown-content')) addFrom(c.firstElementChild);
    addFrom(main.firstElementChild);
    // In document order, as Starlight's querySelectorAll gives them: the observer reports a
    // batch of entries in that order and the first intersecting one wins.
    return [...found].sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
  }

  protected getRootMargin(): string {
    // Intersections start below the header (and the mobile bar) plus 2rem, as in Starlight.
    const top = (document.querySelector('header')?.getBoundingClientRect().height || 0) + (this.querySelector('summary')?.getBoundingClientRect().height || 0) + 32;
    return `-${top}px 0% ${top + 53 - document.documentElement.clientHeight}px`;
  }
}

customElements.define('starlight-toc', StarlightTOC);
