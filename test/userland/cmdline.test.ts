/**
 * The command-line grammar shared by the experiment parser, the simulated bash and the recorder
 * (src/userland/cmdline.ts): what it refuses (with the column a contributor sees), what it
 * accepts, and that the recorder's rebuilt line makes a real bash run exactly those words.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { experimentText } from '../helpers/experiment.ts';
import { acceptCommandLine, isCmdlineError, parseCommandLine, type CommandLine } from '../../src/userland/cmdline.ts';

const refused = (line: string) => {
  const r = acceptCommandLine(line);
  if (!isCmdlineError(r)) throw new Error(`accepted: ${line}`);
  return `${r.col}: ${r.message}`;
};

describe('refused before anything runs', () => {
  it.each([
    ['ss $(id > /tmp/x)', 3, 'expansions (`$`)'],
    ['ss `id`', 3, 'command substitution'],
    ['ss | grep -v x && id > /tmp/y', 15, '`&&` lists are not modelled'],
    ['ss || id', 3, '`||` lists'],
    ['nc -l 12345 & ss', 12, '`&` is modelled only at the end of the line'],
    ['nc -l 12345 &&', 12, '`&&` lists are not modelled'],
    ['&', 0, "syntax error near unexpected token `&'"],
    ['ss; &', 4, "syntax error near unexpected token `&'"],
    ['while true; do ss; done &', 24, 'a loop in the background'],
    ['fg &', 0, '`fg` must be alone on its line'],
    ['ss > /tmp/out', 3, 'redirections'],
    ['grep x < /etc/passwd', 7, 'redirections'],
    ['echo $& onfocus=alert(document.domain) autofocus x', 5, 'expansions'],
    ['echo "$HOME"', 6, 'even in "…"'],
    ['echo !!', 5, 'history expansion'],
    ['ss -natp | grep 1234*', 20, 'globs'],
    ['echo {a,b}', 5, 'brace expansion'],
    ['echo ~', 5, 'tilde expansion'],
    ['(ss)', 0, 'subshells'],
    ['FOO=1 nc -l 12345', 0, 'variable assignments'],
    ['echo \'unterminated', 5, 'unterminated quote'],
    ['echo a\u0007b', 6, 'control character U+0007'],
    ['tcpdump -i lo -w ../../../../../tmp/escaped.pcap', 17, 'bad capture file'],
    ['tcpdump -i lo -w /tmp/x.pcap', 17, 'plain file name'],
    ['tcpdump -i', 10, 'needs an interface'],
    ['tcpdump -i eth0', 11, 'interface `eth0` is not modelled'],
    ['tcpdump -i lo tcp portrange 12344-70000', 14, 'filter `tcp portrange 12344-70000` is not modelled'],
    ['tcpdump -i lo udp portrange 1-2', 14, 'filter `udp portrange 1-2` is not modelled'],
    ['nc -y localhost 12345', 4, 'unknown nc option -y'],
    ['nc -u localhost 12345', 4, 'UDP (-u) is not modelled'],
    ['nc -6 localhost 12345', 4, 'IPv6 (-6) is not modelled'],
    ['nc -w', 5, 'nc -w needs an argument'],
    ['nc -w -1 localhost 12345', 6, 'bad timeout `-1`'],
    ['nc -w 9999999 localhost 12345', 6, 'bad timeout `9999999`'],
    ['nc -q x localhost 12345', 6, 'bad quit timer `x`'],
    ['nc -s 10.0.0.1 localhost 12345', 6, 'source address `10.0.0.1` is not modelled'],
    ['nc -l 12344-12346', 6, 'a port range `12344-12346` is not modelled for nc -l'],
    ['nc localhost 12344-70000', 13, 'bad port `12344-70000`'],
    ['nc -lz 12345', 0, 'cannot use -z and -l'],
    ['nc -k localhost 12345', 0, 'must use -l with -k'],
    ['nc 10.0.0.1 12345', 3, 'host `10.0.0.1` is not modelled'],
    ['nc -h localhost', 6, 'nc -h prints the help text'],
    ['nc localhost', 0, 'expected `nc [-vnzN4]'],
    ['exit x', 5, 'bad exit status'],
    ['nc -l 99999', 6, 'bad port `99999`'],
    ['nc example.com 80', 3, 'host `example.com` is not modelled'],
    ['sleep 1e300', 6, 'bad interval'],
    ['grep -r x', 5, 'unknown grep option -r'],
    ['ss -natp \'( sport = :12345 )\'', 9, 'ss filter expressions are not modelled'],
    ['kill -l', 5, 'signal -l is not modelled'],
    ['kill -9 $$', 8, 'expansions'],
    ['rm -rf /', 0, 'unknown command `rm`'],
    ['while true; do ; done', 15, "syntax error near unexpected token `;'"],
    ['while true; do true', 19, 'unterminated loop'],
    ['while sleep 1; do ss; done', 6, 'unsupported loop'],
    ['ss; while true; do ss; done', 4, 'a loop must start the line'],
    ['while true; do nc -l 12345; done', 15, 'inside the watch loop is not modelled'],
    ['ss |', 4, 'a pipeline ends with `|`'],
    ['echo a; ; echo b', 8, "syntax error near unexpected token `;'"],
    ['jobs | grep x', 0, '`jobs` must be alone on its line'],
    ['ss; kill %1', 4, '`kill` must be alone on its line'],
  ])('%s', (line, col, message) => {
    const r = refused(line);
    expect(r.startsWith(`${col}: `), r).toBe(true);
    expect(r).toContain(message);
  });
});

describe('accepted', () => {
  it('the committed experiments\' lines, as the words bash would pass', () => {
    const cl = acceptCommandLine('while true; do ss -natp -o |grep 12345; sleep 1; echo "---"; done') as CommandLine;
    expect(cl.kind).toBe('loop');
    if (cl.kind !== 'loop') return;
    expect(cl.body.map((p) => p.stages.map((s) => s.words.map((w) => w.text)))).toEqual([[['ss', '-natp', '-o'], ['grep', '12345']], [['sleep', '1']], [['echo', '---']]]);
    for (const l of ['nc -v -p 39836 localhost 12345', 'nc -l 12345', 'tcpdump -i lo tcp port 12345 -s 0 -w 12345.pcap', 'kill -9 %1', 'fg', 'true', 'echo hello | nc localhost 12345'])
      expect(isCmdlineError(acceptCommandLine(l)), l).toBe(false);
  });
  it('quoting as bash removes it', () => {
    const cl = parseCommandLine(`echo 'it''s' "a\\"b" c\\ d '$(id)'`) as CommandLine;
    expect(cl.kind === 'list' && cl.items[0].stages[0].words.map((w) => w.text)).toEqual(['echo', 'its', 'a"b', 'c d', '$(id)']);
  });
});

describe('an accepted line as the recorder types it into a real bash', () => {
  // the recorder passes the line untouched: bash must expand nothing and split it into exactly the grammar's words
  const bashWords = (line: string): string =>
    execFileSync('bash', ['-c', line.replace(/^echo /, "printf '<%s>' ")], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  it.each([
    [`echo '$(touch /tmp/tcplab-pwned)' "*" '\`id\`' 'a'"'"'b'`, '<$(touch /tmp/tcplab-pwned)><*><`id`><a\'b>'],
    ['echo \'$HOME\' \'~\' \'{a,b}\' \'!!\'', '<$HOME><~><{a,b}><!!>'],
  ])('%s', (line, expected) => {
    const cl = acceptCommandLine(line);
    expect(isCmdlineError(cl)).toBe(false);
    expect(bashWords(line)).toBe(expected);
    const words = (cl as CommandLine).kind === 'list' ? (cl as Extract<CommandLine, { kind: 'list' }>).items[0].stages[0].words.map((w) => `<${w.text}>`).join('') : '';
    expect(words).toBe(`<echo>${expected}`);
  });
});

function shell(steps: string): string {
  const text = experimentText(steps, { terminals: ['a'] });
  return runExperiment(parseExperiment(text, 't.md'), 'linux-6.x', { tailNs: 1e9 }).blocks.get('a')!;
}

describe('the simulated bash speaks the same grammar', () => {
  it('a loop of builtins advances the clock and ^C ends it, as bash prints it: "^C", a new line, the prompt', () => {
    expect(shell('1 a $ while true; do true; done\n1.001 a ^C\n2 a $ echo after')).toBe(
      '[#1#root@box ~]$while true; do true; done\n^C\n[#2#root@box ~]$echo after\nafter\n[#3#root@box ~]$',
    );
  });
  it('echo runs as a pipeline stage (a subshell), as in bash', () => {
    expect(shell('1 a $ echo hello | grep ell')).toBe('[#1#root@box ~]$echo hello | grep ell\nhello\n[#2#root@box ~]$');
  });
});
