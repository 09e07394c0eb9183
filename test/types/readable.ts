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

// A function returning a Readable (what from()'s doc recommends for a stream read by more
// than one run) is Pipeline<unknown> too.
// @ts-expect-error the item is unknown
from(() => Readable.from([1])).map((x) => needsNumber(x));
// A Readable inside flatMap: the values are unknown.
from([1])
  .flatMap(() => Readable.from(["a"]))
  // @ts-expect-error the value is unknown
  .map((x) => needsNumber(x));
// Known gap: a Readable-or-iterable union still types the pipeline as Pipeline<any> (the
// union matches neither overload whole); narrow the source first.
