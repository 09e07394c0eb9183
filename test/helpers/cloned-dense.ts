import { serialize } from "node:v8";

/**
 * Whether structured clone writes `array` as a dense list (tag `A` after the two header bytes)
 * rather than as a sparse object, one index per element (tag `a`): what V8 does with an array
 * whose elements kind is "holey", however full it is.
 */
export function clonedDense(array: readonly unknown[]): boolean {
  return serialize(array)[2] === "A".charCodeAt(0);
}
