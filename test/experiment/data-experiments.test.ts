/**
 * The four data experiments (issue 17 §7) as the model runs them: what each chapter says the
 * kernel does, checked on the model's run (the recordings of Linux 6.18.44 are checked by
 * test/recorder/conformance.test.ts). Figures of 6.18 in the comments come from those recordings.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import type { Segment } from '../../src/model/types.ts';

const run = (id: string) => {
  const f = `content/experiments/${id}/experiment.md`;
  return runExperiment(parseExperiment(readFileSync(f, 'utf8'), f), 'linux-6.x', {});
};
const sent = (r: ReturnType<typeof run>) => r.trace.flatMap((e) => (e.type === 'xmit' ? [{ t: (e.t - r.t0) / 1e9, seg: e.seg as Segment }] : []));

describe('data experiments on linux-6.x', () => {
  it('stopped-reader: the LISTEN row counts one connection, the ESTAB rows bytes (tcp_diag_get_info()), and they stop growing', () => {
    const watch = run('stopped-reader').blocks.get('watch')!;
    const passes = watch.split('---\n').slice(3).map((p) => p.split('\n').filter((l) => /^(LISTEN|ESTAB)/.test(l)).map((l) => l.split(/\s+/).slice(0, 3).join(' ')));
    expect(passes.length).toBeGreaterThanOrEqual(3);
    const [listen, client, server] = passes[0];
    expect(listen).toBe('LISTEN 1 1');
    expect(Number(client.split(' ')[2])).toBe(1726464); // Send-Q: 1726464 on 6.18.44 with cubic (netcat writes on POLLOUT only: just past 2/3 of sk_sndbuf 2626560); 2758656 was bbr's
    expect(Number(server.split(' ')[1])).toBeGreaterThan(100_000); // Recv-Q: 124928 on 6.18
    // stalled: every later pass shows the same numbers
    for (const p of passes.slice(1, -1)) expect(p).toEqual(passes[0]);
  });

  it('zero-window: after win 0, probes one byte behind snd_una on a doubling persist timer (tcp_probe_timer(), tcp_xmit_probe_skb()), the second left unanswered by tcp_invalid_ratelimit', () => {
    const r = run('zero-window');
    const segs = sent(r);
    const zero = segs.findIndex((s) => s.seg.sport === 12345 && s.seg.window === 0);
    expect(zero).toBeGreaterThan(0);
    const probes = segs.slice(zero).filter((s) => s.seg.sport === 40000 && s.seg.payload.length === 0);
    const ack = segs[zero].seg.ack;
    // seq = snd_una - 1: the byte before what the receiver acknowledged
    for (const p of probes) expect(p.seg.seq).toBe((ack - 1) >>> 0);
    const gaps = probes.map((p, i) => (i ? p.t - probes[i - 1].t : p.t - segs[zero].t));
    // 6.18: 212, 437, 863, 1700, 3391, 6908, 13571 ms
    expect(gaps.length).toBeGreaterThanOrEqual(6);
    expect(gaps[0]).toBeGreaterThan(0.2);
    expect(gaps[0]).toBeLessThan(0.25);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i] / gaps[i - 1]).toBeGreaterThan(1.9);
    const answered = probes.map((p) => segs.some((s) => s.seg.sport === 12345 && s.t >= p.t && s.t < p.t + 0.01));
    expect(answered.slice(0, 4)).toEqual([true, false, true, true]);
  });

  it('close-unread: close() with 15 bytes unread sends [R.] instead of a FIN and counts TCPAbortOnClose (tcp_close(), data_was_unread)', () => {
    const r = run('close-unread');
    expect(r.blocks.get('watcher')).toMatch(/^ESTAB\s+15\s+0\s+127\.0\.0\.1:12345 /m);
    const fromServer = sent(r).filter((s) => s.seg.sport === 12345);
    const last = fromServer.at(-1)!.seg;
    expect(last.flags & 0x04).toBe(0x04); // RST
    expect(fromServer.some((s) => s.seg.flags & 0x01)).toBe(false); // no FIN
    expect(r.k.mib['TCPAbortOnClose']).toBe(1);
    // the client's prompt comes back: netcat exits on the reset
    expect(r.blocks.get('client')!.endsWith('[#2#root@lab ~]$')).toBe(true);
  });

  it('peer-vanishes: with tcp_retries2=6, a line behind a DROP rule is retransmitted with a doubling RTO and the connection gives up by time (tcp_write_timeout(), retransmits_timed_out(): 25.4 s)', () => {
    const r = run('peer-vanishes');
    const data = sent(r).filter((s) => s.seg.payload.length === 14);
    const first = data[0].t;
    expect(data.length).toBe(8); // the line, a tail loss probe and 6 RTO retransmissions, as 6.18.44 sends
    const gaps = data.slice(1).map((d, i) => d.t - data[i].t);
    // 6.18: 208, 208, 440, 832, 1664, 3456, 6656 ms
    expect(gaps[0]).toBeGreaterThan(0.2);
    expect(gaps[1]).toBeLessThan(0.22);
    for (let i = 2; i < gaps.length; i++) expect(gaps[i] / gaps[i - 1]).toBeGreaterThan(1.9);
    // the give-up: at the first timer expiry after (2^7 - 1) x 200 ms = 25.4 s since the line was first sent (6.18: 26.78 s)
    const ncExit = r.trace.find((e) => e.type === 'proc' && e.action === 'exit' && e.comm === 'nc' && (e.t - r.t0) / 1e9 > 10)!;
    const at = (ncExit.t - r.t0) / 1e9;
    expect(at - first).toBeGreaterThan(25.4);
    expect(at - data.at(-1)!.t).toBeGreaterThan(13);
    expect(r.blocks.get('server')).not.toContain('are you there');
  });
});
