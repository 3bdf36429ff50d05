/**
 * A suite of packetdrill scripts on the model: parse and run each one (a script that does not
 * parse fails with its file:line:col error), and compare the outcomes with a real kernel's.
 * Shared by `npm run packetdrill`, `npm run bench` and the tests.
 *
 * Pure: the scripts, defaults.sh and the real verdicts come in as text.
 */
import type { ProfileName } from '../model/types.ts';
import { PacketdrillError } from './ast.ts';
import { KSFT_IPV4_DEFINES, parseScript } from './parse.ts';
import { runScript, type Outcome, type Verdict } from './run.ts';

export interface SuiteScript {
  name: string;
  text: string;
}

export interface SuiteOptions {
  profile?: ProfileName;
  /** The text of the suite's defaults.sh. */
  defaultsSh?: string;
  seed?: number;
  /** CONFIG_HZ (default: the selftests' 1000). */
  hz?: number;
  force?: boolean;
  /** Per-script log lines (--verbose). */
  log?: (name: string, line: string) => void;
}

/** One script's verdict on the model. Never throws for any script text. */
export function runSuiteScript(s: SuiteScript, o: SuiteOptions = {}): Verdict {
  try {
    const script = parseScript(s.text, s.name, { defines: KSFT_IPV4_DEFINES });
    const log = o.log;
    return runScript(script, { profile: o.profile ?? 'linux-6.x', defaultsSh: o.defaultsSh, seed: o.seed, hz: o.hz, force: o.force, log: log && ((l) => log(s.name, l)) });
  } catch (e) {
    const msg = e instanceof PacketdrillError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
    return { outcome: 'fail', reason: msg, line: null, needs: [] };
  }
}

export interface SuiteSummary {
  pass: number;
  fail: number;
  skip: number;
  /** Scripts whose outcome equals the real kernel's, among those the real verdicts name. */
  agree: number;
  compared: number;
}

export function summarize(results: Map<string, Verdict>, real: Map<string, Outcome>): SuiteSummary {
  const s: SuiteSummary = { pass: 0, fail: 0, skip: 0, agree: 0, compared: 0 };
  for (const [name, v] of results) {
    s[v.outcome]++;
    const r = real.get(name);
    if (r) {
      s.compared++;
      if (r === v.outcome) s.agree++;
    }
  }
  return s;
}

/** `packetdrill: N/M scripts agree with Linux 6.18 (P pass, F fail, S skip)` */
export function summaryLine(s: SuiteSummary): string {
  return `packetdrill: ${s.agree}/${s.compared} scripts agree with Linux 6.18 (${s.pass} pass, ${s.fail} fail, ${s.skip} skip)`;
}
