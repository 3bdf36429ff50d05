// Lighthouse (performance, accessibility, best practices, SEO) on one page of the built site, in
// Debian's Chromium launched by chrome-launcher. Used by scripts/report.ts. Lighthouse and
// chrome-launcher are loaded lazily so that the rest of the report works without them.
import { existsSync } from 'node:fs';
import { CHROMIUM_ARGS } from './scrub.ts';

export const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface FailingAudit {
  id: string;
  title: string;
  score: number;
  displayValue?: string;
  /** Weight in its category's score (0: diagnostic only). */
  weight: number;
  /** A few offending nodes or resources, as Lighthouse names them. */
  examples: string[];
}

/** One run's performance score and the metrics it is made of (ms; CLS unitless). */
export interface LighthouseRun {
  performance: number | null;
  fcp: number;
  lcp: number;
  tbt: number;
  si: number;
  cls: number;
}

export interface LighthouseResult {
  formFactor: string;
  version: string;
  /** Every run of this preset, in order; the rest of this result describes the median run. */
  runs: LighthouseRun[];
  /** Which of `runs` Lighthouse's computeMedianRun() picked (closest to the median FCP and TTI). */
  medianIndex: number;
  scores: Record<Category, number | null>;
  failing: Record<Category, FailingAudit[]>;
  warnings: string[];
  /** Main-thread time by script (Lighthouse's bootup-time), the largest first: URL path, total and scripting ms. */
  bootup: Array<{ url: string; total: number; scripting: number }>;
}

/** The e2e tests' Chromium flags, with the new headless mode that Lighthouse needs. */
export const CHROME_FLAGS = ['--headless=new', ...CHROMIUM_ARGS.filter((a) => a !== '--headless')];

/** Up to three nodes or resources of an audit; URLs of the local server lose their origin (a random port). */
function examplesOf(audit: any, origin: string): string[] {
  const items: any[] = Array.isArray(audit?.details?.items) ? audit.details.items : [];
  const out: string[] = [];
  for (const it of items) {
    let s = it?.node?.snippet ?? it?.url ?? it?.source?.url ?? it?.label;
    if (typeof s !== 'string') continue;
    s = s.replaceAll(origin, '');
    if (!out.includes(s)) out.push(s.length > 120 ? s.slice(0, 117) + '...' : s);
    if (out.length === 3) break;
  }
  return out;
}

/**
 * Run Lighthouse on url `runs` times per preset ('mobile' is Lighthouse's default: a Moto G
 * Power with simulated slow 4G and a 4× CPU slowdown; 'desktop' is its desktop preset), each
 * run in a fresh browser, and describe the median run as Lighthouse's own tooling picks it
 * (computeMedianRun: the run closest to the median FCP and TTI), with every run's score. This is
 * what Lighthouse's documentation on variability recommends: one run's score moves with the
 * load of the machine that measures it.
 * Throws with a readable message when Lighthouse or the browser cannot run.
 */
export async function runLighthouse(url: string, chromePath: string, presets: Array<'mobile' | 'desktop'>, runs = 1): Promise<LighthouseResult[]> {
  if (!existsSync(chromePath)) throw new Error(`no browser at ${chromePath} (apt-get install chromium, or set CHROME_PATH)`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`Lighthouse runs must be a positive integer, got ${runs}`);
  let lighthouse: any, launch: any, desktop: any, computeMedianRun: (lhrs: any[]) => any;
  try {
    lighthouse = (await import('lighthouse')).default;
    launch = (await import('chrome-launcher')).launch;
    desktop = (await import('lighthouse/core/config/desktop-config.js')).default;
    ({ computeMedianRun } = await import('lighthouse/core/lib/median-run.js'));
  } catch (e) {
    throw new Error(`lighthouse/chrome-launcher not installed (npm install): ${(e as Error).message}`);
  }
  const results: LighthouseResult[] = [];
  for (const preset of presets) {
    const lhrs: any[] = [];
    for (let i = 0; i < runs; i++) {
      const chrome = await launch({ chromePath, chromeFlags: CHROME_FLAGS, logLevel: 'silent' });
      try {
        const flags = { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: process.env.TCP_LAB_LH_ONLY ? process.env.TCP_LAB_LH_ONLY.split(',') : [...CATEGORIES] };
        const rr = await lighthouse(url, flags, preset === 'desktop' ? desktop : undefined);
        const lhr = rr?.lhr;
        if (!lhr) throw new Error('Lighthouse returned no result');
        if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
        if (process.env.TCP_LAB_LHR_DIR) (await import('node:fs')).writeFileSync(`${process.env.TCP_LAB_LHR_DIR}/lhr-${preset}-${i + 1}.json`, JSON.stringify(lhr));
        lhrs.push(lhr);
      } finally {
        chrome.kill();
      }
    }
    const lhr = lhrs.length > 1 ? computeMedianRun(lhrs) : lhrs[0];
    const metric = (l: any, id: string): number => l.audits[id]?.numericValue ?? NaN;
    const runList: LighthouseRun[] = lhrs.map((l) => ({
      performance: l.categories.performance?.score == null ? null : Math.round(l.categories.performance.score * 100),
      fcp: metric(l, 'first-contentful-paint'),
      lcp: metric(l, 'largest-contentful-paint'),
      tbt: metric(l, 'total-blocking-time'),
      si: metric(l, 'speed-index'),
      cls: metric(l, 'cumulative-layout-shift'),
    }));
    const scores = {} as Record<Category, number | null>;
    const failing = {} as Record<Category, FailingAudit[]>;
    for (const c of CATEGORIES) {
      const cat = lhr.categories[c];
      scores[c] = cat?.score == null ? null : Math.round(cat.score * 100);
      failing[c] = [];
      if (!cat) continue;
      for (const ref of cat.auditRefs) {
        const a = lhr.audits[ref.id];
        if (!a || a.score === null || a.score >= 1) continue;
        if (a.scoreDisplayMode === 'informative' || a.scoreDisplayMode === 'notApplicable' || a.scoreDisplayMode === 'manual') continue;
        // Weighted audits always; unweighted diagnostics only when clearly failing.
        if (ref.weight === 0 && a.score >= 0.9) continue;
        failing[c].push({ id: a.id, title: a.title, score: a.score, displayValue: a.displayValue, weight: ref.weight, examples: examplesOf(a, new URL(url).origin) });
      }
      failing[c].sort((x, y) => y.weight - x.weight || x.score - y.score);
    }
    const origin = new URL(url).origin;
    const bootupItems: any[] = Array.isArray(lhr.audits['bootup-time']?.details?.items) ? lhr.audits['bootup-time'].details.items : [];
    const bootup = bootupItems.slice(0, 3).map((i) => ({ url: String(i.url).replaceAll(origin, ''), total: Math.round(i.total), scripting: Math.round(i.scripting) }));
    results.push({ formFactor: preset, version: lhr.lighthouseVersion, runs: runList, medianIndex: lhrs.indexOf(lhr), scores, failing, warnings: lhr.runWarnings ?? [], bootup });
  }
  return results;
}
