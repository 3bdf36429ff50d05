/**
 * The chapter's table: scripts grouped by area, the counts a reader compares, and cells that MDX
 * renders as written (no expression, tag or emphasis from a need's text, no dash from `--`).
 */
import { describe, expect, it } from 'vitest';
import { areaOf, areaTable, areaTableMarkdown, chapterTable, parseReport, reportText, TABLE_END, TABLE_START, withChapterTable, type ReportRow } from '../../src/packetdrill/areas.ts';

const row = (script: string, linux: ReportRow['linux'], model: ReportRow['model'], why = ''): ReportRow => ({ script, area: areaOf(script)!.id, tier: '', linux, model, why });

describe('areas', () => {
  it('groups scripts by their name as the selftests name them', () => {
    expect(['tcp_basic_client.pkt', 'tcp_ooo-before-and-after-accept.pkt', 'tcp_ts_recent_fin_tsval.pkt', 'tcp_tcp_info_tcp-info-rwnd-limited.pkt', 'tcp_fastopen_server_basic-rw.pkt', 'tcp_ecn_ecn-uses-ect0.pkt', 'tcp_md5_md5-only-on-client-ack.pkt'].map((s) => areaOf(s)?.id))
      .toEqual(['connections', 'data', 'sack-ts', 'congestion', 'fastopen', 'ecn', 'other']);
    expect(areaOf('tcp_nosuch_thing.pkt')).toBeNull();
  });
  it('counts per area and in total: pass on each side, pass and fail on both, skips and their first needs', () => {
    const rows = [
      row('tcp_basic_client.pkt', 'pass', 'pass'),
      row('tcp_basic_server.pkt', 'pass', 'skip', 'IPv6'),
      row('tcp_close_no_rst.pkt', 'fail', 'fail', 'line 3'),
      row('tcp_accecn_noopt.pkt', 'fail', 'skip', 'IPv6'),
    ];
    const t = areaTable(parseReport(reportText(rows, ['a comment'])), 'en');
    expect(t.rows[0]).toEqual(['Connections: handshake, close, reset, validation', '3', '2', '1', '1', '1', '1', 'IPv6 (1)']);
    expect(t.rows[5]).toEqual(['ECN and AccECN (not modelled)', '1', '0', '0', '0', '0', '1', 'IPv6 (1)']);
    expect(t.total).toEqual(['All scripts', '4', '2', '1', '1', '1', '2', '']);
    expect(areaTable(rows, 'zh-cn').head[0]).toBe('领域');
  });
  it('escapes what MDX would read as syntax, and sets options in code so `--` stays two hyphens', () => {
    const md = areaTableMarkdown({ head: ['a'], rows: [['%{ }% reads tcpi_x <b> *x* | y `z` --send_omit_free']], total: ['t'] });
    expect(md.split('\n')[2]).toBe('| %\\{ \\}% reads tcpi\\_x \\<b\\> \\*x\\* \\| y \\`z\\` `--send_omit_free` |');
  });
  it('replaces the table between the markers and finds it again', () => {
    const page = `intro\n\n${TABLE_START}\n\nold\n\n${TABLE_END}\n\nrest\n`;
    const next = withChapterTable(page, '| new |');
    expect(chapterTable(next)).toBe('| new |');
    expect(next.startsWith('intro') && next.endsWith('rest\n')).toBe(true);
    expect(chapterTable('no markers')).toBeNull();
  });
});
