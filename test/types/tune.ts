// What tune() accepts and refuses, at compile time.
import { from, tune, type TuneOptions, type TuneResult } from "../../src/index.js";

// Any pipeline, a Sink, or a function that builds one (sync or async) is accepted.
export const typed: Promise<TuneResult> = tune(from([1, 2]).map((n) => n * 2));
void tune(from(["a"]).forEach(() => {}));
void tune(() => from([1]).map(String));
void tune(async () => from([1]).filter((n) => n > 0));
void tune(() => from([1]).forEach(() => {}), { stage: "forEach#1", slo: "250ms" });

// @ts-expect-error an array is not a pipeline
void tune([1, 2, 3]);
// @ts-expect-error a function must return a pipeline
void tune(() => 42);
const doubled = from([1]).map((n) => n * 2);
// @ts-expect-error slo is ms or a duration string with a unit
void tune(doubled, { slo: "fast" });
// @ts-expect-error sample is a number
void tune(doubled, { sample: "100" });
// @ts-expect-error unknown option
void tune(doubled, { samples: 100 });
// @ts-expect-error onTrial receives a row, not a number
export const bad: TuneOptions = { onTrial: (row: number) => row };
