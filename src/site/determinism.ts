// Determinism check: two builds (and their offline exports) must be byte-identical.
//   npx --no-install node src/site/determinism.ts A B      compare two existing trees
//   npx --no-install node src/site/determinism.ts --rebuild build twice into a temp dir, export both, compare
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { walk } from './fs-walk.ts';

export type Digest = Map<string, string>;

export function treeDigest(dir: string): Digest {
  const d: Digest = new Map();
  for (const f of walk(dir)) d.set(f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex'));
  return d;
}

export interface TreeDiff {
  onlyA: string[];
  onlyB: string[];
  differ: string[];
}

export function compareDigests(a: Digest, b: Digest): TreeDiff {
  const onlyA = [...a.keys()].filter((k) => !b.has(k));
  const onlyB = [...b.keys()].filter((k) => !a.has(k));
  const differ = [...a.keys()].filter((k) => b.has(k) && a.get(k) !== b.get(k));
  return { onlyA, onlyB, differ };
}

export function isIdentical(d: TreeDiff): boolean {
  return d.onlyA.length === 0 && d.onlyB.length === 0 && d.differ.length === 0;
}

export function formatDiff(d: TreeDiff, a = 'A', b = 'B'): string {
  return [
    ...d.onlyA.map((f) => `only in ${a}: ${f}`),
    ...d.onlyB.map((f) => `only in ${b}: ${f}`),
    ...d.differ.map((f) => `differs: ${f}`),
  ].join('\n');
}

/** Build the site twice (same environment) and export both; returns the diffs of dist and dist-offline. */
export function rebuildTwice(root = process.cwd(), env: NodeJS.ProcessEnv = process.env): { dist: TreeDiff; offline: TreeDiff; tmp: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'tcp-lab-det-'));
  const run = (tag: string) => {
    const out = join(tmp, `dist-${tag}`);
    execFileSync('npx', ['--no-install', 'astro', 'build', '--outDir', out], { cwd: root, env, stdio: 'pipe' });
    execFileSync('npx', ['--no-install', 'node', 'scripts/offline.ts', out, join(tmp, `offline-${tag}`), '--no-zip'], { cwd: root, env, stdio: 'pipe' });
    return { dist: treeDigest(out), offline: treeDigest(join(tmp, `offline-${tag}`)) };
  };
  const a = run('a');
  const b = run('b');
  return { dist: compareDigests(a.dist, b.dist), offline: compareDigests(a.offline, b.offline), tmp };
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) {
  const args = process.argv.slice(2);
  if (args[0] === '--rebuild') {
    const r = rebuildTwice();
    const ok = isIdentical(r.dist) && isIdentical(r.offline);
    if (!ok) console.error(formatDiff(r.dist, 'build 1', 'build 2') + '\n' + formatDiff(r.offline, 'export 1', 'export 2'));
    else rmSync(r.tmp, { recursive: true, force: true });
    console.log(`determinism: dist ${isIdentical(r.dist) ? 'identical' : 'DIFFERS'}, dist-offline ${isIdentical(r.offline) ? 'identical' : 'DIFFERS'}`);
    process.exit(ok ? 0 : 1);
  } else if (args.length === 2) {
    const d = compareDigests(treeDigest(args[0]), treeDigest(args[1]));
    console.log(isIdentical(d) ? 'identical' : formatDiff(d, args[0], args[1]));
    process.exit(isIdentical(d) ? 0 : 1);
  } else {
    console.error('usage: node src/site/determinism.ts A B | --rebuild');
    process.exit(2);
  }
}
