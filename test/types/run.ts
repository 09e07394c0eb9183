// Misuses of a Run's terminals that must not compile.
import { from, type RunSummary } from "../../src/index.js";

const run = from([1, 2, 3]).run();
const sunk = from([1]).forEach(() => {});

// @ts-expect-error reduce needs a function
void run.reduce();
// @ts-expect-error without an initial value the accumulator is the item type
void run.reduce((acc, x) => String(acc + x));
// @ts-expect-error with an initial value the result is the accumulator's type
export const sum: Promise<number> = run.reduce((acc, x) => acc + String(x), "");
// @ts-expect-error some resolves to a boolean
export const some: Promise<number> = run.some((x) => x > 1);
// @ts-expect-error every resolves to a boolean
export const every: Promise<string> = run.every((x) => x > 1);
// @ts-expect-error find may find nothing
export const found: Promise<number> = run.find((x) => x > 1);
void from([1, "a"])
  .run()
  .find((v): v is string => typeof v === "string")
  // @ts-expect-error a type-guard find narrows: strings have no toFixed
  .then((s) => s?.toFixed());
// @ts-expect-error toArray holds the run's items
export const array: Promise<string[]> = run.toArray();
// @ts-expect-error toWeb streams the run's items
export const web: ReadableStream<string> = run.toWeb();
// @ts-expect-error unknown key in toReadable's options
run.toReadable({ objectMode: false });
// @ts-expect-error unknown key in toWeb's options
run.toWeb({ highWatermark: 1 });

// Awaiting a run gives its summary, not its items.
export async function awaited(): Promise<void> {
  // @ts-expect-error a summary is not an array of items
  const items: number[] = await from([1])
    .map((x) => x)
    .run();
  const none = await sunk.run().collect();
  // @ts-expect-error a forEach run yields no items
  none.push(1);
  // @ts-expect-error a Sink is not a Run: run() it first
  await sunk.collect();
  const summary: RunSummary = await sunk.run();
  void [items, none, summary];
}
