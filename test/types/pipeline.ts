// Misuses of Pipeline's operators and options that must not compile.
import { from, type StageOptions } from "../../src/index.js";

const numbers = from([1, 2, 3]);
const sink = numbers.forEach(() => {});

// A plain forEach is a Sink: nothing comes out, so no stage may follow.
// @ts-expect-error map after a plain forEach
sink.map((x) => x);
// @ts-expect-error filter after a plain forEach
sink.filter(() => true);
// @ts-expect-error flatMap after a plain forEach
sink.flatMap(() => []);
// @ts-expect-error tap after a plain forEach
sink.tap(() => {});
// @ts-expect-error forEach after a plain forEach
sink.forEach(() => {});
// @ts-expect-error batch after a plain forEach
sink.batch({ size: 2 });
// @ts-expect-error take after a plain forEach
sink.take(1);
// @ts-expect-error drop after a plain forEach
sink.drop(1);
// @ts-expect-error scan after a plain forEach
sink.scan((a) => a, 0);
// @ts-expect-error distinct after a plain forEach
sink.distinct();
// Chained directly, the same (prettier splits the chain: the directive sits on the bad call).
from([1])
  .forEach(() => {})
  // @ts-expect-error map after a plain forEach
  .map((x) => x);
from([1])
  .forEach(() => {}, { onError: "skip" })
  // @ts-expect-error onError "skip" is still a plain forEach
  .map((x) => x);
from([1])
  .forEach(() => {}, { onError: "fail" })
  // @ts-expect-error onError "fail" is still a plain forEach
  .take(1);

// forEach with a StageOptions-typed variable may or may not collect: a Sink or a pipeline of
// failures, so a stage after it needs a narrowing first.
const wide: StageOptions<number> = { concurrency: 2 };
from([1])
  .forEach(() => {}, wide)
  // @ts-expect-error a Sink has no map
  .map((x) => x);

// Options: bad values and unknown keys.
// @ts-expect-error concurrency is a number or "cpus"
numbers.map((x) => x, { concurrency: "many" });
// @ts-expect-error onError is "fail", "skip" or "collect"
numbers.map((x) => x, { onError: "ignore" });
// @ts-expect-error unknown key in a stage's options
numbers.map((x) => x, { concurency: 2 });
// @ts-expect-error unknown key next to onError: "collect"
numbers.map((x) => x, { onError: "collect", retries: 3 });
// @ts-expect-error unknown key in filter's options
numbers.filter(() => true, { order: true });
// @ts-expect-error unknown key in forEach's options
numbers.forEach(() => {}, { paralel: 4 });
// @ts-expect-error exactOptionalPropertyTypes: name may be absent, not undefined
numbers.map((x) => x, { name: undefined });
// @ts-expect-error deadLetter gets the stage's input type
numbers.map((x) => x, { onError: "skip", deadLetter: (item: string) => void item });
const wideForStrings: StageOptions<string> = { onError: "skip" };
// @ts-expect-error options typed for another input type (deadLetter would get strings)
numbers.map((x) => x, wideForStrings);
// @ts-expect-error batch needs a size
numbers.batch({});
// @ts-expect-error unknown key in batch's options
numbers.batch({ size: 2, wait: 10 });
// @ts-expect-error maxWait is ms or a duration string
numbers.batch({ size: 2, maxWait: true });
// @ts-expect-error take counts with a number
numbers.take("1");
// @ts-expect-error unknown key in take's options
numbers.take(1, { limit: 2 });
// @ts-expect-error unknown key in distinct's options
numbers.distinct(undefined, { max: 10 });
// @ts-expect-error unknown key in from's options
from([1], { bufer: 8 });
// @ts-expect-error unknown key in run's options
numbers.run({ timeout: 5 });

// Item types flow through: a stage's function gets the previous stage's output type.
// @ts-expect-error the items are numbers, not strings
numbers.map((s: string) => s);
// @ts-expect-error after map(String) the items are strings
numbers.map(String).map((x) => x.toFixed(1));
// @ts-expect-error flatMap's function must return an iterable
numbers.flatMap((x) => x);
from([1, "a"])
  .filter((v): v is string => typeof v === "string")
  // @ts-expect-error a type-guard filter narrows: strings have no toFixed
  .map((s) => s.toFixed());
// @ts-expect-error batch's items are arrays
numbers.batch({ size: 2 }).map((x) => x.toFixed());
// @ts-expect-error collect's items are Results, not numbers
numbers.map((x) => x, { onError: "collect" }).map((x) => x.toFixed());
// @ts-expect-error a wide StageOptions may collect: the items may be Results
numbers.map((x) => x, wide).map((x) => x.toFixed());
// @ts-expect-error the accumulator's type comes from initial: number, not string
numbers.scan((acc, x) => String(acc + x), 0);
// @ts-expect-error an annotated accumulator must match initial
numbers.scan((acc: number, x) => acc + x, "0");
// @ts-expect-error scan's function is synchronous
numbers.scan(async (acc, x) => acc + x, 0);
// @ts-expect-error scan needs an initial value
numbers.scan((acc: number, x) => acc + x);
// @ts-expect-error ctx is read-only
numbers.map((x, ctx) => (ctx.slot = x));

// Not sources.
// @ts-expect-error a number is not a source
from(42);
// @ts-expect-error a promise of an array is not a source
from(Promise.resolve([1]));
