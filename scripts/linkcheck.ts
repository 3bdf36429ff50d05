// Link checker: node scripts/linkcheck.ts [dist] [dist-offline]
// dist is checked as an http site (base from TCP_LAB_BASE), dist-offline as a file:// site.
// Missing directories are skipped with a note; any broken link exits 1.
import { existsSync } from 'node:fs';
import { checkLinks, type Mode } from '../src/site/linkcheck.ts';

const args = process.argv.slice(2);
const targets: Array<[string, Mode]> = args.length
  ? args.map((d) => [d, /offline/.test(d) ? 'file' : 'http'])
  : [['dist', 'http'], ['dist-offline', 'file']];
let bad = 0;
for (const [dir, mode] of targets) {
  if (!existsSync(dir)) {
    console.log(`linkcheck: ${dir} not found, skipped (run npm run build / npm run export)`);
    continue;
  }
  const r = checkLinks(dir, { mode, base: mode === 'http' ? process.env.TCP_LAB_BASE || '/' : '/' });
  for (const b of r.broken) console.error(`${dir}/${b.file}: ${b.url} — ${b.reason}`);
  console.log(`linkcheck: ${dir} (${mode}): ${r.files} files, ${r.links} internal/external references, ${r.broken.length} broken`);
  bad += r.broken.length;
}
process.exit(bad ? 1 : 0);
