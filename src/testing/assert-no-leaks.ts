import { AssertionError } from "node:assert";
import { previewValue } from "../internal/describe-value.js";
import {
  checkOptionsObject,
  functionArgument,
  integerOption,
  invalid,
} from "../internal/validate.js";
import { trackRejections } from "./rejection-tracker.js";
import { countResources, settle, settleTurns } from "./settle.js";
import { type PendingTimer, trackTimers } from "./timer-tracker.js";

/** Defaults for {@link assertNoLeaks}. */
export const assertNoLeaksDefaults = Object.freeze({
  /** The most event-loop turns to wait for things to close before reporting them. */
  turns: 20,
});

/** The check passes as soon as nothing is left after this many turns (or `turns` if fewer). */
const MIN_TURNS = 3;

/** Options of {@link assertNoLeaks}. */
export interface AssertNoLeaksOptions {
  /**
   * The most event-loop turns (`setImmediate` rounds) to wait after `fn` settles for what it
   * started to close, before reporting what is left. The check passes as soon as nothing is
   * left, after at least 3 turns, so a clean block costs 3 turns whatever this says. Default
   * 20; integer >= 1.
   */
  readonly turns?: number;
  /**
   * Resource kinds not to report, as `process.getActiveResourcesInfo()` names them (such as
   * `"TTYWrap"` for a terminal the block opened on purpose). Default: none.
   */
  readonly ignore?: readonly string[];
}

/**
 * Runs `fn`, waits for it, and fails if it left anything running behind it: use it around a
 * test of anything that starts timers, handles or promises, to prove that they all ended with
 * it (STYLE: every concurrent thing has an owner that waits for it).
 *
 * After `fn` settles it waits a few event-loop turns (see `turns`) for closes to complete, then
 * checks three things against the state before `fn` ran:
 *
 * - **resources**: new entries of `process.getActiveResourcesInfo()`, by kind (`Timeout`,
 *   `Immediate`, `TCPSocketWrap`, `MessagePort`, `FSReqCallback`, ...);
 * - **timers**: timers set through the global `setTimeout`, `setInterval` and `setImmediate`
 *   while `fn` ran that are still pending, `unref()`ed ones included, each with where it was
 *   set (the globals are wrapped for the duration of the check);
 * - **unhandled rejections**: promises rejected with no handler while it ran. For the
 *   duration, the process's other `unhandledRejection` listeners (a test runner's) are set
 *   aside, so such a rejection fails this check instead of some other test.
 *
 * Resolves with what `fn` returned. When `fn` throws, its error is re-thrown as it is and
 * nothing is checked. Counts are per kind, so a block that closes one of the runner's handles
 * and opens its own of the same kind goes unnoticed; work running alongside the block in the
 * same process (concurrent tests) is counted as the block's.
 *
 * Cost: 3 to `turns` event-loop turns before and after `fn`, and one captured stack per timer
 * set while it runs.
 *
 * @throws {AssertionError} (`code: "ERR_ASSERTION"`) listing what was left behind; its
 *   `actual` holds the same lines, `expected` is `[]`.
 * @throws {InvalidOptionError} when `fn` is not a function or an option is bad.
 */
export async function assertNoLeaks<T>(
  fn: () => T | PromiseLike<T>,
  options?: AssertNoLeaksOptions,
): Promise<Awaited<T>> {
  const block = functionArgument<() => T | PromiseLike<T>>("assertNoLeaks(fn)", fn);
  const raw = checkOptionsObject("assertNoLeaks", options, ["turns", "ignore"]);
  const turns = integerOption("assertNoLeaks.turns", raw.turns, assertNoLeaksDefaults.turns, 1);
  const ignore = ignoreOption(raw.ignore);

  // The caller's own leftovers settle first, so they are part of the baseline.
  await settleTurns(MIN_TURNS);
  const before = countResources();
  const timers = trackTimers();
  const rejections = trackRejections();
  let result: Awaited<T>;
  let leaks: string[] = [];
  try {
    result = await block();
    for (let turn = 1; turn <= turns; turn++) {
      await settle();
      if (turn < Math.min(MIN_TURNS, turns)) continue;
      leaks = findLeaks(before, ignore, timers.pending(), rejections.unhandled());
      if (leaks.length === 0) break;
    }
  } finally {
    timers.stop();
    rejections.stop();
  }
  if (leaks.length > 0) {
    throw new AssertionError({
      message: `Resources left behind: ${leaks.join("\n  ")}`,
      actual: leaks,
      expected: [],
      operator: "assertNoLeaks",
    });
  }
  return result;
}

function ignoreOption(value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || !value.every((kind) => typeof kind === "string")) {
    throw invalid("assertNoLeaks.ignore", "an array of resource kinds (strings)", value);
  }
  return new Set(value as string[]);
}

/**
 * What is left, as report lines: first the resource kinds in one line (`Timeout × 1,
 * MessagePort × 2`), then one line per pending timer and per unhandled rejection.
 */
function findLeaks(
  before: ReadonlyMap<string, number>,
  ignore: ReadonlySet<string>,
  timers: readonly PendingTimer[],
  rejections: readonly unknown[],
): string[] {
  const kinds: string[] = [];
  for (const [kind, count] of countResources()) {
    const extra = count - (before.get(kind) ?? 0);
    if (extra > 0 && !ignore.has(kind)) kinds.push(`${kind} × ${extra}`);
  }
  return [
    ...(kinds.length > 0 ? [kinds.join(", ")] : []),
    ...timers.map(describeTimer),
    ...rejections.map((reason) => `unhandled rejection: ${describeReason(reason)}`),
  ];
}

function describeTimer(timer: PendingTimer): string {
  const what =
    timer.kind === "setImmediate"
      ? "setImmediate"
      : timer.kind === "setInterval"
        ? `setInterval every ${timer.ms} ms`
        : `setTimeout of ${timer.ms} ms`;
  return `pending ${what}, set at ${timer.at}`;
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  return previewValue(reason);
}
