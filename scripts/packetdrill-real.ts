/**
 * npm run packetdrill:real [-- FILE.pkt...]
 *
 * Real-kernel verdicts for the kernel's packetdrill selftests on this machine:
 *  1. copies ../shared/peer-suites/packetdrill-tool to .packetdrill-build/ (ignored) and
 *     builds it (./configure && make; needs gcc make bison flex, run as root);
 *  2. allows cubic in net.ipv4.tcp_allowed_congestion_control for the run (defaults.sh sets
 *     tcp_congestion_control=cubic, which fails in a new namespace when it is not allowed)
 *     and restores the original value afterwards, on failure and on ^C too;
 *  3. runs each script in its own network namespace (`unshare -n`) with the IPv4 flags of the
 *     kernel's ksft_runner.sh, from a copy of the selftests folder (defaults.sh is ./-relative);
 *  4. writes reports/packetdrill-real-linux-<release>.tsv: kernel, HZ, date, then per script
 *     pass/fail, exit code, seconds and the first error line; and compares the pass set with
 *     the shared Linux 6.18 verdicts.
 *
 * npm run packetdrill:real -- --probes
 *   runs the model's probes (test/packetdrill/probes/*.pkt: small scripts that pin down one
 *   kernel behaviour each) on this kernel and writes reports/packetdrill-real-probes-linux-<release>.tsv;
 *   test/packetdrill/probes.test.ts runs the same probes on the model and requires each to have
 *   passed here.
 *
 * npm run packetdrill:real -- --malformed
 *   runs the real tool on each malformed script of test/packetdrill/malformed.json (in a
 *   scratch folder, as t.pkt, in its own netns) and records the first line it prints as the
 *   case's `real` field: the expected side of parse.test.ts's check that the TypeScript parser
 *   reports the same error at the same line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parseVerdicts } from '../src/packetdrill/run.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = resolve(ROOT, '../shared/peer-suites');
const TOOL_SRC = join(SUITES, 'packetdrill-tool');
const SUITE_SRC = join(SUITES, 'linux-selftests-packetdrill');
const VERDICTS = join(SUITES, 'linux-selftests-packetdrill.verdicts-linux-6.18.44-ipv4.tsv');
const BUILD = join(ROOT, '.packetdrill-build');
const TOOL = join(BUILD, 'packetdrill-tool');
const SUITE = join(BUILD, 'selftests');
const CC_KEY = '/proc/sys/net/ipv4/tcp_allowed_congestion_control';

const FLAGS = [
  '--ip_version=ipv4', '--local_ip=192.168.0.1', '--gateway_ip=192.168.0.1', '--netmask_ip=255.255.0.0', '--remote_ip=192.0.2.1',
  '-D', 'TFO_COOKIE=3021b9d889017eeb', '-D', 'TFO_COOKIE_ZERO=b7c12350a90dc8f5', '-D', 'CMSG_LEVEL_IP=SOL_IP', '-D', 'CMSG_TYPE_RECVERR=IP_RECVERR',
];

function die(msg: string): never {
  console.error(`packetdrill:real: ${msg}`);
  process.exit(1);
}

function build(): void {
  for (const tool of ['gcc', 'make', 'bison', 'flex'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) die(`${tool} is missing: apt-get update && apt-get install -y gcc make bison flex`);
  if (existsSync(join(TOOL, 'packetdrill'))) return;
  rmSync(TOOL, { recursive: true, force: true });
  mkdirSync(BUILD, { recursive: true });
  cpSync(TOOL_SRC, TOOL, { recursive: true });
  console.log(`building packetdrill in ${TOOL} ...`);
  const r = spawnSync('sh', ['-c', './configure && make -j2'], { cwd: TOOL, encoding: 'utf8' });
  if (r.status !== 0) die(`build failed:\n${(r.stderr || r.stdout).split('\n').slice(-15).join('\n')}`);
}

/** HZ of the running kernel: from its config, if the machine has it. */
function kernelHz(): string {
  for (const p of [`/boot/config-${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`, '/proc/config.gz']) {
    if (!existsSync(p)) continue;
    try {
      const text = p.endsWith('.gz') ? gunzipSync(readFileSync(p)).toString('utf8') : readFileSync(p, 'utf8');
      const m = /^CONFIG_HZ=(\d+)$/m.exec(text);
      if (m) return m[1];
    } catch {
      // unreadable config: unknown
    }
  }
  return 'unknown';
}

