/**
 * The kernel's packetdrill selftests grouped by what they test (from the script names, which
 * the kernel's Makefile groups the same way: tcp_<area>_<name>.pkt), and the model's results
 * as a committed report (reports/packetdrill-model-linux-6.x.tsv) that the chapter reads at
 * build time. A test runs the suite and compares it with the committed report, so the chapter
 * cannot claim a result the model does not give.
 *
 * Pure: text in, text or rows out.
 */
import type { Outcome, Verdict } from './run.ts';

export type Lang = 'en' | 'zh-cn';

export interface Area {
  id: string;
  /** Script-name prefixes (after `tcp_`). */
  prefixes: string[];
  label: Record<Lang, string>;
  /** Whether the model sets out to implement this area at all. */
  inScope: boolean;
}

export const AREAS: Area[] = [
  {
    id: 'connections',
    prefixes: ['basic_', 'blocking_', 'close_', 'disorder_', 'validate_', 'rfc5961_', 'syscall_bad_arg_', 'syncookies_'],
    label: { en: 'Connections: handshake, close, reset, validation', 'zh-cn': '连接：握手、关闭、复位与校验' },
    inScope: true,
  },
  {
    id: 'data',
    prefixes: ['rcv_', 'inq_', 'ooo', 'eor_', 'nagle_', 'splice_', 'sendfile_'],
    label: { en: 'Data: receive window, queues, Nagle, records', 'zh-cn': '数据：接收窗口、队列、Nagle 与记录边界' },
    inScope: true,
  },
  {
    id: 'sack-ts',
    prefixes: ['sack_', 'dsack_', 'ts_recent_'],
    label: { en: 'SACK, DSACK and timestamps', 'zh-cn': 'SACK、DSACK 与时间戳' },
    inScope: true,
  },
  {
    id: 'congestion',
    prefixes: ['slow_start_', 'fast_recovery_', 'limited_transmit_', 'rto_', 'user_timeout_', 'tcp_info_'],
    label: { en: 'Congestion control, loss recovery, timers, TCP_INFO', 'zh-cn': '拥塞控制、丢包恢复、定时器与 TCP_INFO' },
    inScope: true,
  },
  {
    id: 'fastopen',
    prefixes: ['fastopen_'],
    label: { en: 'TCP Fast Open', 'zh-cn': 'TCP Fast Open' },
    inScope: false,
  },
  {
    id: 'ecn',
    prefixes: ['accecn_', 'ecn_'],
    label: { en: 'ECN and AccECN', 'zh-cn': 'ECN 与 AccECN' },
    inScope: false,
  },
  {
    id: 'other',
    prefixes: ['zerocopy_', 'timestamping_', 'md5_'],
    label: { en: 'Zero-copy, SO_TIMESTAMPING, TCP-MD5', 'zh-cn': '零拷贝、SO_TIMESTAMPING、TCP-MD5' },
    inScope: false,
  },
];

/** The area of a script, by its name; null for a name no area claims. */
export function areaOf(script: string): Area | null {
  const rest = script.replace(/^tcp_/, '');
  return AREAS.find((a) => a.prefixes.some((p) => rest.startsWith(p))) ?? null;
}

export interface ReportRow {
  script: string;
  area: string;
  tier: string;
  linux: Outcome | '';
  model: Outcome;
  /** For a skip: what the model lacks (the first need); for a fail: the script line. */
  why: string;
}

const HEADER = ['script', 'area', 'tier', 'linux-6.18', 'model', 'why'];

/** One row per script, in the order given. */
export function reportRows(results: Map<string, Verdict>, tiers: Map<string, string>, real: Map<string, Outcome>): ReportRow[] {
  return [...results].map(([script, v]) => ({
    script,
    area: areaOf(script)?.id ?? '?',
    tier: tiers.get(script) ?? '',
    linux: real.get(script) ?? '',
    model: v.outcome,
    why: v.outcome === 'skip' ? (v.needs[0]?.need ?? v.reason) : v.outcome === 'fail' ? (v.line !== null ? `line ${v.line}` : v.reason.split(':')[0]) : '',
  }));
}

/** Where `npm run packetdrill -- --write` puts the report (relative to the repository). */
export const MODEL_REPORT = 'reports/packetdrill-model-linux-6.x.tsv';

/** The report's text: `# ` comment lines, then a header and one tab-separated row per script. */
export function reportText(rows: ReportRow[], comments: string[]): string {
  const clean = (s: string) => s.replace(/[\t\n]/g, ' ');
  return `${[...comments.map((c) => `# ${c}`), HEADER.join('\t'), ...rows.map((r) => [r.script, r.area, r.tier, r.linux, r.model, clean(r.why)].join('\t'))].join('\n')}\n`;
}

export function parseReport(text: string): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#') || line.startsWith('script\t')) continue;
    const [script, area, tier, linux, model, why] = line.split('\t');
    rows.push({ script, area, tier, linux: linux as Outcome | '', model: model as Outcome, why: why ?? '' });
  }
  return rows;
}

export interface AreaSummary {
  area: Area;
  scripts: number;
  linuxPass: number;
  modelPass: number;
  /** Scripts where the model's outcome is Linux 6.18's. */
  agree: number;
  modelFail: number;
  modelSkip: number;
  /** What the skipped scripts need first, most frequent first: [need, scripts]. */
  needs: [string, number][];
}

