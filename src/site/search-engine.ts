// Browser search engine, bundled by the post-build step into dist/search-engine.js as a classic
// script (works over http and from file://). It reads the documents that dist/search-index.js
// put on window.__TCP_LAB_SEARCH__ and answers queries with MiniSearch.
import MiniSearch from 'minisearch';
import { tokenizeText, isCjk } from './search-tokenize.ts';

export interface SearchDoc {
  id: number;
  url: string;
  lang: string;
  page: string;
  heading: string;
  text: string;
}
export interface SearchHit {
  url: string;
  page: string;
  heading: string;
  snippet: string;
  terms: string[];
}

export function createEngine(docs: SearchDoc[]) {
  const ms = new MiniSearch<SearchDoc>({
    fields: ['page', 'heading', 'text'],
    storeFields: ['url', 'lang', 'page', 'heading'],
    tokenize: tokenizeText,
    processTerm: (t) => t,
    searchOptions: {
      boost: { page: 3, heading: 2 },
      combineWith: 'AND',
      prefix: (term) => (isCjk(term) ? [...term].length === 1 : term.length > 1),
      fuzzy: (term) => (!isCjk(term) && term.length > 4 ? 0.2 : false),
    },
  });
  ms.addAll(docs);
  const byId = new Map(docs.map((d) => [d.id, d]));

  function snippet(text: string, terms: string[]): string {
    const lower = text.toLowerCase();
    let at = -1;
    for (const t of terms) {
      const i = lower.indexOf(t.toLowerCase());
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at < 0) return text.slice(0, 160);
    const start = Math.max(0, at - 60);
    return (start > 0 ? '…' : '') + text.slice(start, start + 180) + (start + 180 < text.length ? '…' : '');
  }

  return function search(query: string, lang: string, limit = 12): SearchHit[] {
    const q = query.trim();
    if (!q) return [];
    const results = ms.search(q);
    const same = results.filter((r) => r.lang === lang);
    const chosen = (same.length ? same : results).slice(0, limit);
    return chosen.map((r) => {
      const d = byId.get(r.id as number)!;
      const terms = [...new Set([...tokenizeText(q), ...r.terms])];
      return { url: d.url, page: d.page, heading: d.heading, snippet: snippet(d.text, terms), terms };
    });
  };
}

declare global {
  interface Window {
    __TCP_LAB_SEARCH__?: { docs: SearchDoc[] };
    tcpLabSearchEngine?: typeof createEngine;
  }
}
if (typeof window !== 'undefined') window.tcpLabSearchEngine = createEngine;
