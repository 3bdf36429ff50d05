/**
 * npm run sim -- <experiment file> [--profile linux-4.4|linux-6.x] [--pcap FILE] [--block NAME] [--trace]
 * Prints the experiment's rendered blocks (or one block), and writes its capture.
 * Errors: `file:line:col: message` and exit status 1, never a stack trace (TCPLAB_DEBUG=1 adds it
 * for an internal error); see scripts/lib/cli.ts.
 */
import { writeFileSync } from 'node:fs';
import { runExperiment } from '../src/experiment/run.ts';
import { loadExperiment } from './lib/experiments.ts';
import { printError, runMain } from './lib/cli.ts';
import type { ProfileName } from '../src/model/types.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!file) {
  console.error('usage: npm run sim -- <experiment file> [--profile linux-4.4|linux-6.x] [--pcap FILE] [--block NAME] [--trace]');
  process.exit(2);
}

await runMain(file, () => {
  let exp;
  try {
    exp = loadExperiment(file);
  } catch (e) {
    printError(e, file);
    process.exit(1);
  }
  const profile = (opt('--profile') ?? exp.profile) as ProfileName;
  if (profile !== 'linux-4.4' && profile !== 'linux-6.x') {
    console.error(`unknown profile ${profile}; expected linux-4.4 or linux-6.x`);
    process.exit(2);
  }
  const res = runExperiment(exp, profile);
  const only = opt('--block');
  if (only && !res.blocks.has(only)) {
    console.error(`no block named ${only}; blocks: ${[...res.blocks.keys()].join(', ')}`);
    process.exit(2);
  }
  for (const [name, text] of res.blocks) {
    if (only && name !== only) continue;
    if (!only) console.log(`──── ${name} (${profile}) ────`);
    process.stdout.write(text.endsWith('\n') || !text ? text : text + '\n');
  }
  if (args.includes('--trace')) for (const e of res.trace) console.log(JSON.stringify(e));
  const pcap = opt('--pcap');
  if (pcap) {
    const cap = [...res.procs.vfs.entries()].find(([p]) => p.endsWith('.pcap'));
    if (!cap) {
      console.error('the experiment wrote no capture');
      process.exit(1);
    }
    writeFileSync(pcap, cap[1]);
    console.error(`wrote ${pcap} (${cap[1].length} bytes, from ${cap[0]})`);
  }
});
