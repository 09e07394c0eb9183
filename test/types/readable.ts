// A Readable source is Pipeline<unknown>: its items must be narrowed before use.
import { Readable } from "node:stream";
import { from } from "../../src/index.js";

function needsNumber(n: number): number {
  return n;
}
const stream = from(Readable.from([1, 2]));

// @ts-expect-error unknown is not a number
stream.map((x) => needsNumber(x));
// @ts-expect-error unknown has no properties
stream.map((x) => x.length);
// @ts-expect-error a Readable's items are unknown, even collected
export const collected: Promise<number[]> = stream.run().collect();
// @ts-expect-error the same for a terminal's predicate
void stream.run().some((x) => needsNumber(x) > 1);
// @ts-expect-error a failure's item is unknown too
stream.map((x) => x, { onError: "collect" }).map((r) => (r.ok ? 0 : needsNumber(r.item)));

// Narrowed, it works (these lines must compile).
stream.filter((x): x is number => typeof x === "number").map((x) => needsNumber(x));
stream.map((x) => needsNumber(Number(x)));

// BUG: a function returning a Readable (what from()'s doc recommends for a stream read by
// more than one run) types the pipeline as Pipeline<any>, so this compiles:
// from(() => Readable.from([1])).map((x) => needsNumber(x).toFixed(x.nope));
// BUG: a Readable inside flatMap types the output as any, so this compiles:
// from([1]).flatMap(() => Readable.from(["a"])).map((x) => needsNumber(x));
// BUG: a Readable-or-iterable union types the pipeline as Pipeline<any>, so this compiles:
// from(Math.random() > 0.5 ? Readable.from([1]) : [1]).map((x) => needsNumber(x));
