/**
 * The CLI's exit codes. Scripts branch on these, so they are part of the interface:
 * 2 for bad usage follows the shell convention (bash builtins, getopt tools), and a run
 * stopped by a signal exits 128 + the signal's number, as a shell reports a killed child.
 */
export const exitCodes = Object.freeze({
  /** The command did what it was asked. */
  ok: 0,
  /** The command ran and failed: a stage error, a broken check. */
  failed: 1,
  /** Bad command line: unknown option, missing or invalid value. Nothing ran. */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT, 128 + 2). */
  interrupted: 130,
});
