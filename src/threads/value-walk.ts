/**
 * The bounds of a walk through a batch's values (own-bytes.ts looks for views of the
 * packing, buffer-marks.ts for `Buffer`s): one set of limits, so both walks reach the same
 * depth and give up at the same size.
 * @module
 */

/** Containers deeper than this are looked into only once each (a set of those seen). */
export const SHALLOW = 3;
/** Deepest container looked into. */
export const MAX_DEPTH = 64;
/** Containers looked into per value of the batch, at most (shared ones count each time). */
const CONTAINERS_PER_VALUE = 256;

/** Containers a walk over `values` values may look into. */
export function walkBudget(values: number): number {
  return CONTAINERS_PER_VALUE * values + 1024;
}
