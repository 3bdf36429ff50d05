// The narrated timeline (src/render/narrate.ts): captions generated from the trace, in English
// and Simplified Chinese, for every moment a widget can show.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment, type RunResult } from '../../src/experiment/run.ts';
import { narrate, narrateFacts, packetMarks } from '../../src/render/narrate.ts';
import type { ProfileName } from '../../src/model/types.ts';

const runs = new Map<string, RunResult>();
function run(id: string, profile: ProfileName): RunResult {
  const key = `${id}/${profile}`;
  if (!runs.has(key)) {
    const file = `content/experiments/${id}/experiment.md`;
    runs.set(key, runExperiment(parseExperiment(readFileSync(file, 'utf8'), file), profile, { observe: true }));
  }
  return runs.get(key)!;
}
const captions = (id: string, profile: ProfileName, lang: 'en' | 'zh') => {
  const r = run(id, profile);
  return narrate(r.trace, r.moments, r.t0, lang);
};
/** The caption of the moment that put frame n on the wire. */
const frameCaption = (cs: string[], n: number, lang: 'en' | 'zh') => cs.find((c) => c.includes(lang === 'en' ? `Frame ${n}:` : `第 ${n} 帧：`));

describe('the seed collision, narrated (Linux 4.4)', () => {
  const en = captions('seed-collision', 'linux-4.4', 'en');
  const zh = captions('seed-collision', 'linux-4.4', 'zh');

  test('frame 7 is the CLOSE-WAIT child answering the SYN with a challenge ACK (tcp_send_challenge_ack(), RFC 5961 §4)', () => {
    expect(frameCaption(en, 7, 'en')).toBe('Frame 7: the CLOSE-WAIT child answers the SYN with a challenge ACK (RFC 5961 §4): its own seq and ack, from the old connection.');
    expect(frameCaption(zh, 7, 'zh')).toBe('第 7 帧：CLOSE-WAIT 状态的子连接用 challenge ACK 回应这个 SYN（RFC 5961 §4）：带的是旧连接自己的 seq 和 ack。');
  });

  test('frame 8 is the SYN-SENT client answering the unacceptable ACK with a RST (tcp_rcv_synsent_state_process())', () => {
    expect(frameCaption(en, 8, 'en')).toMatch(/^Frame 8: the client \(:39836\) answers that ACK with a RST whose seq is the ACK number \(RFC 793 §3\.9, tcp_rcv_synsent_state_process\(\)\)\.$/);
    expect(frameCaption(zh, 8, 'zh')).toMatch(/^第 8 帧：客户端（:39836）用 RST 回应那个 ACK/);
  });

  test('the RST kills the child, which keeps its accept-queue slot: the moment after frame 8', () => {
    const i = en.findIndex((c) => c.startsWith('Frame 8:'));
    expect(en[i + 1]).toBe('The RST kills the CLOSE-WAIT child: it leaves the tables ss reads, yet keeps its slot in the accept queue (Recv-Q still 1).');
    expect(zh[i + 1]).toBe('RST 杀死了 CLOSE-WAIT 状态的子连接：它离开了 ss 读取的套接字表，却仍占着 accept 队列里的位置（Recv-Q 仍为 1）。');
  });

  test('frame 9 is the SYN retransmitted on the retransmission timer, 0.9966 s later (tcp_retransmit_timer, 4.4)', () => {
    expect(frameCaption(en, 9, 'en')).toBe('Frame 9: the client (:39836) retransmits its SYN 0.9966 s after the previous one.');
    expect(frameCaption(zh, 9, 'zh')).toBe('第 9 帧：客户端（:39836）在上一个 SYN 之后 0.9966 秒重传 SYN。');
  });

  test('the listener, the stopped server and the second child queued past the backlog are told', () => {
    expect(en[1]).toBe('listen() with backlog 1: the socket listens on :12345 and its accept queue holds 2 children (it is full only above the backlog).');
    expect(en.some((c) => c.startsWith('At 5 s nc was stopped (Ctrl-Z): nobody will call accept().'))).toBe(true);
    expect(en.filter((c) => c.includes('Recv-Q 2 (backlog 1)'))).toHaveLength(1);
    expect(en.filter((c) => /FIN-WAIT-2 mini-socket \(:39836\) expires after 60 s/.test(c))).toHaveLength(2);
  });

  test('the ladder marks frame 7 as the challenge ACK and frame 9 as a retransmission, nothing else', () => {
    const marks = packetMarks(run('seed-collision', 'linux-4.4').trace);
    expect(marks).toHaveLength(13);
    expect(marks.flatMap((m, i) => (m ? [`${i + 1}:${m}`] : []))).toEqual(['7:challenge', '9:retrans']);
  });
});

