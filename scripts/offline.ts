// npm run export: dist/ → dist-offline/ (works from file://) and tcp-lab-offline.zip.
// Usage: node scripts/offline.ts [dist] [dist-offline] [--no-zip]
// The site base comes from TCP_LAB_BASE (the same variable the build used; default "/").
import { execFileSync } from 'node:child_process';
import { rmSync, utimesSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exportOffline } from '../src/site/offline.ts';
import { walk } from '../src/site/fs-walk.ts';

const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith('--'));
const src = resolve(positional[0] ?? 'dist');
const out = resolve(positional[1] ?? 'dist-offline');
const zipPath = resolve('tcp-lab-offline.zip');

const t0 = performance.now();
const res = await exportOffline(src, out, process.env.TCP_LAB_BASE || '/');
console.log(`offline: ${res.pages} pages, ${res.bundles} script bundles → ${out} (${Math.round(performance.now() - t0)} ms)`);

if (!args.includes('--no-zip')) {
  // Deterministic archive: fixed mtimes, sorted names, no extra attributes.
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? 1478995200); // 2016-11-13, the seed's era
  const files = walk(out);
  for (const f of files) utimesSync(join(out, f), epoch, epoch);
  if (existsSync(zipPath)) rmSync(zipPath);
  const list = files.map((f) => `tcp-lab-offline/${f}`).join('\n') + '\n';
  // zip paths are taken relative to the parent so the archive unpacks into tcp-lab-offline/.
  const parent = resolve(out, '..');
  const linkName = join(parent, 'tcp-lab-offline');
  const useLink = resolve(out) !== linkName;
  if (useLink) {
    rmSync(linkName, { force: true, recursive: false });
    execFileSync('ln', ['-s', out, linkName]);
  }
  try {
    execFileSync('zip', ['-X', '-D', '-q', zipPath, '-@'], { cwd: parent, input: list, env: { ...process.env, TZ: 'UTC' } });
  } finally {
    if (useLink) rmSync(linkName, { force: true });
  }
  console.log(`offline: wrote ${zipPath}`);
}
