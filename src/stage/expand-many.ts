import type { StageContext, StageFn } from "../contract/types.js";
import { isThenable } from "./thenable.js";

/** What a flatMap task needs from its stage. */
export interface ManyHost {
  readonly name: string;
  /** Whether the stage keeps input order: items then take turns to stream their values. */
  readonly ordered: boolean;
  /** Ordered: true once it is item `index`'s turn to emit, false if the stage stopped first. */
  waitTurn(index: number): boolean | Promise<boolean>;
  /** Whether one more value may be emitted now; a promise of it when the stage is full. */
  roomForOne(): boolean | Promise<boolean>;
  /** Emits one value of `item`'s (wrapped as a result under `onError: "collect"`). */
  emit(value: unknown, item: unknown): void;
}

/**
 * Runs a flatMap function for one item and streams the values of what it returns, waiting
 * for room before each one, so an inner iterable is pulled only as fast as the output is read
 * (an endless one is fine). Ordered, the function calls still overlap, but each item's values
 * stream only on its turn, in input order. Resolves with the number of values, or -1 if the
 * stage stopped midway (leaving the loop closes the inner iterator). A failure on an ordered
 * item is reported on its turn, so a collected failure keeps its place.
 */
export async function expandMany(
  host: ManyHost,
  fn: StageFn<unknown, unknown>,
  item: unknown,
  index: number,
  ctx: StageContext,
): Promise<number> {
  let iterable: Iterable<unknown> | AsyncIterable<unknown>;
  try {
    let result: unknown = fn(item, ctx);
    if (isThenable(result)) result = await result;
    iterable = asIterable(result, host.name, index);
  } catch (error) {
    if (host.ordered && !(await host.waitTurn(index))) return -1;
    throw error;
  }
  if (host.ordered) {
    const turn = host.waitTurn(index);
    if (turn !== true && !(await turn)) {
      closeQuietly(iterable);
      return -1;
    }
  }
  let count = 0;
  // A sync iterable (an array, usually) is walked without a promise per value.
  if (typeof (iterable as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const value of iterable as Iterable<unknown>) {
      const room = host.roomForOne();
      if (room !== true && !(await room)) return -1;
      host.emit(value, item);
      count++;
    }
  } else {
    for await (const value of iterable) {
      const room = host.roomForOne();
      if (room !== true && !(await room)) return -1;
      host.emit(value, item);
      count++;
    }
  }
  return count;
}

/** An iterable never iterated because the stage stopped: let a generator run its finally. */
function closeQuietly(iterable: Iterable<unknown> | AsyncIterable<unknown>): void {
  const closable = iterable as { return?: () => unknown };
  if (typeof closable.return !== "function") return;
  try {
    const closing = closable.return();
    if (isThenable(closing)) closing.then(undefined, () => {});
  } catch {
    // The stage is stopping for another reason; that reason is what the run reports.
  }
}

function asIterable(
  result: unknown,
  stage: string,
  index: number,
): Iterable<unknown> | AsyncIterable<unknown> {
  if (
    typeof result === "object" &&
    result !== null &&
    (typeof (result as Iterable<unknown>)[Symbol.iterator] === "function" ||
      typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function")
  ) {
    return result as Iterable<unknown>;
  }
  throw new TypeError(
    `Expected the flatMap function of stage "${stage}" to return an Iterable or AsyncIterable for item #${index}, got ${result === null ? "null" : typeof result}`,
  );
}
