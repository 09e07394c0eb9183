import type { StageFn } from "../pipeline/types.js";
import { Slot } from "./reorder-ring.js";
import { isThenable } from "./thenable.js";
import type { MutableContext } from "./worker-slots.js";

/** What a flatMap task needs from its stage. */
export interface ManyHost {
  readonly spec: { readonly name: string };
  readonly stopped: boolean;
  readonly ordered: boolean;
  /** Whether one more value may be emitted now; a promise of it when the stage is full. */
  roomForOne(): boolean | Promise<boolean>;
  /** Emits one value (wrapped as a result under `onError: "collect"`). */
  emit(value: unknown): void;
  /** Settles an ordered item in the reorder ring. */
  settle(index: number, state: Slot, value: unknown): void;
  /** Wraps a value as a result when the stage collects. */
  wrap(value: unknown): unknown;
  countFiltered(): void;
}

/**
 * Runs a flatMap function for one item and emits the values of what it returns. Unordered,
 * values stream out as they are iterated, waiting for room; ordered, they are gathered and
 * settled in the reorder ring. Resolves with the number of values, or -1 if the run stopped
 * midway (breaking out of the loop closes the inner iterator).
 */
export async function expandMany(
  host: ManyHost,
  fn: StageFn<unknown, unknown>,
  item: unknown,
  index: number,
  ctx: MutableContext,
): Promise<number> {
  let result: unknown = fn(item, ctx);
  if (isThenable(result)) result = await result;
  const iterable = asIterable(result, host.spec.name, index);
  const sync = typeof (iterable as Iterable<unknown>)[Symbol.iterator] === "function";
  if (!host.ordered) {
    let count = 0;
    // A sync iterable (an array, usually) is walked without a promise per value.
    if (sync) {
      for (const value of iterable as Iterable<unknown>) {
        const room = host.roomForOne();
        if (room !== true && !(await room)) return -1;
        host.emit(value);
        count++;
      }
    } else {
      for await (const value of iterable) {
        const room = host.roomForOne();
        if (room !== true && !(await room)) return -1;
        host.emit(value);
        count++;
      }
    }
    return count;
  }
  let values: unknown[];
  if (sync) {
    values = Array.from(iterable as Iterable<unknown>);
  } else {
    values = [];
    for await (const value of iterable) {
      if (host.stopped) return -1;
      values.push(value);
    }
  }
  if (host.stopped) return -1;
  if (values.length === 0) {
    host.countFiltered();
    host.settle(index, Slot.None, undefined);
  } else {
    host.settle(
      index,
      Slot.Many,
      values.map((value) => host.wrap(value)),
    );
  }
  return values.length;
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
