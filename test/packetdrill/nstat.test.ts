/**
 * nstat (iproute2 misc/nstat.c) as packetdrill scripts run it: the model's MIB counters under
 * /proc's names and order, printed `%-32s%-16llu%6.1f`, increments since the history file, and
 * the status a `| grep -q` pipeline gives the script line. Expected texts are what nstat
 * (iproute2-6.1.0) printed on Linux 6.18.44 in a packetdrill run (network namespace, `nstat -n`
 * first), less the Ip/IpExt/TcpInSegs lines the model does not count.
 */
import { describe, expect, it } from 'vitest';
import { grep, nstat, nstatCounters } from '../../src/packetdrill/nstat.ts';
import { runScript } from '../../src/packetdrill/run.ts';
import { parseScript } from '../../src/packetdrill/parse.ts';

describe('nstat', () => {
  it('absolute values without a history: #kernel, then Tcp before TcpExt, each in /proc order (PAWSEstabRejected is /proc\'s PAWSEstab), zeros left out', () => {
    const r = nstat([], { TCPOFOQueue: 1, DelayedACKLost: 1, TCPDSACKOldSent: 1, EstabResets: 2, PAWSEstabRejected: 1, TCPTimeouts: 0 }, null);
    expect(r.stdout).toBe(
      '#kernel\n' +
        'TcpEstabResets                  2                  0.0\n' +
        'TcpExtPAWSEstab                 1                  0.0\n' +
        'TcpExtDelayedACKLost            1                  0.0\n' +
        'TcpExtTCPDSACKOldSent           1                  0.0\n' +
        'TcpExtTCPOFOQueue               1                  0.0\n',
    );
    expect(r.status).toBe(0);
  });
  it('-n prints nothing and writes the history; a plain nstat then prints increments and updates it; -s leaves it; -a ignores it; patterns are fnmatch()', () => {
    let h = nstat(['-n'], { BeyondWindow: 3 }, null).history;
    expect(nstat(['-n'], { BeyondWindow: 3 }, null).stdout).toBe('');
    const mib = { BeyondWindow: 5, TCPOFOQueue: 1 };
    const s = nstat(['-s'], mib, h);
    expect(s.stdout).toBe('#kernel\nTcpExtBeyondWindow              2                  0.0\nTcpExtTCPOFOQueue               1                  0.0\n');
    expect(s.history).toBe(h);
    expect(nstat(['-a', 'TcpExtBeyond*'], mib, h).stdout).toBe('#kernel\nTcpExtBeyondWindow              5                  0.0\n');
    h = nstat([], mib, h).history;
    expect(nstat([], mib, h).stdout).toBe('#kernel\n');
    expect(nstatCounters({ Foo: 1 })).toEqual([['TcpExtFoo', 1]]);
  });
  it('grep -q " 3 " matches a counter line by its value; status 1 when no line matches (GNU grep)', () => {
    const out = nstat([], { BeyondWindow: 3 }, null).stdout;
    expect(grep(['TcpExtBeyondWindow'], out)).toEqual({ stdout: 'TcpExtBeyondWindow              3                  0.0\n', status: 0 });
    expect(grep(['-q', ' 3 '], out).status).toBe(0);
    expect(grep(['-q', ' 4 '], out).status).toBe(1);
  });
  it('in a script: after a plain `nstat` updated the history, `nstat -s | grep TcpExtDelayedACKLost | grep -q " 1 "` fails the line as on 6.18.44', () => {
    const text = `--mss=1000
   0 \`nstat -n\`
   +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <...>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
   +0 < P. 1:1001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1001
   +0 < P. 1:1001(1000) ack 1 win 1024
   +0 > . 1:1(0) ack 1001 <nop,nop,sack 1:1001>
   +0 \`nstat -s | grep TcpExtDelayedACKLost | grep -q " 1 "\`
   +0 \`nstat > /dev/null\`
   +0 \`nstat -s | grep TcpExtDelayedACKLost | grep -q " 1 "\`
`;
    const v = runScript(parseScript(text, 'n.pkt'), {});
    expect(v.reason).toBe('line 17: error executing `nstat -s | grep TcpExtDelayedACKLost | grep -q " 1 "` command: non-zero status 1');
  });
});
