/**
 * How the command-line scripts end on an error: never with a raw stack trace.
 * - bad input (a parse error, a run that cannot start or hit a limit): its one located line,
 *   `file:line:col: message`, exit status 1;
 * - anything else is a bug: one line naming where (the experiment, or its step) and
 *   `internal error: <message>`, exit status 1; the stack only with TCPLAB_DEBUG=1.
 */
import { ExperimentError } from '../../src/experiment/parse.ts';
import { RunError, RunInternalError } from '../../src/experiment/run.ts';

const debug = (): boolean => !!process.env.TCPLAB_DEBUG && process.env.TCPLAB_DEBUG !== '0';

/** The line to print for an error met while handling `where` (an experiment file, usually). */
export function errorLine(e: unknown, where: string): string {
  if (e instanceof ExperimentError || e instanceof RunError) return e.message;
  const msg = e instanceof Error ? e.message : String(e);
  return `${where}: internal error: ${msg.split('\n')[0]}`;
}

/** Print an error as errorLine() does, and its stack (and its cause's) with TCPLAB_DEBUG=1. */
export function printError(e: unknown, where: string): void {
  console.error(errorLine(e, where));
  if (!debug()) return;
  const cause = e instanceof RunInternalError ? e.cause : e;
  if (cause instanceof Error && cause.stack) console.error(cause.stack);
}

/** Whether an error is the input's fault (located, expected) rather than a bug. */
export function isInputError(e: unknown): boolean {
  return (e instanceof ExperimentError || e instanceof RunError) && !(e instanceof RunInternalError);
}

/**
 * For a script whose body is top-level code: any error that escapes it (uncaught, or a
 * rejected promise) is printed as printError() does, naming `name`, and the process exits 1.
 */
export function handleFatalErrors(name: string): void {
  const fatal = (e: unknown) => {
    printError(e, name);
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

/**
 * Run a script's main function: an error that escapes it is printed as printError() does and
 * the process exits with status 1. Uncaught errors elsewhere (a stray promise) are handled alike.
 */
export async function runMain(name: string, main: () => void | Promise<void>): Promise<void> {
  handleFatalErrors(name);
  try {
    await main();
  } catch (e) {
    printError(e, name);
    process.exit(1);
  }
}
