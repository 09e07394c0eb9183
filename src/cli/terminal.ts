/**
 * Where the CLI writes: `process.stdout` / `process.stderr`, or a fake in tests. Only
 * `write` is required; `isTTY` and `columns` decide whether the progress view redraws in
 * place and how wide it may be.
 */
export interface TerminalOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const ESC = "\u001b[";
/** Erase the whole current line (EL 2). */
const CLEAR_LINE = `${ESC}2K`;
/** Erase from the cursor to the end of the screen (ED 0). */
const CLEAR_BELOW = `${ESC}0J`;

/**
 * The escape sequence that replaces a block of `previousLines` lines, written just above
 * the cursor, with `lines`. One string per frame, so the terminal never shows a half-drawn
 * block. Uses only cursor-up, carriage return and erase-in-line/display, which every
 * terminal emulator in use (xterm, VTE, iTerm2, Windows Terminal) understands.
 */
export function redraw(previousLines: number, lines: readonly string[]): string {
  let frame = previousLines > 0 ? `\r${ESC}${previousLines}A` : "";
  for (const line of lines) frame += `${CLEAR_LINE}${line}\n`;
  // A shorter frame than the last one would leave stale rows under it.
  return frame + CLEAR_BELOW;
}

/** The escape sequence that removes a block of `previousLines` lines above the cursor. */
export function erase(previousLines: number): string {
  return previousLines > 0 ? `\r${ESC}${previousLines}A${CLEAR_BELOW}` : "";
}

/**
 * An `error` listener for stdout/stderr that ignores EPIPE: a reader that went away
 * (`sluice demo | head -3`) is not the command's failure, and without a listener Node
 * throws it as an unhandled `error` event with a stack trace. Other errors are rethrown.
 */
export function ignoreBrokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE") throw error;
}
