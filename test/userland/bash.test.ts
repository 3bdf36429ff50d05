/**
 * The simulated bash against bash 5.2.15 (Debian 12) in a pseudo-terminal: each expected screen
 * below is what the real bash printed, driven with the same keys at the same times by a small
 * Python pty script (`bash --norc --noprofile --noediting -i`, PS1='[#\\##\\u@box ~]$', in a
 * network namespace, the recorder's way of running bash), pids replaced by PID. Where bash's
 * output depends on a race (whether the SIGCHLD of a job it has just killed arrives before it
 * prints its prompt), the usual outcome is the expected one; the notes say where.
 */
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { experimentText } from '../helpers/experiment.ts';

function screen(steps: string, terminals = ['a']): string {
  const r = runExperiment(parseExperiment(experimentText(steps, { terminals }), 't.md'), 'linux-6.x', { tailNs: 2e9 });
  return r.blocks.get('a')!.replace(/^\[(\d+)\] \d+$/gm, '[$1] PID');
}

describe('job control as bash 5.2 prints it', () => {
  it('`cmd &`, jobs, ^Z, kill %N of a stopped job (SIGTERM then SIGCONT: Stopped at once, Terminated at the next prompt), a typed unknown command, Done', () => {
    expect(screen('0.1 a $ sleep 100 &\n0.5 a $ jobs\n1 a $ sleep 200\n1.5 a ^Z\n2 a $ jobs\n2.5 a $ kill %2\n3 a $\n3.5 a $ jobs\n4 a $ kill %1\n4.5 a $\n5 a > hello\n5.5 a $ sleep 1 &\n7 a $\n7.5 a $ exit')).toBe(
      '[#1#root@box ~]$sleep 100 &\n[1] PID\n[#2#root@box ~]$jobs\n[1]+  Running                 sleep 100 &\n[#3#root@box ~]$sleep 200\n^Z\n[2]+  Stopped                 sleep 200\n[#4#root@box ~]$jobs\n[1]-  Running                 sleep 100 &\n[2]+  Stopped                 sleep 200\n[#5#root@box ~]$kill %2\n\n[2]+  Stopped                 sleep 200\n[#6#root@box ~]$\n[2]+  Terminated              sleep 200\n[#6#root@box ~]$jobs\n[1]+  Running                 sleep 100 &\n[#7#root@box ~]$kill %1\n[#8#root@box ~]$\n[1]+  Terminated              sleep 100\n[#8#root@box ~]$hello\nbash: hello: command not found\n[#9#root@box ~]$sleep 1 &\n[1] PID\n[#10#root@box ~]$\n[1]+  Done                    sleep 1\n[#10#root@box ~]$exit\nexit\n',
    );
  });
  it('fg into a background nc that reads typed text, bg, pipelines in the background, exit with stopped jobs', () => {
    expect(screen('0.1 a $ nc -l 12345 &\n0.6 a $ jobs\n1 a $ fg\n1.5 a > typed into nc\n2 a ^C\n2.5 a $ sleep 300\n3 a ^Z\n3.5 a $ bg\n4 a $ jobs\n4.5 a $ fg %1\n5 a ^C\n5.5 a $ echo hi | grep hi &\n6.5 a $\n7 a $ true &\n7.5 a $\n8 a $ sleep 50 | sleep 60 &\n8.5 a $ jobs\n9 a $ kill %1\n9.5 a $\n10 a $ sleep 300\n10.5 a ^Z\n11 a $ exit\n11.5 a $ jobs\n12 a $ exit')).toBe(
      '[#1#root@box ~]$nc -l 12345 &\n[1] PID\n[#2#root@box ~]$jobs\n[1]+  Running                 nc -l 12345 &\n[#3#root@box ~]$fg\nnc -l 12345\ntyped into nc\n^C\n[#4#root@box ~]$sleep 300\n^Z\n[1]+  Stopped                 sleep 300\n[#5#root@box ~]$bg\n[1]+ sleep 300 &\n[#6#root@box ~]$jobs\n[1]+  Running                 sleep 300 &\n[#7#root@box ~]$fg %1\nsleep 300\n^C\n[#8#root@box ~]$echo hi | grep hi &\n[1] PID\n[#9#root@box ~]$hi\n\n[1]+  Done                    echo hi | grep hi\n[#9#root@box ~]$true &\n[1] PID\n[#10#root@box ~]$\n[1]+  Done                    true\n[#10#root@box ~]$sleep 50 | sleep 60 &\n[1] PID\n[#11#root@box ~]$jobs\n[1]+  Running                 sleep 50 | sleep 60 &\n[#12#root@box ~]$kill %1\n[#13#root@box ~]$\n[1]+  Terminated              sleep 50 | sleep 60\n[#13#root@box ~]$sleep 300\n^Z\n[1]+  Stopped                 sleep 300\n[#14#root@box ~]$exit\nexit\nThere are stopped jobs.\n[#15#root@box ~]$jobs\n[1]+  Stopped                 sleep 300\n[#16#root@box ~]$exit\nexit\n',
    );
  });
  it('no such job, already in background, kill -STOP / -CONT, + and - over several jobs, kill -9 of three jobs, kill -INT of a stopped job (pending until -CONT)', () => {
    // `kill -9 %1 %3 %4`: in this run bash saw none of the three die before its prompt; in another
    // it saw the first (its SIGCHLD came while bash signalled the others): a race
    expect(screen('0.1 a $ fg\n0.5 a $ bg\n1 a $ kill %3\n1.5 a $ kill 99999\n2 a $ sleep 100 &\n2.5 a $ bg\n3 a $ bg %1\n3.5 a $ kill -STOP %1\n4 a $\n4.5 a $ jobs\n5 a $ kill -CONT %1\n5.5 a $\n6 a $ jobs\n6.5 a $ sleep 101 &\n7 a $ sleep 102 &\n7.5 a $ kill %2\n8 a $\n8.5 a $ sleep 103 &\n9 a $ jobs\n9.5 a $ kill -9 %1 %3 %4\n10 a $\n10.5 a $ echo a; echo b\n11 a $ sleep 400\n11.5 a ^Z\n12 a $ kill -INT %1\n12.5 a $\n13 a $ jobs\n13.5 a $ kill -CONT %1\n14 a $\n14.5 a $ exit 3')).toBe(
      '[#1#root@box ~]$fg\nbash: fg: current: no such job\n[#2#root@box ~]$bg\nbash: bg: current: no such job\n[#3#root@box ~]$kill %3\nbash: kill: %3: no such job\n[#4#root@box ~]$kill 99999\nbash: kill: (99999) - No such process\n[#5#root@box ~]$sleep 100 &\n[1] PID\n[#6#root@box ~]$bg\nbash: bg: job 1 already in background\n[#7#root@box ~]$bg %1\nbash: bg: job 1 already in background\n[#8#root@box ~]$kill -STOP %1\n[#9#root@box ~]$\n\n[1]+  Stopped                 sleep 100\n[#9#root@box ~]$jobs\n[1]+  Stopped                 sleep 100\n[#10#root@box ~]$kill -CONT %1\n[#11#root@box ~]$\n[#11#root@box ~]$jobs\n[1]+  Running                 sleep 100 &\n[#12#root@box ~]$sleep 101 &\n[2] PID\n[#13#root@box ~]$sleep 102 &\n[3] PID\n[#14#root@box ~]$kill %2\n[#15#root@box ~]$\n[2]-  Terminated              sleep 101\n[#15#root@box ~]$sleep 103 &\n[4] PID\n[#16#root@box ~]$jobs\n[1]   Running                 sleep 100 &\n[3]-  Running                 sleep 102 &\n[4]+  Running                 sleep 103 &\n[#17#root@box ~]$kill -9 %1 %3 %4\n[#18#root@box ~]$\n[1]   Killed                  sleep 100\n[3]-  Killed                  sleep 102\n[4]+  Killed                  sleep 103\n[#18#root@box ~]$echo a; echo b\na\nb\n[#19#root@box ~]$sleep 400\n^Z\n[1]+  Stopped                 sleep 400\n[#20#root@box ~]$kill -INT %1\n\n[1]+  Stopped                 sleep 400\n[#21#root@box ~]$\n[#21#root@box ~]$jobs\n[1]+  Stopped                 sleep 400\n[#22#root@box ~]$kill -CONT %1\n[#23#root@box ~]$\n[1]+  Interrupt               sleep 400\n[#23#root@box ~]$exit 3\nexit\n',
    );
  });
  it('a background nc that reads the terminal gets SIGTTIN and stops (the typed line stays for bash); fg gives it the terminal before SIGCONT', () => {
    // the real run had its listener started beside bash; here it is on terminal b
    expect(screen('0.1 b $ nc -l 12345\n0.5 a $ nc localhost 12345 &\n1 a $ sleep 2\n1.5 a > typed during sleep\n3.5 a $\n4 a $ jobs\n4.5 a $ fg %1\n5 a > after fg\n5.5 a ^C\n6 a $ jobs', ['a', 'b'])).toBe(
      '[#1#root@box ~]$nc localhost 12345 &\n[1] PID\n[#2#root@box ~]$sleep 2\ntyped during sleep\n\n[1]+  Stopped                 nc localhost 12345\n[#3#root@box ~]$bash: typed: command not found\n[#4#root@box ~]$\n[#4#root@box ~]$jobs\n[1]+  Stopped                 nc localhost 12345\n[#5#root@box ~]$fg %1\nnc localhost 12345\nafter fg\n^C\n[#6#root@box ~]$jobs\n[#7#root@box ~]$',
    );
  });
});
