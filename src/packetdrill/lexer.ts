/**
 * The packetdrill script lexer: packetdrill's lexer.l (google/packetdrill gtests/net/packetdrill)
 * as a longest-match scanner. Like flex, the longest match wins and, between matches of equal
 * length, the earlier rule (so `ack` is the keyword ACK, `ackx` a WORD, `123` an INTEGER and
 * `0x1f` a HEX_INTEGER). WORDs named by a define (`-D NAME=value`) become the define's value as
 * lexer.l's word() makes them: a quoted STRING, a BACK_QUOTED command, an INTEGER (strtol base
 * 0) or a WORD.
 *
 * Pure: no Node APIs. Every token carries its 1-based line and column.
 */
import { PacketdrillError } from './ast.ts';

export type TokKind =
  | 'KEYWORD' // reserved words of lexer.l; `value` is the keyword text
  | 'ELLIPSIS'
  | 'OPTION' // --name; value is the name without the dashes
  | 'FLOAT'
  | 'INTEGER'
  | 'HEX_INTEGER'
  | 'WORD'
  | 'STRING'
  | 'BACK_QUOTED'
  | 'CODE'
  | 'IPV4_ADDR'
  | 'IPV6_ADDR'
  | 'CHAR' // any other single character
  | 'EOF';

export interface Token {
  kind: TokKind;
  /** The matched text as written in the script (yytext). */
  text: string;
  /** The token's value: keyword/word/string contents, or the option name. */
  value: string;
  /** For FLOAT/INTEGER/HEX_INTEGER (and defines that became INTEGER). */
  num: number;
  line: number;
  col: number;
  /** Line of the token's last character (code blocks and commands span lines). */
  endLine: number;
}

/** lexer.l's reserved words and the token each returns (by its grammar name). */
export const KEYWORDS: Record<string, string> = {
  sa_family: 'SA_FAMILY', sin_port: 'SIN_PORT', sin_addr: 'SIN_ADDR', msg_name: 'MSG_NAME',
  msg_iov: 'MSG_IOV', msg_flags: 'MSG_FLAGS', msg_control: 'MSG_CONTROL', cmsg_data: 'CMSG_DATA',
  cmsg_level: 'CMSG_LEVEL', cmsg_type: 'CMSG_TYPE', ee_errno: 'EE_ERRNO', ee_origin: 'EE_ORIGIN',
  ee_type: 'EE_TYPE', ee_code: 'EE_CODE', ee_info: 'EE_INFO', ee_data: 'EE_DATA', scm_sec: 'SCM_SEC',
  scm_nsec: 'SCM_NSEC', fd: 'FD', u32: 'U32', u64: 'U64', ptr: 'PTR', events: 'EVENTS',
  revents: 'REVENTS', onoff: 'ONOFF', linger: 'LINGER', htons: '_HTONS_', ipv4: 'IPV4', ipv6: 'IPV6',
  icmp: 'ICMP', udp: 'UDP', GREv0: 'GRE', gre: 'GRE', raw: 'RAW', sum: 'SUM', off: 'OFF', key: 'KEY',
  seq: 'SEQ', none: 'NONE', checksum: 'CHECKSUM', 'sequence#': 'SEQUENCE', present: 'PRESENT',
  encap: 'ENCAP', psp: 'PSP', spi: 'SPI', mpls: 'MPLS', label: 'LABEL', tc: 'TC', ttl: 'TTL',
  inet_addr: 'INET_ADDR', inet6_addr: 'INET6_ADDR', ack: 'ACK', eol: 'EOL', ecr: 'ECR', mss: 'MSS',
  mtu: 'MTU', nop: 'NOP', sack: 'SACK', sackOK: 'SACKOK', md5: 'MD5', TS: 'TIMESTAMP', FO: 'FAST_OPEN',
  FOEXP: 'FAST_OPEN_EXP', ECN: 'ACCECN', e0b: 'ACCECN_E0B', e1b: 'ACCECN_E1B', ceb: 'ACCECN_CEB',
  tos: 'TOS', flowlabel: 'FLOWLABEL', flags: 'FLAGS', Flags: 'FLAGS', val: 'VAL', win: 'WIN', urg: 'URG',
  wscale: 'WSCALE', ect01: 'ECT01', ect0: 'ECT0', ect1: 'ECT1', noecn: 'NO_ECN', ce: 'CE', id: 'ID',
};

