// npm run report — project report. This file holds the page-weight section (site); other
// sections (simulator benchmarks, transcript fidelity) can be added as further functions.
// Usage: node scripts/report.ts [dist]
import { existsSync } from 'node:fs';
import { siteWeights, lazyWeights, TEXT_PAGE_JS_BUDGET_GZ } from '../src/site/weight.ts';

const kb = (n: number) => (n / 1024).toFixed(1).padStart(6);

function pageWeightSection(dir: string): boolean {
  if (!existsSync(dir)) {
    console.log(`## Page weight\n\n${dir} not found: run npm run build first.\n`);
    return true;
  }
  const rows = siteWeights(dir, process.env.TCP_LAB_BASE || '/');
  console.log('## Page weight (KB; gz = gzip -9)\n');
  console.log('page                                  html gz   css gz    js gz  scripts  widgets');
  let ok = true;
  for (const r of rows) {
    const textOnly = r.widgets === 0;
    const over = textOnly && r.jsGz > TEXT_PAGE_JS_BUDGET_GZ;
    if (over) ok = false;
    console.log(`${r.page.padEnd(36)} ${kb(r.htmlGz)} ${kb(r.cssGz)} ${kb(r.jsGz)}  ${String(r.scripts).padStart(4)}  ${String(r.widgets).padStart(7)}${over ? '  OVER BUDGET' : ''}`);
  }
  for (const l of lazyWeights(dir)) console.log(`(lazy) ${l.file.padEnd(29)} ${kb(l.gz)} gz, ${kb(l.bytes)} raw — loaded when search opens`);
  console.log(`\nbudget: text-only pages ≤ ${TEXT_PAGE_JS_BUDGET_GZ / 1024} KB gzip JS: ${ok ? 'ok' : 'EXCEEDED'}\n`);
  return ok;
}

const ok = pageWeightSection(process.argv[2] ?? 'dist');
process.exit(ok ? 0 : 1);
