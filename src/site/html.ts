// A tiny, dependency-free HTML tokenizer for our own build output (Astro/Starlight HTML):
// enough to extract text for the search index and to find URL-bearing attributes.

export type Token =
  | { type: 'open'; name: string; attrs: Record<string, string>; selfClosing: boolean; raw: string }
  | { type: 'close'; name: string; raw: string }
  | { type: 'text'; text: string; raw: string }
  | { type: 'comment'; raw: string };

export const VOID = new Set([
  'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr',
]);

const TOKEN_RE =
  /<!--[\s\S]*?-->|<!doctype[^>]*>|<(\/?)([a-zA-Z][\w:-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*(\/?)>|[^<]+|</;
const ATTR_RE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

export function parseAttrs(s: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of s.matchAll(ATTR_RE)) attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  return attrs;
}

export function* tokenize(html: string): Generator<Token> {
  const re = new RegExp(TOKEN_RE.source, 'gy');
  let m: RegExpExecArray | null;
  let rawTextEnd: string | null = null; // inside <script>/<style>: everything up to the end tag is text
  let i = 0;
  while (i < html.length) {
    if (rawTextEnd) {
      const end = html.toLowerCase().indexOf(`</${rawTextEnd}`, i);
      const stop = end === -1 ? html.length : end;
      if (stop > i) yield { type: 'text', text: html.slice(i, stop), raw: html.slice(i, stop) };
      i = stop;
      rawTextEnd = null;
      continue;
    }
    re.lastIndex = i;
    m = re.exec(html);
    if (!m) break;
    const raw = m[0];
    i = re.lastIndex;
    if (raw.startsWith('<!--') || raw.toLowerCase().startsWith('<!doctype')) yield { type: 'comment', raw };
    else if (m[2]) {
      const name = m[2].toLowerCase();
      if (m[1]) yield { type: 'close', name, raw };
      else {
        yield { type: 'open', name, attrs: parseAttrs(m[3] ?? ''), selfClosing: m[4] === '/', raw };
        if (name === 'script' || name === 'style') rawTextEnd = name;
      }
    } else yield { type: 'text', text: decodeEntities(raw), raw };
  }
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      // as a browser decodes it: NUL, a surrogate or a number past U+10FFFF is U+FFFD (no RangeError)
      return n === 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff) ? '\ufffd' : String.fromCodePoint(n);
    }
    return NAMED[e.toLowerCase()] ?? all;
  });
}

export interface Section {
  /** Fragment id of the heading that starts the section ('' for the page top). */
  id: string;
  heading: string;
  text: string;
}
export interface PageText {
  lang: string;
  title: string;
  sections: Section[];
}

/** Elements whose start and end separate words (anything else is inline: its text runs on). */
const BLOCK = /^(p|li|ul|ol|tr|table|thead|tbody|div|section|figure|aside|details|h[1-6]|pre|dl|dt|dd|figcaption|summary|td|th|blockquote)$/;

const SKIP_CLASSES = ['copy', 'tcp-transcript__recorded', 'sl-anchor-link', 'sr-only', 'tcp-search-ignore'];

/** Extract title, language and per-heading sections of a Starlight page's main content. */
export function extractPageText(html: string): PageText | null {
  let lang = 'en';
  let title = '';
  let inTitle = false;
  let contentDepth = -1; // depth at which .sl-markdown-content was opened
  let skipDepth = -1;
  let headingDepth = -1;
  const stack: string[] = [];
  const sections: Section[] = [{ id: '', heading: '', text: '' }];
  let found = false;
  for (const tok of tokenize(html)) {
    if (tok.type === 'open') {
      if (tok.name === 'html' && tok.attrs.lang) lang = tok.attrs.lang;
      if (tok.name === 'h1' && tok.attrs.id === '_top') inTitle = true;
      const cls = (tok.attrs.class ?? '').split(/\s+/);
      if (VOID.has(tok.name) || tok.selfClosing) {
        if (contentDepth >= 0 && skipDepth < 0 && (tok.name === 'br' || tok.name === 'hr')) sections[sections.length - 1].text += ' ';
        continue;
      }
      stack.push(tok.name);
      const depth = stack.length;
      if (contentDepth < 0 && cls.includes('sl-markdown-content')) {
        contentDepth = depth;
        found = true;
      }
      if (contentDepth < 0 || skipDepth >= 0) continue;
      if (
        tok.name === 'script' || tok.name === 'style' || tok.name === 'button' ||
        SKIP_CLASSES.some((c) => cls.includes(c)) || tok.attrs['data-search-ignore'] !== undefined
      ) {
        skipDepth = depth;
        continue;
      }
      if (/^h[23]$/.test(tok.name) && tok.attrs.id) {
        sections.push({ id: tok.attrs.id, heading: '', text: '' });
        headingDepth = depth;
      } else if (BLOCK.test(tok.name)) {
        sections[sections.length - 1].text += ' ';
      }
    } else if (tok.type === 'close') {
      if (tok.name === 'h1') inTitle = false;
      const idx = stack.lastIndexOf(tok.name);
      if (idx < 0) continue;
      const depthBefore = stack.length;
      stack.length = idx;
      if (skipDepth >= 0 && stack.length < skipDepth) skipDepth = -1;
      if (headingDepth >= 0 && stack.length < headingDepth) headingDepth = -1;
      if (contentDepth >= 0 && stack.length < contentDepth) contentDepth = -2; // done; never reopen
      // a block ends a word; an inline element (code, a, strong...) does not: "<code>SYN-SENT</code>." is "SYN-SENT."
      if (depthBefore && contentDepth >= 0 && BLOCK.test(tok.name)) sections[sections.length - 1].text += ' ';
    } else if (tok.type === 'text') {
      if (inTitle) title += tok.text;
      if (contentDepth < 0 || skipDepth >= 0) continue;
      const s = sections[sections.length - 1];
      if (headingDepth >= 0) s.heading += tok.text;
      else s.text += tok.text;
    }
  }
  if (!found) return null;
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  return {
    lang,
    title: norm(title),
    sections: sections
      .map((s) => ({ id: s.id, heading: norm(s.heading), text: norm(s.text) }))
      .filter((s) => s.text || s.heading),
  };
}