// The patterns of lexer.l, anchored (sticky) so they match at the scan position.
const RE = {
  ellipsis: /\.\.\./y,
  option: /--[a-zA-Z0-9_]+/y,
  float: /-?[0-9]*\.[0-9]+/y,
  integer: /-?[0-9]+/y,
  hex: /0x[0-9a-fA-F]+/y,
  word: /[a-zA-Z0-9_]+/y,
  // `sequence#` is the one keyword with a character outside [a-zA-Z0-9_]
  seqHash: /sequence#/y,
  string: /"(\\[\s\S]|[^"])*"/y,
  backquoted: /`(\\[\s\S]|[^`])*`/y,
  whitespace: /[ \t\n]+/y,
  cppComment: /\/\/[^\n]*\n/y,
  cComment: /\/\*(([^*])|(\*[^/]))*\*\//y,
  code: /%\{(([^}])|(\}[^%]))*\}%/y,
  ipv4: /[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+/y,
};

// IPv6 address alternatives of lexer.l (v0..v12).
const SEG = '[0-9a-fA-F]{1,4}';
const IPV4_SRC = '[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+';
const V6 = [
  '[:][:]',
  `(${SEG}[:]){7,7}${SEG}`,
  `(${SEG}[:]){1,7}[:]`,
  `(${SEG}[:]){1,6}[:]${SEG}`,
  `(${SEG}[:]){1,5}([:]${SEG}){1,2}`,
  `(${SEG}[:]){1,4}([:]${SEG}){1,3}`,
  `(${SEG}[:]){1,3}([:]${SEG}){1,4}`,
  `(${SEG}[:]){1,2}([:]${SEG}){1,5}`,
  `${SEG}[:](([:]${SEG}){1,6})`,
  `[:]([:]${SEG}){1,7}`,
  `[:][:]ffff[:]${IPV4_SRC}`,
  `[:][:]ffff[:](0){1,4}[:]${IPV4_SRC}`,
  `(${SEG}[:]){1,4}[:]${IPV4_SRC}`,
].map((s) => new RegExp(s, 'y'));

/** Longest match of a regex at `pos` (JS alternation is not longest-match, so try each). */
function matchLen(re: RegExp, src: string, pos: number): number {
  re.lastIndex = pos;
  const m = re.exec(src);
  return m ? m[0].length : 0;
}

/**
 * The longest match among lexer.l's IPv6 alternatives. JS alternation takes the first
 * alternative that matches, not the longest as flex does, so each is tried on its own.
 */
function ipv6Len(src: string, pos: number): number {
  let best = 0;
  for (const re of V6) best = Math.max(best, matchLen(re, src, pos));
  return best;
}

export interface LexOptions {
  /** -D NAME=value definitions (command line and script header). */
  defines?: Map<string, string>;
}

/** strtol(value, &end, 0) accepting the whole string: the number, or null. */
export function strtol0(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return null;
  const body = m[2];
  let v: number;
  if (/^0[xX]/.test(body)) v = parseInt(body.slice(2), 16);
  else if (body.length > 1 && body[0] === '0') v = parseInt(body, 8);
  else v = parseInt(body, 10);
  return m[1] === '-' ? -v : v;
}

export class Lexer {
  private pos = 0;
  private line = 1;
  private col = 1;
  readonly defines: Map<string, string>;
  readonly src: string;
  readonly file: string;
  constructor(src: string, file: string, o: LexOptions = {}) {
    this.src = src;
    this.file = file;
    this.defines = o.defines ?? new Map();
  }

  private advance(text: string): void {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        this.line++;
        this.col = 1;
      } else this.col++;
    }
    this.pos += text.length;
  }

  private tok(kind: TokKind, text: string, value: string, num: number, line: number, col: number): Token {
    return { kind, text, value, num, line, col, endLine: this.line };
  }

  /** The next token (comments and whitespace skipped), or EOF. */
  next(): Token {
    const src = this.src;
    for (;;) {
      if (this.pos >= src.length) return { kind: 'EOF', text: '', value: '', num: 0, line: this.line, col: this.col, endLine: this.line };
      const pos = this.pos;
      const line = this.line;
      const col = this.col;
      // Candidates in lexer.l's rule order; the longest wins, the first among equals.
      let bestLen = 0;
      let best = '';
      const cand = (name: string, len: number) => {
        if (len > bestLen) {
          bestLen = len;
          best = name;
        }
      };
      // keywords come first in lexer.l: a keyword is a WORD-shaped match of the same length
      const wlen = matchLen(RE.word, src, pos);
      if (wlen && Object.hasOwn(KEYWORDS, src.slice(pos, pos + wlen))) cand('keyword', wlen);
      cand('keyword#', matchLen(RE.seqHash, src, pos));
      cand('ellipsis', matchLen(RE.ellipsis, src, pos));
      cand('option', matchLen(RE.option, src, pos));
      cand('float', matchLen(RE.float, src, pos));
      cand('integer', matchLen(RE.integer, src, pos));
      cand('hex', matchLen(RE.hex, src, pos));
      cand('word', wlen);
      cand('string', matchLen(RE.string, src, pos));
      cand('backquoted', matchLen(RE.backquoted, src, pos));
      const c = src[pos];
      cand('char', c === ' ' || c === '\t' || c === '\n' ? 0 : 1);
      cand('ws', matchLen(RE.whitespace, src, pos));
      cand('cpp', matchLen(RE.cppComment, src, pos));
      cand('ccomment', matchLen(RE.cComment, src, pos));
      if (c === '%') cand('code', matchLen(RE.code, src, pos));
      const digit = c >= '0' && c <= '9';
      if (digit) cand('ipv4', matchLen(RE.ipv4, src, pos));
      // an IPv6 address starts with a hex digit or ':' (skip the 13 patterns otherwise)
      if (digit || c === ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) cand('ipv6', ipv6Len(src, pos));
      const text = src.slice(pos, pos + bestLen);
      this.advance(text);
      switch (best) {
        case 'ws':
        case 'cpp':
        case 'ccomment':
          continue;
        case 'keyword':
        case 'keyword#':
          return this.tok('KEYWORD', text, text, 0, line, col);
        case 'ellipsis':
          return this.tok('ELLIPSIS', text, text, 0, line, col);
        case 'option':
          return this.tok('OPTION', text, text.slice(2), 0, line, col);
        case 'float':
          return this.tok('FLOAT', text, text, parseFloat(text), line, col);
        case 'integer':
          return this.tok('INTEGER', text, text, parseInt(text, 10), line, col);
        case 'hex':
          return this.tok('HEX_INTEGER', text, text, parseInt(text.slice(2), 16), line, col);
        case 'word':
          return this.word(text, line, col);
        case 'string':
          return this.tok('STRING', text, text.slice(1, -1), 0, line, col);
        case 'backquoted':
          return this.tok('BACK_QUOTED', text, text.slice(1, -1), 0, line, col);
        case 'code':
          return this.tok('CODE', text, codeText(text), 0, line, col);
        case 'ipv4':
          return this.tok('IPV4_ADDR', text, text, 0, line, col);
        case 'ipv6':
          return this.tok('IPV6_ADDR', text, text, 0, line, col);
        case 'char':
          return this.tok('CHAR', text, text, 0, line, col);
        default:
          throw new PacketdrillError(this.file, line, col, `unexpected character '${c}'`);
      }
    }
  }

  /** lexer.l's word(): a define's value, or the word itself. */
  private word(text: string, line: number, col: number): Token {
    const value = this.defines.get(text);
    if (value !== undefined) {
      if (value[0] === '"') return this.tok('STRING', text, value.slice(1, -1), 0, line, col);
      if (value[0] === '`') return this.tok('BACK_QUOTED', text, value.slice(1, -1), 0, line, col);
      const n = strtol0(value);
      if (n !== null) return this.tok('INTEGER', text, value, n, line, col);
      return this.tok('WORD', text, value, 0, line, col);
    }
    return this.tok('WORD', text, text, 0, line, col);
  }
}

/** lexer.l's code(): the text inside %{ }%, spaces and tabs stripped at both ends. */
function codeText(s: string): string {
  let start = 2;
  let end = s.length - 3;
  while (start <= end && (s[start] === ' ' || s[start] === '\t')) start++;
  while (end >= start && (s[end] === ' ' || s[end] === '\t')) end--;
  return s.slice(start, end + 1);
}

/** Every token of a script (for tests and tools). */
export function tokenize(src: string, file: string, o: LexOptions = {}): Token[] {
  const lx = new Lexer(src, file, o);
  const out: Token[] = [];
  for (;;) {
    const t = lx.next();
    out.push(t);
    if (t.kind === 'EOF') return out;
  }
}
