/* eslint-disable @typescript-eslint/no-unused-vars -- values exist only to have their types checked */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import {
  type Failure,
  from,
  type Pipeline,
  type Result,
  type Run,
  type Sink,
} from "../../src/index.js";

/** Compiles only when `A` and `B` are the same type. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<A, B>(_proof: Equal<A, B>): void {}

// These cases are checked by the compiler (`npm test` compiles before it runs); the runtime
// test only makes the file count as run.
test("a stage's output type flows into the next stage's function", () => {
  const lengths = from([1])
    .map((x) => String(x))
    .map((s) => {
      expectType<typeof s, string>(true);
      return s.length;
    });
  expectType<typeof lengths, Pipeline<number>>(true);

  const awaited = from([1]).map(async (x) => ({ x }));
  expectType<typeof awaited, Pipeline<{ x: number }>>(true);

  const narrowed = from([1, "a"] as (number | string)[]).filter(
    (v): v is string => typeof v === "string",
  );
  expectType<typeof narrowed, Pipeline<string>>(true);

  const kept = from([1, 2]).filter(async (x) => x > 1);
  expectType<typeof kept, Pipeline<number>>(true);

  const flat = from(["a b"]).flatMap((s) => s.split(" "));
  expectType<typeof flat, Pipeline<string>>(true);

  const flatAsync = from([1]).flatMap(async function* (x) {
    yield x.toFixed(1);
  });
  expectType<typeof flatAsync, Pipeline<string>>(true);

  const tapped = from([1n]).tap(() => "ignored");
  expectType<typeof tapped, Pipeline<bigint>>(true);

  const batches = from([1]).batch({ size: 2 });
  expectType<typeof batches, Pipeline<number[]>>(true);

  const sunk = from([1]).forEach(() => {});
  expectType<typeof sunk, Sink>(true);

  const results = from([1]).map((x) => `${x}`, { onError: "collect" });
  expectType<typeof results, Pipeline<Result<string, number>>>(true);

  const failures = from([1]).forEach(() => {}, { onError: "collect" });
  expectType<typeof failures, Pipeline<Failure<number>>>(true);

  const fromAsync = from(async function* () {
    yield 1;
  });
  expectType<typeof fromAsync, Pipeline<number>>(true);

  const fromReadable = from<Buffer>(Readable.from([Buffer.from("x")]));
  expectType<typeof fromReadable, Pipeline<Buffer>>(true);

  const run = from([1])
    .map((x) => x > 0)
    .run();
  expectType<typeof run, Run<boolean>>(true);

  assert.ok(true);
});

test("the context is typed and read-only", () => {
  from([1]).map((x, ctx) => {
    expectType<typeof ctx.signal, AbortSignal>(true);
    expectType<typeof ctx.index, number>(true);
    expectType<typeof ctx.stage, string>(true);
    // @ts-expect-error ctx is read-only for stage functions
    ctx.index = 3;
    return x;
  });
  assert.ok(true);
});

test("bad calls do not compile", () => {
  // @ts-expect-error concurrency is a number or "cpus"
  assert.throws(() => from([1]).map((x) => x, { concurrency: "many" }));
  // @ts-expect-error unknown options are type errors too
  assert.throws(() => from([1]).map((x) => x, { concurency: 2 }));
  // @ts-expect-error batch needs a size
  assert.throws(() => from([1]).batch({}));
});
