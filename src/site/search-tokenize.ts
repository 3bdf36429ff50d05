// Tokeniser shared by the search engine (browser) and its tests. Latin-script words are
// lower-cased; runs of CJK ideographs become overlapping bigrams (a single ideograph stays a
// unigram), so Chinese text is searchable without a dictionary.
// `_` separates words like `-` does: the kernel's and netstat's CLOSE_WAIT and SYN_RECV find
// ss's CLOSE-WAIT and SYN-RECV, and tcp_fin_timeout is found by "fin timeout" too.
const TOKEN_RE =
  /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+)|((?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}])+)/gu;
const CJK_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

export function isCjk(term: string): boolean {
  return CJK_RE.test(term);
}

export function tokenizeText(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(TOKEN_RE)) {
    if (m[1]) {
      const chars = [...m[1]];
      if (chars.length === 1) out.push(chars[0]);
      for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
    } else if (m[2]) out.push(m[2].toLowerCase());
  }
  return out;
}
