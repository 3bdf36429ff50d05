/**
 * iproute2's nstat (misc/nstat.c, iproute2 6.1 as on the 6.18 machine), which packetdrill
 * scripts run from their shell lines (`nstat -n`, `nstat | grep TcpExtBeyondWindow | grep -q " 3 "`):
 * the kernel's counters (/proc/net/snmp's Tcp line, /proc/net/netstat's TcpExt line, in that
 * order: load_netstat(), load_snmp6(), load_snmp() each put theirs in front) printed as
 * `%-32s%-16llu%6.1f` after a `#kernel` line, as increments since the history file
 * (/tmp/.nstat.u<uid>) when it holds any, else as absolute values; zero values are left out
 * (-z shows them). -n prints nothing, -s does not update the history, -a ignores it, -r resets
 * it; arguments are fnmatch() patterns.
 *
 * Deliberate differences: only the model's counters exist (no Ip, Icmp, Udp, IpExt lines);
 * the history starts empty, where a real run shares /tmp/.nstat.u0 with whatever ran before
 * (the selftests run `nstat -n` first); the rate column is 0.0 (no daemon). -d, -t, -j, -p
 * are not modelled (a script using them is skipped).
 *
 * Pure.
 */

/** The Tcp MIB (/proc/net/snmp), in the kernel's order (snmp4_tcp_list). */
const TCP_SNMP = ['RtoAlgorithm', 'RtoMin', 'RtoMax', 'MaxConn', 'ActiveOpens', 'PassiveOpens', 'AttemptFails', 'EstabResets', 'CurrEstab', 'InSegs', 'OutSegs', 'RetransSegs', 'InErrs', 'OutRsts', 'InCsumErrors'];

/** The TcpExt MIB (/proc/net/netstat, snmp4_net_list), in Linux 6.18's order (read from /proc/net/netstat there). */
const TCP_EXT = 'SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures TCPLossFailures TCPFastRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive TCPMTUPFail TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious TCPMigrateReqSuccess TCPMigrateReqFailure TCPPLBRehash TCPAORequired TCPAOBad TCPAOKeyNotFound TCPAOGood TCPAODroppedIcmps'.split(' ');

/** The model's counter names that /proc spells differently (the LINUX_MIB_* name against its proc name). */
const PROC_NAME: Record<string, string> = { PAWSEstabRejected: 'PAWSEstab' };

/** nstat_ent ids: "useless_numbers" are never shown. */
const USELESS = new Set(['TcpRtoAlgorithm', 'TcpRtoMin', 'TcpRtoMax', 'TcpMaxConn', 'TcpCurrEstab']);

/** The counters as nstat reads them: [id, value] in its output order. */
export function nstatCounters(mib: Record<string, number>): [string, number][] {
  const snmp: [string, number][] = [];
  const ext: [string, number][] = [];
  const extra: [string, number][] = [];
  for (const [name, v] of Object.entries(mib)) {
    const proc = PROC_NAME[name] ?? name;
    if (TCP_SNMP.includes(proc)) snmp.push(['Tcp' + proc, v]);
    else if (TCP_EXT.includes(proc)) ext.push(['TcpExt' + proc, v]);
    else extra.push(['TcpExt' + proc, v]);
  }
  const rank = (list: string[], prefix: string) => (e: [string, number]) => list.indexOf(e[0].slice(prefix.length));
  const bySnmp = rank(TCP_SNMP, 'Tcp');
  const byExt = rank(TCP_EXT, 'TcpExt');
  snmp.sort((a, b) => bySnmp(a) - bySnmp(b));
  ext.sort((a, b) => byExt(a) - byExt(b));
  extra.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return [...snmp, ...ext, ...extra].filter(([id]) => !USELESS.has(id));
}

/** fnmatch(pattern, id, 0): *, ? and [...] classes. */
function fnmatch(pattern: string, s: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(s);
}

export interface NstatRun {
  stdout: string;
  stderr: string;
  status: number;
  /** The history file after the run (null: none). */
  history: Map<string, number> | null;
}

/** The options nstat takes that the model runs. */
export const NSTAT_OPTIONS = new Set(['z', 'r', 'a', 's', 'n', 'V', 'v']);

/** nstat's main() for argv (without "nstat"), the counters and the history file. */
export function nstat(argv: string[], mib: Record<string, number>, history: Map<string, number> | null): NstatRun {
  let zeros = false;
  let reset = false;
  let ignore = false;
  let noUpdate = false;
  let noOutput = false;
  const patterns: string[] = [];
  for (const a of argv) {
    if (/^-[a-zA-Z]+$/.test(a)) {
      for (const c of a.slice(1)) {
        if (c === 'z') zeros = true;
        else if (c === 'r') reset = true;
        else if (c === 'a') ignore = true;
        else if (c === 's') noUpdate = true;
        else if (c === 'n') noOutput = true;
        else if (c === 'V' || c === 'v') return { stdout: 'nstat utility, iproute2-6.1.0\n', stderr: '', status: 0, history };
        else return { stdout: '', stderr: `nstat: invalid option -- '${c}'\n`, status: 255, history };
      }
    } else patterns.push(a);
  }
  if (reset) history = null;
  const hist = ignore ? null : history && history.size ? history : null;
  const match = (id: string) => !patterns.length || patterns.some((p) => fnmatch(p, id));
  const counters = nstatCounters(mib);
  let out = '';
  if (!noOutput) {
    out = '#kernel\n';
    for (const [id, v] of counters) {
      const val = hist ? v - Math.min(v, hist.get(id) ?? 0) : v;
      if (!zeros && !val) continue;
      if (!match(id)) continue;
      out += `${id.padEnd(32)}${String(val).padEnd(16)}${'0.0'.padStart(6)}\n`;
    }
  }
  // dump_kern_db(hist_fp, 1): absolute values of every counter (a pattern keeps the history's old value for the others)
  let next = history;
  if (!noUpdate) {
    next = new Map();
    for (const [id, v] of counters) next.set(id, match(id) ? v : (history?.get(id) ?? v));
  }
  return { stdout: out, stderr: '', status: 0, history: next };
}

/**
 * grep [-q] PATTERN over text (GNU grep, basic regular expressions): the matching lines, status
 * 0 when a line matched, 1 when none did.
 */
export function grep(argv: string[], input: string): { stdout: string; status: number } {
  let quiet = false;
  let pattern: string | null = null;
  for (const a of argv) {
    if (pattern === null && a === '-q') quiet = true;
    else if (pattern === null) pattern = a;
  }
  if (pattern === null) return { stdout: '', status: 2 };
  // BRE: + ? | ( ) { } are literal unless escaped
  const re = new RegExp(pattern.replace(/\\([+?|(){}])/g, '\u0000$1').replace(/[+?|(){}]/g, '\\$&').replace(/\u0000/g, ''));
  const lines = input.split('\n').slice(0, input.endsWith('\n') ? -1 : undefined).filter((l) => re.test(l));
  return { stdout: quiet ? '' : lines.map((l) => l + '\n').join(''), status: lines.length ? 0 : 1 };
}