describe('the seed collision, narrated (Linux 6.x)', () => {
  test('the SYN timer re-armed to 10 ms after the unacceptable ACK is told once, with its commit (9603d47bad46, 5.6)', () => {
    const en = captions('seed-collision', 'linux-6.x', 'en');
    expect(en.filter((c) => c.includes('re-arms its SYN timer to 10 ms (Linux ≥ 5.6, 9603d47bad46)'))).toHaveLength(1);
    expect(frameCaption(en, 9, 'en')).toBe('Frame 9: the client (:39836) retransmits its SYN 10 ms after the previous one.');
    expect(frameCaption(captions('seed-collision', 'linux-6.x', 'zh'), 9, 'zh')).toBe('第 9 帧：客户端（:39836）在上一个 SYN 之后 10 ms 重传 SYN。');
  });
});

describe('other experiments', () => {
  test('seed-recvq: the resumed nc accepts the oldest child; closing the listener resets the one queued behind it (inet_csk_listen_stop())', () => {
    const en = captions('seed-recvq', 'linux-4.4', 'en');
    expect(en).toContain('nc resumes (fg) and goes back to accept(). accept() takes the oldest child off the queue (:39958): Recv-Q 1.');
    expect(en.some((c) => c.includes('the listener resets the child for :39968 still in its queue (inet_csk_listen_stop())'))).toBe(true);
    expect(en.some((c) => c.includes('no socket owns :39958, so the kernel answers with a RST'))).toBe(true);
  });
  test('accept-queue-overflow: a final ACK dropped by the full queue (sk_acceptq_is_full(), ListenOverflows)', () => {
    const en = captions('accept-queue-overflow', 'linux-4.4', 'en');
    expect(en.some((c) => c.includes('The accept queue of :12345 is full (Recv-Q 2 > backlog 1): the listener drops the final ACK'))).toBe(true);
  });
});

describe('every moment has a caption in both languages', () => {
  const cases: [string, ProfileName][] = [
    ['seed-collision', 'linux-4.4'],
    ['seed-collision', 'linux-6.x'],
    ['seed-recvq', 'linux-4.4'],
    ['accept-queue-overflow', 'linux-4.4'],
    ['closed-port', 'linux-6.x'],
    ['fg-resume', 'linux-4.4'],
  ];
  for (const [id, profile] of cases) {
    test(`${id} (${profile})`, () => {
      const r = run(id, profile);
      const frames = r.trace.filter((e) => e.type === 'xmit').length;
      for (const lang of ['en', 'zh'] as const) {
        const cs = captions(id, profile, lang);
        expect(cs).toHaveLength(r.moments.length);
        for (const c of cs) {
          expect(c.length, `${lang}: an empty caption`).toBeGreaterThan(8);
          expect(c).not.toMatch(/undefined|NaN|null|\[object/);
          if (lang === 'zh') {
            // issue 18: an English period ended a Chinese caption; no space between two Chinese characters
            expect(c.endsWith('。'), c).toBe(true);
            expect(c).not.toMatch(/\.$|[\u4e00-\u9fff] [\u4e00-\u9fff]/);
          } else expect(c.endsWith('.'), c).toBe(true);
        }
        // each segment is told exactly once, in order
        const told = cs.flatMap((c) => [...c.matchAll(lang === 'en' ? /Frame (\d+):/g : /第 (\d+) 帧：/g)].map((m) => Number(m[1])));
        expect(told).toEqual(Array.from({ length: frames }, (_, i) => i + 1));
      }
    });
  }

  test('facts are data: the same facts word differently per language, never per experiment', () => {
    const r = run('seed-collision', 'linux-4.4');
    const facts = narrateFacts(r.trace, r.moments, r.t0);
    const challenge = facts.flat().filter((f) => f.k === 'challenge');
    expect(challenge).toEqual([{ k: 'challenge', frame: 7, who: { role: 'child', state: 8, port: 12345, peer: 39836 }, synack: false }]);
  });
});
