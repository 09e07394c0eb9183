import { parseDuration } from "../internal/duration.js";
import { checkOptionsObject, hasMethods, invalid } from "../internal/validate.js";
import type { CheckpointStore } from "./checkpoint-store.js";

/** Marks a {@link Checkpoint}. */
const kCheckpoint: unique symbol = Symbol.for("sluice.checkpoint") as never;

/** Options of {@link checkpoint}. */
export interface CheckpointOptions {
  /**
   * How often progress is saved: a number is a count of completed items (`every: 1000`), a
   * string a time (`every: "5s"`, at most once per interval, and only when progress moved).
   * Default `"1s"`. The run saves once more when it settles, however it ended.
   */
  readonly every?: number | `${number}${"ms" | "s" | "m" | "h"}`;
}

/** What `from(source, { checkpoint })` takes: a store and how often to save to it. */
export interface Checkpoint<P = unknown> {
  readonly [kCheckpoint]: true;
  readonly store: CheckpointStore<P>;
  /** Completed items between saves, or `undefined` when saves go by time. */
  readonly everyItems: number | undefined;
  /** Milliseconds between saves, or `undefined` when saves go by count. */
  readonly everyMs: number | undefined;
}

/**
 * Progress that outlives the process: `from(source, { checkpoint: checkpoint(store) })`
 * records the position of the highest contiguous completed source item (and the items
 * completed past it), so a run that was killed resumes where it stopped without redoing
 * completed work. An item is completed when everything derived from it has left the last
 * stage, through filter, flatMap and batch; an item that failed and was skipped counts as
 * completed (it is in the run's errors). The source must be able to seek: an array,
 * `fileLines(path)`, `pgKeyset(…)` from "sluice/pg", or `seekable(read)`.
 *
 * @example
 * const progress = checkpoint(fileCheckpoint("./migrate.checkpoint.json"), { every: 1000 });
 * await from(rows, { checkpoint: progress }).map(transform, { concurrency: 8 }).forEach(write).run();
 * @throws {InvalidOptionError} when `store` lacks `load`, `save` or `clear`, or `every` is
 *   not a positive integer or a duration.
 */
export function checkpoint<P = unknown>(
  store: CheckpointStore<P>,
  options?: CheckpointOptions,
): Checkpoint<P> {
  if (!hasMethods(store, ["load", "save", "clear"])) {
    throw invalid(
      "checkpoint(store)",
      'a checkpoint store with load(), save(state) and clear(): fileCheckpoint(path), or pgCheckpoint(…) from "sluice/pg"',
      store,
    );
  }
  const raw = checkOptionsObject("checkpoint", options, ["every"]);
  const every = raw.every ?? "1s";
  let everyItems: number | undefined;
  let everyMs: number | undefined;
  if (typeof every === "number") {
    if (!Number.isSafeInteger(every) || every < 1) {
      throw invalid(
        "checkpoint.every",
        'an integer >= 1 (completed items between saves) or a duration such as "5s"',
        every,
      );
    }
    everyItems = every;
  } else {
    const ms = typeof every === "string" ? parseDuration(every) : undefined;
    if (ms === undefined || !(ms > 0)) {
      throw invalid(
        "checkpoint.every",
        'an integer >= 1 (completed items between saves) or a duration such as "5s"',
        every,
      );
    }
    everyMs = ms;
  }
  return Object.freeze({ [kCheckpoint]: true as const, store, everyItems, everyMs });
}

/** Whether `value` is a {@link Checkpoint}. */
export function isCheckpoint(value: unknown): value is Checkpoint {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [kCheckpoint]?: unknown })[kCheckpoint] === true
  );
}
