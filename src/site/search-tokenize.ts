// Tokeniser shared by the search engine (browser) and its tests. Latin-script words are
// lower-cased; runs of CJK ideographs become overlapping bigrams (a single ideograph stays a
// unigram), so Chinese text is searchable without a dictionary.
const TOKEN_RE =
  /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+)|((?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}_])+)/gu;
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
