/**
 * iptables' INPUT rules (src/userland/iptables.ts) and the chain they go to
 * (src/model/nf_tables_core.ts: nft_do_chain() on NF_INET_LOCAL_IN, where ip_local_deliver()
 * passes a packet after lo's taps): what Linux 6.18.44 does with iptables 1.8.9 (nf_tables) in a
 * network namespace on this machine.
 */
import { describe, expect, it } from 'vitest';
import { experimentText } from '../helpers/experiment.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { acceptCommandLine } from '../../src/userland/cmdline.ts';
import { iptablesRule } from '../../src/userland/iptables.ts';

const run = (steps: string) => runExperiment(parseExperiment(experimentText(steps, { terminals: ['a', 'b', 'c'] }), 't.md'), 'linux-6.x', { tailNs: 1e9 });

describe('iptables -A|-I|-D INPUT -p tcp --dport|--sport PORT -j DROP', () => {
  it('the grammar refuses what the model lacks at its column', () => {
    expect(acceptCommandLine('iptables -L')).toMatchObject({ col: 9, message: expect.stringContaining('iptables command `-L` is not modelled') });
    expect(acceptCommandLine('iptables -A OUTPUT -p tcp --dport 1 -j DROP')).toMatchObject({ col: 12, message: expect.stringContaining('chain `OUTPUT` is not modelled') });
    expect(acceptCommandLine('iptables -A INPUT -p udp --dport 1 -j DROP')).toMatchObject({ col: 21, message: expect.stringContaining('expected protocol tcp') });
    expect(acceptCommandLine('iptables -A INPUT -p tcp --dport 70000 -j DROP')).toMatchObject({ col: 33, message: expect.stringContaining('a port 1-65535') });
    expect(acceptCommandLine('iptables -A INPUT -p tcp --dport 1 -j REJECT')).toMatchObject({ col: 38, message: expect.stringContaining('expected target DROP') });
    expect(acceptCommandLine('iptables -A INPUT -p tcp --dport 1')).toMatchObject({ col: 34, message: expect.stringContaining('the rule ends early') });
  });
  it('a refused line in an experiment is a file:line:col error', () => {
    const text = experimentText('0.1 a $ iptables -A INPUT -p tcp --dport 1 -j REJECT');
    expect(() => parseExperiment(text, 'x/experiment.md')).toThrow(/^x\/experiment\.md:\d+:\d+: .*expected target DROP/);
  });
  it('reads the rule as iptables does', () => {
    expect(iptablesRule(['-I', 'INPUT', '-p', 'tcp', '--sport', '80', '-j', 'DROP'])).toEqual({ cmd: '-I', rule: { match: 'sport', port: 80, verdict: 'drop' } });
    expect(iptablesRule(['-A', 'INPUT', '-p', 'tcp', '--dport', '80', '-j', 'DROP', 'x'])).toBeNull();
  });
  it('a DROP on the listening port: the client retransmits (tcpdump sees each copy), the listener never gets the line; -D lets the next retransmission in', () => {
    const r = run(`0.1 b $ nc -l 12345
0.5 a $ nc localhost 12345
1.0 c $ iptables -A INPUT -p tcp --dport 12345 -j DROP
1.5 a > lost
3.0 c $ iptables -D INPUT -p tcp --dport 12345 -j DROP
5.0 c $ iptables -D INPUT -p tcp --dport 12345 -j DROP`);
    const data = r.trace.filter((e) => e.type === 'xmit' && e.seg.payload.length === 5);
    // 1.5 s, then the RTO timer at ~0.2, 0.4, 0.8 s ... until the rule goes at 3.0 s
    expect(data.length).toBeGreaterThanOrEqual(4);
    const dropped = r.trace.filter((e) => e.type === 'rcv' && e.verdict === 'dropped' && e.reason === 'filtered');
    expect(dropped.length).toBe(data.length - 1);
    // delivered by the first retransmission after -D
    expect(r.blocks.get('b')).toContain('lost');
    // deleting a rule that is no longer there: iptables-nft's message, exit 1
    expect(r.blocks.get('c')).toContain('iptables: Bad rule (does a matching rule exist in that chain?).\n');
  });
});
