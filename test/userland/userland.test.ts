/**
 * The programs on top of the model, as a terminal shows them: bash job control, netcat's
 * messages per version, and what the stopped listener does when resumed.
 */
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { createHost } from '../../src/model/index.ts';
import { installUserland, startShell } from '../../src/userland/index.ts';

function session(steps: string, profile: 'linux-4.4' | 'linux-6.x' = 'linux-4.4', sysctl = '') {
  const text = `---
id: t
title: { en: t, zh-CN: t }
profile: ${profile}
seed: 4
host: { hostname: box, user: root }
${sysctl ? `sysctl:\n  ${sysctl}\n` : ''}terminals:
  a: { history: 1 }
  b: { history: 1 }
---

\`\`\`steps
${steps}
\`\`\`

\`\`\`blocks
a terminal a from start to end
b terminal b from start to end
\`\`\`
`;
  const r = runExperiment(parseExperiment(text, 't.md'), profile);
  return { a: r.blocks.get('a')!, b: r.blocks.get('b')!, r };
}

describe('bash', () => {
  it('prints bash\'s message for an unknown command and keeps counting history', () => {
    // experiment files reject unknown commands; a live terminal (the sandbox) must not
    const { k, procs } = createHost({ profile: 'linux-6.x' });
    installUserland(procs, k.profile, { user: 'root', hostname: 'box' });
    startShell(procs, k.profile, 't', { user: 'root', hostname: 'box', history: 1 });
    k.sim.runUntil(1e9);
    procs.ttyType(procs.tty('t'), 'foo --bar\n');
    k.sim.runUntil(2e9);
    procs.ttyType(procs.tty('t'), 'echo hi\n');
    k.sim.runUntil(3e9);
    const screen = k.sim.trace.flatMap((e) => (e.type === 'output' && e.tty === 't' ? [e.text] : [])).join('');
    expect(screen).toBe('[#1#root@box ~]$foo --bar\nbash: foo: command not found\n[#2#root@box ~]$echo hi\nhi\n[#3#root@box ~]$');
  });
  it('^Z stops the foreground job, fg resumes it; kill -9 %1 shows it Stopped again at once and Killed at the next prompt (bash 5.2 in a pty)', () => {
    const { a } = session('1 a $ nc -l 12345\n2 a ^Z\n3 a $ fg\n4 a ^Z\n5 a $ kill -9 %1\n6 a $');
    expect(a).toBe(
      '[#1#root@box ~]$nc -l 12345\n^Z\n[1]+  Stopped                 nc -l 12345\n' +
        '[#2#root@box ~]$fg\nnc -l 12345\n^Z\n[1]+  Stopped                 nc -l 12345\n' +
        '[#3#root@box ~]$kill -9 %1\n\n[1]+  Stopped                 nc -l 12345\n[#4#root@box ~]$\n[1]+  Killed                  nc -l 12345\n[#4#root@box ~]$',
    );
  });
  it('^C at an empty prompt just gives a new prompt', () => {
    const { a } = session('1 a ^C');
    expect(a).toBe('[#1#root@box ~]$^C\n[#1#root@box ~]$');
  });
});

describe('netcat-openbsd', () => {
  it('1.105 and 1.219 print their own success message', () => {
    const steps = '1 a $ nc -l 12345\n2 b $ nc -v localhost 12345';
    expect(session(steps, 'linux-4.4').b).toContain('\nConnection to localhost 12345 port [tcp/*] succeeded!\n');
    expect(session(steps, 'linux-6.x').b).toContain('\nConnection to localhost (127.0.0.1) 12345 port [tcp/*] succeeded!\n');
  });
  it('connection refused: RST/ACK from the closed port, exit 1', () => {
    const r = session('1 a $ nc -v localhost 12345', 'linux-6.x');
    expect(r.a).toContain('nc: connect to localhost (127.0.0.1) port 12345 (tcp) failed: Connection refused\n');
    expect(session('1 a $ nc -v localhost 12345', 'linux-4.4').a).toContain('nc: connect to localhost port 12345 (tcp) failed: Connection refused\n');
  });
  it('bind failed while the old client port is held by a FIN-WAIT-2 timewait socket', () => {
    const { b } = session('1 a $ nc -l 12345\n2 a ^Z\n3 b $ nc localhost 12345 {port=40000}\n4 b ^C\n9 b $ nc -v -p 40000 localhost 12345', 'linux-6.x');
    expect(b).toContain('$nc -v -p 40000 localhost 12345\nnc: bind failed: Address already in use\n');
  });
  it('a listener resumed with fg takes the first queued child, sees EOF and exits (1.219 -v prints the peer)', () => {
    const { a } = session('1 a $ nc -v -l 12345\n2 a ^Z\n3 b $ nc localhost 12345 {port=40000}\n4 b ^C\n6 a $ fg', 'linux-6.x');
    expect(a).toContain('$fg\nnc -v -l 12345\nConnection received on localhost 40000\n[#3#root@box ~]$');
  });
  it('when the peer closes, 1.105 exits at EOF but 1.219 half-closes and keeps reading the terminal (as recorded on 6.18)', () => {
    const old = session('1 a $ nc -l 12345\n2 b $ nc localhost 12345\n3 a ^C', 'linux-4.4');
    expect(old.b).toBe('[#1#root@box ~]$nc localhost 12345\n[#2#root@box ~]$');
    const neu = session('1 a $ nc -l 12345\n2 b $ nc localhost 12345\n3 a ^C', 'linux-6.x');
    expect(neu.b).toBe('[#1#root@box ~]$nc localhost 12345\n');
    // the client's half of the connection is closed only when it exits: it sits in CLOSE-WAIT
    expect(neu.r.k.inetDiagDump().some((x) => x.state === 8 && x.dport === 12345)).toBe(true);
  });
});

describe('tcpdump stopped with ^C', () => {
  it('libpcap TPACKET_V3 (tcpdump 4.7 / 4.99): packets of the ring block not yet retired (1000 ms timeout) are counted by the kernel but not captured', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseExperiment } = await import('../../src/experiment/parse.ts');
    const { runExperiment } = await import('../../src/experiment/run.ts');
    const f = 'content/experiments/accept-queue-overflow/experiment.md';
    const exp = parseExperiment(readFileSync(f, 'utf8'), f);
    // linux-6.x: the last SYN retransmission (t≈11.6 s) falls after the ring's last block
    // retirement (≈11.3 s) before ^C at 12.1 s — as in the 6.18 recording: 19 captured, 40 seen
    const res = runExperiment(exp, 'linux-6.x');
    const capture = (res.screens.get('capture') ?? []).map((c) => c.text).join('');
    expect(capture).toContain('19 packets captured\n40 packets received by filter\n');
    expect(res.blocks.get('packets')!.trimEnd().split('\n')).toHaveLength(19);
    // linux-4.4: its last packets (SYN-ACK retransmission and the ACK at 11.0 s) were retired in time
    const r44 = runExperiment(exp, 'linux-4.4');
    const cap44 = (r44.screens.get('capture') ?? []).map((c) => c.text).join('');
    const n = Number(/(\d+) packets captured/.exec(cap44)![1]);
    const seen = Number(/(\d+) packets received by filter/.exec(cap44)![1]);
    expect(seen).toBe(2 * n);
    expect(r44.blocks.get('packets')!.trimEnd().split('\n')).toHaveLength(n);
  });
});