/** The chapter's table: one row per area, in AREAS order. */
export function areaSummaries(rows: ReportRow[]): AreaSummary[] {
  return AREAS.map((area) => {
    const mine = rows.filter((r) => r.area === area.id);
    const needs = new Map<string, number>();
    for (const r of mine) if (r.model === 'skip') needs.set(r.why, (needs.get(r.why) ?? 0) + 1);
    return {
      area,
      scripts: mine.length,
      linuxPass: mine.filter((r) => r.linux === 'pass').length,
      modelPass: mine.filter((r) => r.model === 'pass').length,
      agree: mine.filter((r) => r.model === r.linux).length,
      modelFail: mine.filter((r) => r.model === 'fail').length,
      modelSkip: mine.filter((r) => r.model === 'skip').length,
      needs: [...needs].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    };
  });
}

const TABLE_TEXT: Record<Lang, { head: string[]; outOfScope: string; none: string; total: string }> = {
  en: {
    head: ['Area', 'Scripts', 'Pass on Linux 6.18', 'Pass on the model', 'Pass on both', 'Fail on both', 'Skipped by the model', 'What the skipped scripts need first'],
    outOfScope: 'not modelled',
    none: '—',
    total: 'All scripts',
  },
  'zh-cn': {
    head: ['领域', '脚本数', 'Linux 6.18 通过', '模型通过', '两边都通过', '两边都失败', '模型跳过', '被跳过的脚本首先缺什么'],
    outOfScope: '不在模型范围内',
    none: '—',
    total: '全部脚本',
  },
};

export interface AreaTable {
  head: string[];
  rows: string[][];
  /** The totals row. */
  total: string[];
}

/** The chapter's table as cell texts (the page renders them). */
export function areaTable(rows: ReportRow[], lang: Lang): AreaTable {
  const t = TABLE_TEXT[lang];
  const sums = areaSummaries(rows);
  const needs = (s: AreaSummary) => (s.needs.length ? s.needs.slice(0, 3).map(([n, c]) => `${n} (${c})`).join('; ') : t.none);
  const cells = (s: Pick<AreaSummary, 'scripts' | 'linuxPass' | 'modelPass' | 'modelSkip'> & { both: number; bothFail: number }) =>
    [s.scripts, s.linuxPass, s.modelPass, s.both, s.bothFail, s.modelSkip].map(String);
  const mine = (s: AreaSummary) => rows.filter((r) => r.area === s.area.id);
  const count = (rs: ReportRow[], o: 'pass' | 'fail') => rs.filter((r) => r.model === o && r.linux === o).length;
  const out = sums.map((s) => [
    s.area.inScope ? s.area.label[lang] : `${s.area.label[lang]} (${t.outOfScope})`,
    ...cells({ ...s, both: count(mine(s), 'pass'), bothFail: count(mine(s), 'fail') }),
    needs(s),
  ]);
  const sum = (f: (s: AreaSummary) => number) => sums.reduce((n, s) => n + f(s), 0);
  const total = cells({
    scripts: sum((s) => s.scripts), linuxPass: sum((s) => s.linuxPass), modelPass: sum((s) => s.modelPass), modelSkip: sum((s) => s.modelSkip),
    both: count(rows, 'pass'), bothFail: count(rows, 'fail'),
  });
  return { head: t.head, rows: out, total: [t.total, ...total, ''] };
}

/**
 * A cell of an MDX table: `|`, `{`, `}`, `<`, `>`, `*`, `_`, backquotes and backslashes escaped;
 * a command-line option (`--send_omit_free`) as code, which typographic quotes leave alone (as
 * text, its `--` would become a dash).
 */
function mdxCell(s: string): string {
  return s
    .split(/(--[\w-]+)/)
    .map((part, i) => (i % 2 ? `\`${part}\`` : part.replace(/[\\|{}<>*_`[\]]/g, (c) => `\\${c}`)))
    .join('');
}

/** The table as MDX (GitHub-flavoured Markdown), the totals row in bold. */
export function areaTableMarkdown(t: AreaTable): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(t.head.map(mdxCell)),
    line(t.head.map((_, i) => (i > 0 && i < t.head.length - 1 ? '---:' : '---'))),
    ...t.rows.map((r) => line(r.map(mdxCell))),
    line(t.total.map((c) => (c ? `**${mdxCell(c)}**` : ''))),
  ].join('\n');
}

/** The chapters that show the table, by language (relative to the repository). */
export const CHAPTERS: Record<Lang, string> = { en: 'content/docs/en/packetdrill.mdx', 'zh-cn': 'content/docs/zh-cn/packetdrill.mdx' };

/** The markers around the generated table in a chapter. */
export const TABLE_START = '{/* packetdrill-table:start (npm run packetdrill -- --write) */}';
export const TABLE_END = '{/* packetdrill-table:end */}';

/** The table between the markers of a chapter's text, or null when the markers are missing. */
export function chapterTable(mdx: string): string | null {
  const a = mdx.indexOf(TABLE_START);
  const b = mdx.indexOf(TABLE_END);
  if (a < 0 || b < a) return null;
  return mdx.slice(a + TABLE_START.length, b).trim();
}

/** The chapter with its table replaced (markers kept). */
export function withChapterTable(mdx: string, table: string): string {
  const a = mdx.indexOf(TABLE_START);
  const b = mdx.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error('the chapter has no packetdrill-table markers');
  return `${mdx.slice(0, a + TABLE_START.length)}\n\n${table}\n\n${mdx.slice(b)}`;
}
