/**
 * The parsed form (IR) of an experiment file (content/experiments/<id>/experiment.md).
 * Produced by src/experiment/parse.ts; consumed by the simulator runner
 * (src/experiment/run.ts), the real-kernel recorder (scripts/record.ts) and the site.
 *
 * Pure data. Times are integer nanoseconds since the experiment's start.
 */
import type { Ns, ProfileName } from '../model/types.ts';

/** A position in a source file, 1-based, for `file:line:col` errors. */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

export type Key = '^C' | '^Z' | '^D' | '^\\';

export type StepAction =
  /** Type a command line into the terminal's shell and press Enter. */
  | { kind: 'command'; line: string }
  /** Press a control key in the terminal (delivered to its foreground job, or echoed at a prompt). */
  | { kind: 'key'; key: Key }
  /**
   * Type a line of text and press Enter (`> TEXT`): whatever reads the terminal gets it, the
   * foreground program, or bash when nothing else reads it (bash then runs it as a command).
   */
  | { kind: 'type'; line: string };

/**
 * Values that a real run leaves to chance, pinned on the step that causes them.
 * Everything not pinned is derived by the model.
 */
export interface StepPins {
  /** pid of the process the command starts (first process of a pipeline). */
  pid?: number;
  /** Ephemeral port the kernel picks for this step's connect() (as if other traffic moved the hint). */
  ephemeralPort?: number;
  /** Extra latency (ns) between the keystroke and the program's first syscall (exec, dynamic loading, DNS). */
  startupNs?: number;
  /** Time (ns) between tcp_v4_connect() computing the ISN and the SYN leaving, for this step's connect(). */
  isnLeadNs?: number;
}

export interface Step {
  loc: Loc;
  /** When the key is pressed, ns since experiment start. */
  at: Ns;
  terminal: string;
  action: StepAction;
  pins: StepPins;
  /** Optional label (`#name`) so blocks can refer to this step. */
  label?: string;
}

export interface TerminalDecl {
  loc: Loc;
  name: string;
  /** bash history number shown by `\#` in the first prompt. */
  history: number;
  /** Terminal width in columns (ss uses it when stdout is a tty). */
  cols: number;
}

/** Where a block's window starts or ends: a step label (before/after it) or a time. */
export type BlockBound =
  | { kind: 'start' }
  | { kind: 'end' }
  | { kind: 'before'; label: string }
  | { kind: 'after'; label: string }
  | { kind: 'time'; at: Ns };

export type BlockDecl =
  | {
      loc: Loc;
      name: string;
      /** A terminal's screen between two bounds (prompts, echoed keys, output). */
      kind: 'terminal';
      terminal: string;
      from: BlockBound;
      to: BlockBound;
    }
  | {
      loc: Loc;
      name: string;
      /** Wireshark-style verbose analysis of frames [first, last] of the capture. */
      kind: 'wireshark';
      capture: string;
      frames: [number, number];
    }
  | {
      loc: Loc;
      name: string;
      /** `tcpdump -nn -r FILE` text of the capture. */
      kind: 'tcpdump';
      capture: string;
    };

/** One set of recorded outputs (a directory beside the experiment file). */
export interface RecordedSet {
  loc: Loc;
  /** Directory, relative to the experiment file. */
  dir: string;
  /** The simulator profile the recording is compared with. */
  profile: ProfileName;
  /** Free-form provenance: distro, kernel, tool versions. */
  provenance: Record<string, string>;
  /** Block name -> recorded file (relative to `dir`), with per-block match options. */
  blocks: { name: string; file: string; loc: Loc; options: MatchOptions }[];
}

export interface MatchOptions {
  /** Named redactions allowed in this block, e.g. ['PORT', 'PID', 'ISN', 'TIME']. */
  redact?: string[];
  /** Compare ignoring runs of spaces (for recordings made at another terminal width). */
  squashSpaces?: boolean;
  /** Ignore trailing whitespace on each line (for outputs published where it was stripped). */
  trimTrailing?: boolean;
  /** Drop empty lines on both sides before matching (layout added by whoever published the output). */
  ignoreBlankLines?: boolean;
}

export interface Experiment {
  file: string;
  id: string;
  title: { en: string; 'zh-CN': string };
  summary?: { en: string; 'zh-CN': string };
  /** Default profile, and every profile the experiment is run under. */
  profile: ProfileName;
  profiles: ProfileName[];
  /** sysctl overrides, e.g. { 'net.ipv4.tcp_fin_timeout': 60 }. */
  sysctl: Record<string, number | number[]>;
  /** Seed of the model's RNG (hash secrets, random IP ids). */
  seed: number;
  host: { hostname: string; user: string };
  /** Global chance inputs (realtime clock at start, machine costs, ...). */
  inputs: Record<string, number>;
  terminals: TerminalDecl[];
  steps: Step[];
  blocks: BlockDecl[];
  recorded: RecordedSet[];
}
