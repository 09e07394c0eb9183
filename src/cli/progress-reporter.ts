import { type ProgressSnapshot, renderProgressBlock, renderProgressLine } from "./progress-line.js";
import { erase, redraw, type TerminalOutput } from "./terminal.js";

/** Timing of a {@link startProgress} view, in milliseconds. */
export interface ProgressOptions {
  /** How often a terminal's block is redrawn: ms. Default 150. */
  readonly redrawMs?: number;
  /** How often a plain line is printed when the output is not a terminal: ms. Default 1000. */
  readonly plainMs?: number;
  /** Rates are averaged over about this long, so they do not flicker: ms. Default 1000. */
  readonly rateWindowMs?: number;
}

/** A running progress view; `stop()` is idempotent. */
export interface ProgressReporter {
  /** Clears the timer and removes the block from a terminal. Call it when the run settles. */
  stop(): void;
}

const DEFAULTS = Object.freeze({ redrawMs: 150, plainMs: 1_000, rateWindowMs: 1_000 });

/**
 * Shows a run's progress on `output` until `stop()`: on a terminal, a block of one line per
 * stage redrawn in place every `redrawMs`; elsewhere (CI logs, pipes) one plain line every
 * `plainMs`, so a log gets a line a second rather than a frame per redraw.
 *
 * Costs one `read()` (a `run.stats()` or `run.metrics()` snapshot) per tick and nothing per item. The timer is
 * unref'd, so a forgotten reporter never keeps the process alive, but the owner should still
 * `stop()` it when the run settles: that is what clears the block before the summary.
 */
export function startProgress(
  read: () => ProgressSnapshot,
  output: TerminalOutput,
  options: ProgressOptions = {},
): ProgressReporter {
  const { redrawMs, plainMs, rateWindowMs } = { ...DEFAULTS, ...options };
  const tty = output.isTTY === true;
  // Snapshots from the last rate window; the oldest is the base for the rates shown.
  const history: ProgressSnapshot[] = [];
  let drawn = 0;
  let stopped = false;

  const tick = (): void => {
    const current = read();
    while (history.length > 1 && current.durationMs - history[1]!.durationMs >= rateWindowMs) {
      history.shift();
    }
    const base = history[0];
    if (tty) {
      // A pty may report 0 columns. One column short of the width: writing into the last
      // column wraps on some terminals, and a wrapped line breaks the redraw.
      const columns = output.columns !== undefined && output.columns > 0 ? output.columns : 80;
      const lines = renderProgressBlock(current, base, Math.max(20, columns - 1));
      output.write(redraw(drawn, lines));
      drawn = lines.length;
    } else {
      output.write(`${renderProgressLine(current, base)}\n`);
    }
    history.push(current);
  };

  const timer = setInterval(tick, tty ? redrawMs : plainMs);
  timer.unref();
  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (drawn > 0) output.write(erase(drawn));
      drawn = 0;
    },
  };
}
