/**
 * Redacting a real-kernel recording into an expected block (src/experiment/redact.ts): what a
 * real run leaves to chance becomes a named redaction, everything the simulator must reproduce
 * stays literal — so a simulated line with the right flags/relative numbers matches, and one
 * with a wrong flag, window or option does not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { experimentPorts, redactTcpdumpLine, redactTerminalLine, redactText } from '../../src/experiment/redact.ts';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { matchTranscript } from '../../src/experiment/match.ts';

const keep = { keepPorts: [12345] };
// lines of tcpdump -nn -r from a recording of kill-listener on Linux 6.18
const realSyn = '01:43:11.124257 IP 127.0.0.1.43242 > 127.0.0.1.12345: Flags [S], seq 1480386378, win 65495, options [mss 65495,sackOK,TS val 2569757060 ecr 0,nop,wscale 10], length 0';
const realRst = '01:43:14.128702 IP 127.0.0.1.12345 > 127.0.0.1.43242: Flags [R.], seq 1, ack 1, win 64, options [nop,nop,TS val 474602751 ecr 2569757060], length 0';

describe('redacting tcpdump text', () => {
  test('time, client port, ISN and TS values become redactions; the listening port, flags, window and options stay', () => {
    expect(redactTcpdumpLine(realSyn, keep)).toBe(
      '[TIME] IP 127.0.0.1.[PORT] > 127.0.0.1.12345: Flags [S], seq [ISN], win 65495, options [mss 65495,sackOK,TS val [TS] ecr 0,nop,wscale 10], length 0',
    );
    // relative seq/ack (1, 1) are what the model must reproduce: literal
    expect(redactTcpdumpLine(realRst, keep)).toBe(
      '[TIME] IP 127.0.0.1.12345 > 127.0.0.1.[PORT]: Flags [R.], seq 1, ack 1, win 64, options [nop,nop,TS val [TS] ecr [TS]], length 0',
    );
  });

  test('a data range with absolute sequence numbers is redacted whole', () => {
    expect(redactTcpdumpLine('12:00:00.000001 IP 127.0.0.1.43242 > 127.0.0.1.12345: Flags [P.], seq 1480386379:1480386385, ack 1227005732, win 512, length 6', keep)).toBe(
      '[TIME] IP 127.0.0.1.[PORT] > 127.0.0.1.12345: Flags [P.], seq [ISN]:[ISN], ack [ISN], win 512, length 6',
    );
  });

  test('a simulated capture matches the redacted recording; a wrong flag or window does not', () => {
    const expected = redactText(`${realSyn}\n${realRst}\n`, 'tcpdump', keep);
    const sim = [
      '07:06:53.002502 IP 127.0.0.1.40000 > 127.0.0.1.12345: Flags [S], seq 3181837196, win 65495, options [mss 65495,sackOK,TS val 3229343542 ecr 0,nop,wscale 10], length 0',
      '07:06:56.000001 IP 127.0.0.1.12345 > 127.0.0.1.40000: Flags [R.], seq 1, ack 1, win 64, options [nop,nop,TS val 3846122182 ecr 3229343542], length 0',
      '',
    ].join('\n');
    expect(matchTranscript(expected, sim).ok).toBe(true);
    expect(matchTranscript(expected, sim.replace('Flags [R.]', 'Flags [R]')).ok).toBe(false);
    expect(matchTranscript(expected, sim.replace('win 65495,', 'win 43690,')).ok).toBe(false);
    expect(matchTranscript(expected, sim.replace('wscale 10', 'wscale 7')).ok).toBe(false);
    expect(matchTranscript(expected, sim.replace('seq 1, ack 1', 'seq 1, ack 2')).ok).toBe(false);
  });
});

describe('redacting terminal screens', () => {
  test('pids, client ports and a port pinned with nc -p are redacted; prompts and messages are not', () => {
    expect(redactTerminalLine('[#2#root@lab ~]$nc -v -p 45872 localhost 12345', keep)).toBe('[#2#root@lab ~]$nc -v -p [PORT] localhost 12345');
    expect(redactTerminalLine('Connection received on localhost 43242', keep)).toBe('Connection received on localhost [PORT]');
    expect(redactTerminalLine('ESTAB 0 0 127.0.0.1:43242 127.0.0.1:12345 users:(("nc",pid=4711,fd=3))', keep)).toBe(
      'ESTAB 0 0 127.0.0.1:[PORT] 127.0.0.1:12345 users:(("nc",pid=[PID],fd=3))',
    );
    expect(redactTerminalLine('[1]+  Killed                  nc -l 12345', keep)).toBe('[1]+  Killed                  nc -l 12345');
    // `nc -l 12345 &`: bash's job number stays, the pid is chance
    expect(redactTerminalLine('[1] 4242', keep)).toBe('[1] [PID]');
  });
});

describe('the committed expected blocks', () => {
  test('kill-listener: the recorded RSTs are literal [R.] seq 1, ack 1 — the simulator has to send exactly those', () => {
    const text = readFileSync('content/experiments/kill-listener/recorded/linux-6.18/expected/packets.txt', 'utf8');
    const rsts = text.split('\n').filter((l) => l.includes('Flags [R.]'));
    expect(rsts).toHaveLength(2);
    for (const l of rsts) expect(l).toMatch(/^\[TIME\] IP 127\.0\.0\.1\.12345 > 127\.0\.0\.1\.\[PORT\]: Flags \[R\.\], seq 1, ack 1, win 64, /);
  });
});

describe('which ports are the experiment\'s own', () => {
  const ports = (id: string) => {
    const file = `content/experiments/${id}/experiment.md`;
    return experimentPorts(parseExperiment(readFileSync(file, 'utf8'), file));
  };
  test('the listening port, and a port a client binds with -p itself, stay literal', () => {
    expect(ports('syn-backoff')).toEqual([12345, 40006]);
  });
  test('a -p that reuses the ephemeral port an earlier step got ({port=N}) is a chance value: redacted', () => {
    expect(ports('seed-collision')).toEqual([12345]);
    expect(ports('timewait-syn')).toEqual([12345]);
  });
});
