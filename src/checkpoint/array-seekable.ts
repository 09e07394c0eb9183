import type { Positioned, Seekable } from "./seekable.js";
import { kSeekable } from "./seekable.js";

/**
 * An array as a seekable source: an item's position is how many items are done once it is
 * (its index + 1), so a resumed run starts at the saved count.
 */
export function arraySeekable<T>(items: readonly T[]): Seekable<T, number> {
  return {
    [kSeekable]: true,
    *read(after: number | undefined): Generator<Positioned<T, number>> {
      const start = after ?? 0;
      if (!Number.isSafeInteger(start) || start < 0 || start > items.length) {
        throw new RangeError(
          `The checkpoint's position ${JSON.stringify(after)} is not a count of items of this array (0 to ${items.length}): was it saved by another source?`,
        );
      }
      for (let i = start; i < items.length; i++) yield { value: items[i]!, position: i + 1 };
    },
  };
}
