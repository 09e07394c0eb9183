// merge() types its pipeline as from() does: arrays of numbers give numbers, not literals.
import { from, merge, type Pipeline } from "../../src/index.js";

export const mixed: Pipeline<number | string> = merge([1, 2], ["a"]);
export const sum: Promise<number> = merge([1, 2], [3])
  .run()
  .reduce((x, y) => x + y, 0);
export const pipelines: Pipeline<number | string> = merge(
  from([1]),
  from(["a"]).map((s) => s),
);
// @ts-expect-error the items are numbers, not the literals 1 | 2
export const literal: Pipeline<1 | 2> = merge([1, 2]);