if (process.getuid?.() !== 0) die('must run as root (network namespaces, sysctls)');
build();

if (process.argv.includes('--malformed')) {
  const fixture = join(ROOT, 'test/packetdrill/malformed.json');
  const cases = JSON.parse(readFileSync(fixture, 'utf8')) as { script: string; error: string; real: string | null }[];
  const dir = mkdtempSync(join(tmpdir(), 'pd-malformed-'));
  try {
    for (const c of cases) {
      writeFileSync(join(dir, 't.pkt'), c.script);
      const r = spawnSync('unshare', ['-n', join(TOOL, 'packetdrill'), ...FLAGS, 't.pkt'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      c.real = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n').find((l) => l.trim()) ?? `(no output, exit ${r.status})`;
      console.log(`${JSON.stringify(c.script).slice(0, 60)} -> ${c.real}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(fixture, `${JSON.stringify(cases, null, 1)}\n`);
  console.log(`packetdrill:real: recorded the real tool's error for ${cases.length} malformed scripts in ${fixture}`);
  process.exit(0);
}
rmSync(SUITE, { recursive: true, force: true });
cpSync(SUITE_SRC, SUITE, { recursive: true });

const PROBES = join(ROOT, 'test/packetdrill/probes');
const probes = process.argv.includes('--probes');
const args = probes ? readdirSync(PROBES).filter((f) => f.endsWith('.pkt')).sort().map((f) => join(PROBES, f)) : process.argv.slice(2).filter((a) => !a.startsWith('--'));
// a script given by path (a probe) runs beside the selftests, where ./defaults.sh is
for (const a of args) if (existsSync(a) && resolve(a) !== join(SUITE, basename(a))) cpSync(a, join(SUITE, basename(a)));
const scripts = args.length ? args.map((a) => basename(a)) : readdirSync(SUITE).filter((f) => f.endsWith('.pkt')).sort();

const original = readFileSync(CC_KEY, 'utf8').trim();
let restored = false;
const restore = () => {
  if (restored) return;
  restored = true;
  writeFileSync(CC_KEY, original);
};
process.on('exit', restore);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(sig, () => {
    restore();
    console.error(`packetdrill:real: ${sig}: restored ${CC_KEY} = ${original}`);
    process.exit(130);
  });
if (!original.split(/\s+/).includes('cubic')) writeFileSync(CC_KEY, `${original} cubic`);

const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
const hz = kernelHz();
const rows: string[] = [];
const verdict = new Map<string, string>();
/** Scripts the shared README names as flaky at HZ=250 (a delayed ACK at 47.8 ms against 40 +- 5 ms). */
const HZ_FLAKY = ['tcp_basic_server.pkt', 'tcp_close_no_rst.pkt'];
const RECHECKS = 5;

function runOne(s: string): { v: string; code: number; secs: string; first: string } {
  const start = Date.now();
  const r = spawnSync('unshare', ['-n', join(TOOL, 'packetdrill'), ...FLAGS, s], { cwd: SUITE, encoding: 'utf8', timeout: 120_000 });
  const secs = ((Date.now() - start) / 1000).toFixed(2);
  const code = r.status ?? -1;
  const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n').map((l) => l.trim());
  const first = out.find((l) => /error|warning|fail|skip/i.test(l) && l) ?? out.find((l) => l) ?? (r.error ? String(r.error.message) : '');
  return { v: code === 0 ? 'pass' : code === 4 ? 'skip' : 'fail', code, secs, first };
}

const shared: Map<string, string> = existsSync(VERDICTS) ? parseVerdicts(readFileSync(VERDICTS, 'utf8')) : new Map();
const t0 = Date.now();
let total = '';
/** Re-runs of the scripts that differ from the shared verdicts (and of the README's flaky ones). */
const rechecks = new Map<string, string[]>();
try {
  for (const s of scripts) {
    // ksft_runner.sh runs a script only under the --ip_version its header names (if any)
    const versions = [...readFileSync(join(SUITE, s), 'utf8').matchAll(/^--ip_version=(\S+)/gm)].map((m) => m[1]);
    if (versions.length && !versions.includes('ipv4')) {
      verdict.set(s, 'skip');
      rows.push([s, 'skip', 'SKIP', '0', `header asks for --ip_version=${versions.join(',')}`].join('\t'));
      console.log(`${s}: skip — header asks for --ip_version=${versions.join(',')}`);
      continue;
    }
    const r = runOne(s);
    verdict.set(s, r.v);
    rows.push([s, r.v, String(r.code), r.secs, r.code === 0 ? '' : r.first.replace(/\t/g, ' ').slice(0, 300)].join('\t'));
    console.log(`${s}: ${r.v}${r.code === 0 ? '' : ` — ${r.first.slice(0, 200)}`}`);
  }
  total = ((Date.now() - t0) / 1000).toFixed(0);
  // a difference from the shared verdicts: run the script RECHECKS more times, to tell a
  // timing-flaky script from a real difference between the two machines
  const recheck = [...verdict].filter(([s, v]) => (shared.has(s) && shared.get(s) !== v) || HZ_FLAKY.includes(s)).map(([s]) => s);
  for (const s of recheck) {
    rechecks.set(s, Array.from({ length: RECHECKS }, () => runOne(s).v));
    console.log(`${s}: ${RECHECKS} more runs: ${rechecks.get(s)!.join(' ')}`);
  }
} finally {
  restore();
}

const diffs = [...verdict].filter(([s, v]) => shared.has(s) && shared.get(s) !== v);
const runsText = (s: string) => {
  const r = rechecks.get(s) ?? [];
  return `${RECHECKS} more runs here: ${r.filter((v) => v === 'pass').length} pass, ${r.filter((v) => v !== 'pass').length} fail`;
};
mkdirSync(join(ROOT, 'reports'), { recursive: true });
const out = join(ROOT, 'reports', probes ? `packetdrill-real-probes-linux-${release}.tsv` : `packetdrill-real-linux-${release}.tsv`);
const header = [
  `# packetdrill (google/packetdrill @ 2c4001c, ../shared/peer-suites/packetdrill-tool) on this machine, IPv4, each script in its own netns`,
  `# kernel\t${release}`,
  `# HZ\t${hz}`,
  `# date\t${new Date().toISOString().slice(0, 10)}`,
  `# tcp_allowed_congestion_control\t${original} (+ cubic during the run)`,
  `# run time\t${total} s`,
  `# differences from the shared Linux 6.18.44 verdicts\t${diffs.length}`,
  ...diffs.map(([s, v]) => `#   ${s}\there ${v}, shared ${shared.get(s)}; ${runsText(s)}`),
  `# scripts the shared README names as flaky at HZ=250`,
  ...HZ_FLAKY.filter((s) => verdict.has(s)).map((s) => `#   ${s}\there ${verdict.get(s)}, shared ${shared.get(s)}; ${runsText(s)}`),
  ['script', 'verdict', 'exit_code', 'seconds', 'first_error'].join('\t'),
];
if (!args.length || probes) writeFileSync(out, `${[...header, ...rows].join('\n')}\n`);

// compare with the shared verdicts on Linux 6.18.44
const count = (v: string) => [...verdict.values()].filter((x) => x === v).length;
console.log(`\npacketdrill:real: ${count('pass')} pass, ${count('fail')} fail, ${count('skip')} skip on Linux ${release} (HZ ${hz}) in ${total} s${args.length && !probes ? '' : `; wrote ${out}`}`);
console.log(`differences from the shared Linux 6.18.44 verdicts: ${diffs.length ? diffs.map(([s, v]) => `${s} (here ${v}, shared ${shared.get(s)}; ${runsText(s)})`).join(', ') : 'none'}`);
