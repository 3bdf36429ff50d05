/**
 * What the sandbox terminal's element (terminal.ts, on the page) and its engine (sandbox-engine.ts,
 * in a Web Worker) say to each other, and the two small text helpers both use. No model import:
 * the page's bundle gets this module, not the simulator (which lives in the worker's script).
 */
import type { ProfileName } from '../model/types.ts';
import type { SimRunAnswer, SimRunMessage } from './sim-protocol.ts';

/** Control keys a terminal sends to its foreground job (^L is the element's own: it clears the screen). */
export type Key = '^C' | '^Z' | '^D' | '^\\';

/** Speeds of simulated time against the wall clock. */
export const SPEEDS = [1, 10] as const;
export type Speed = (typeof SPEEDS)[number];

/** Most terminals one host has (the lab note's workflow needs four: server, watch, client, capture). */
export const MAX_TERMINALS = 4;

export type Input =
  /** A line typed into terminal `tty` (0-based) and Enter. */
  | { kind: 'line'; tty: number; text: string }
  | { kind: 'key'; tty: number; key: Key }
  /** A new shell on a terminal whose shell has exited. */
  | { kind: 'new-shell'; tty: number }
  /** One more terminal on the host (a new tty with its own shell). */
  | { kind: 'open' }
  | { kind: 'speed'; speed: Speed }
  /** Jump over idle time to the next event the host has scheduled (a timer, a sleep ending). */
  | { kind: 'skip' }
  /** A new host: every terminal gets a fresh shell, the clock starts again, goals are unmet. */
  | { kind: 'reset' }
  /** Tab completion of `text` (the whole input line) for terminal `tty`; answered with the same id. */
  | { kind: 'complete'; tty: number; text: string; id: number }
  /** Whether the element shows the live view (the worker renders it only then). */
  /** The live view opened or closed; `width`: its pictures' width, px (they are drawn for it, as the timeline's are). */
  | { kind: 'live'; on: boolean; width?: number }
  /** Whether the element is on screen in a visible page (else the clock is not reported every 250 ms, nor the live view rendered). */
  | { kind: 'seen'; on: boolean }
  /** For tests: an exception from inside the model's event loop, or a step that never returns. */
  | { kind: 'fault'; message: string; hang?: boolean };

/** What a terminal's screen gets, in order. */
export type Item =
  | { kind: 'out'; tty: number; text: string }
  /** `clear` at the prompt: empty the screen (the next prompt follows). */
  | { kind: 'clear'; tty: number }
  /** The host crashed (a model exception): an error line on every screen, then the new host's output. */
  | { kind: 'crash'; message: string }
  /** `reset` or the Reset button: every screen is emptied, a new host boots. */
  | { kind: 'reset' };

/** The state of one terminal. */
export interface TtyState {
  /** The shell has exited (`exit`, ^D, killed): the element offers a new one. */
  ended: boolean;
  /** The shell waits at its prompt with nothing typed ahead (a command line has finished). */
  prompt: boolean;
  /** The unknown command of the last line, cut to NOTE_NAME_CHARS (…), or null. */
  unknown: string | null;
  /** Why the model refuses part of the last line (the command-line grammar's message), or null. */
  refused: string | null;
  /** The note beside the screen (unknown command, what is not modelled, the shell has exited), or ''. */
  note: string;
  /**
   * What to read out for this terminal: a command's output once the prompt is back (whole when
   * short, else a count and the last line), or a summary now and then while a job prints.
   */
  say?: string;
}

export interface Goal {
  id: string;
  /** In the page's language; `code` in backquotes. */
  text: string;
  done: boolean;
}

export interface Live {
  /** `ss -natp -o` of the host now, in its profile's format. */
  ss: string;
  /** SVG: the accept queue of the listener on 12345 (or the first listener). */
  queue: string;
  /** SVG: the last packets on lo. */
  ladder: string;
  /** Packets on lo since boot. */
  packets: number;
}

export interface Update {
  items: Item[];
  /** Inputs delivered so far (the element compares it with what it sent). */
  seq: number;
  /** Simulated ns since the first prompt. */
  simNs: number;
  speed: Speed;
  /** The host is running behind the chosen speed (the model cannot keep up). */
  behind: boolean;
  ttys: TtyState[];
  /** The goals, when they changed (always in the first update of a host). */
  goals?: Goal[];
  /** The live view, when it changed and the element shows it. */
  live?: Live;
  /** The answer to a completion request. */
  completion?: { id: number; tty: number; text: string; candidates: string[] };
  /** What to read out for the whole lab (a goal reached). */
  say?: string;
}

/** Messages from the element to the worker (and the timeline's runs, sim-protocol.ts). */
export type ToWorker = { type: 'boot'; profile: ProfileName; lang: string; goals: string } | { type: 'input'; input: Input } | { type: 'stop' } | SimRunMessage;
/** Messages from the worker to the element (and the timeline's runs). */
export type FromWorker = { type: 'update'; update: Update } | SimRunAnswer;

/** Length at which the unknown-command note cuts a name. */
export const NOTE_NAME_CHARS = 40;

/** `name` cut to `max` UTF-16 units (never inside a surrogate pair), with … when cut. */
export function shortName(name: string, max = NOTE_NAME_CHARS): string {
  if (name.length <= max) return name;
  let end = max;
  const c = name.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return name.slice(0, end) + '…';
}

/** Keep the tail of `text` within `max` characters, cut after a newline when there is one. */
export function keepTail(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.length - max;
  const nl = text.indexOf('\n', cut);
  return nl >= 0 && nl < text.length - 1 ? text.slice(nl + 1) : text.slice(cut);
}
