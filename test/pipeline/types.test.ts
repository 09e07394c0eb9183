/* eslint-disable @typescript-eslint/no-unused-vars -- values exist only to have their types checked */
import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { test } from "node:test";
import {
  type Failure,
  from,
  type Pipeline,
  type Result,
  type Run,
  type RunSummary,
  type Sink,
  type StageDescription,
  type StageOptions,
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

test("stage options typed as StageOptions may collect, so the output type says so", () => {
  // A variable of the wide type could hold `onError: "collect"`: the output is either.
  const options: StageOptions<number> = { concurrency: 2 };
  const mapped = from([1]).map((x) => String(x), options);
  expectType<typeof mapped, Pipeline<string | Result<string, number>>>(true);
  type Collected = ReturnType<ReturnType<typeof mapped.run>["collect"]>;
  expectType<Collected, Promise<(string | Result<string, number>)[]>>(true);

  const filtered = from([1]).filter((x) => x > 0, options);
  expectType<typeof filtered, Pipeline<number | Result<number, number>>>(true);
  const flat = from([1]).flatMap((x) => [String(x)], options);
  expectType<typeof flat, Pipeline<string | Result<string, number>>>(true);
  const tapped = from([1]).tap(() => {}, options);
  expectType<typeof tapped, Pipeline<number | Result<number, number>>>(true);
  // forEach with the wide type: collected failures, or nothing at all (a Sink).
  const consumed = from([1]).forEach(() => {}, options);
  expectType<typeof consumed, Pipeline<Failure<number>> | Sink>(true);

  // Literals and narrower variables pick the exact overload.
  const skipped = from([1]).map((x) => String(x), { onError: "skip" });
  expectType<typeof skipped, Pipeline<string>>(true);
  const failing = from([1]).map((x) => String(x), { onError: "fail", concurrency: "cpus" });
  expectType<typeof failing, Pipeline<string>>(true);
  const plain = { concurrency: 4, ordered: true };
  const withPlain = from([1]).map((x) => String(x), plain);
  expectType<typeof withPlain, Pipeline<string>>(true);
  const collectOptions = { onError: "collect" } as const;
  const withCollect = from([1]).map((x) => String(x), collectOptions);
  expectType<typeof withCollect, Pipeline<Result<string, number>>>(true);

  const filterSkip = from([1]).filter((x) => x > 0, { onError: "skip" });
  expectType<typeof filterSkip, Pipeline<number>>(true);
  const filterCollect = from([1]).filter((x) => x > 0, { onError: "collect" });
  expectType<typeof filterCollect, Pipeline<Result<number, number>>>(true);
  const guardSkip = from([1, "a"]).filter((v): v is string => typeof v === "string", {
    onError: "skip",
  });
  expectType<typeof guardSkip, Pipeline<string>>(true);
  const flatSkip = from([1]).flatMap((x) => [String(x)], { onError: "skip" });
  expectType<typeof flatSkip, Pipeline<string>>(true);
  const flatCollect = from([1]).flatMap((x) => [String(x)], { onError: "collect" });
  expectType<typeof flatCollect, Pipeline<Result<string, number>>>(true);
  const tapSkip = from([1]).tap(() => {}, { onError: "skip" });
  expectType<typeof tapSkip, Pipeline<number>>(true);
  const tapCollect = from([1]).tap(() => {}, { onError: "collect" });
  expectType<typeof tapCollect, Pipeline<Result<number, number>>>(true);
  const forEachSkip = from([1]).forEach(() => {}, { onError: "skip" });
  expectType<typeof forEachSkip, Sink>(true);

  // deadLetter receives the stage's input type.
  from([1]).map((x) => x, {
    onError: "skip",
    deadLetter: (item, error) => {
      expectType<typeof item, number>(true);
      expectType<typeof error, unknown>(true);
    },
  });
  assert.ok(true);
});

test("sources: a Readable is Pipeline<unknown>, never any; generators keep their type", () => {
  // The helper tells `any` from `unknown`, so the checks below really exclude `any`.
  expectType<any, unknown>(false);
  expectType<unknown, unknown>(true);

  const readable = from(Readable.from([1, 2]));
  expectType<typeof readable, Pipeline<unknown>>(true);
  expectType<typeof readable, Pipeline<any>>(false);
  const withOptions = from(Readable.from([1]), { buffer: 4 });
  expectType<typeof withOptions, Pipeline<unknown>>(true);
  const passThrough = from(new PassThrough({ objectMode: true }));
  expectType<typeof passThrough, Pipeline<unknown>>(true);
  // Narrowing: a type-guard filter or a typed map.
  const numbers = readable.filter((x): x is number => typeof x === "number");
  expectType<typeof numbers, Pipeline<number>>(true);
  const strings = readable.map((chunk) => {
    expectType<typeof chunk, unknown>(true);
    return String(chunk);
  });
  expectType<typeof strings, Pipeline<string>>(true);

  const asyncFunction = from(async function* () {
    yield 1;
  });
  expectType<typeof asyncFunction, Pipeline<number>>(true);
  const asyncObject = from(
    (async function* () {
      yield "a";
    })(),
  );
  expectType<typeof asyncObject, Pipeline<string>>(true);
  const syncFunction = from(function* ({ signal }) {
    expectType<typeof signal, AbortSignal>(true);
    yield 1n;
  });
  expectType<typeof syncFunction, Pipeline<bigint>>(true);
  const set = from(new Set(["a"]));
  expectType<typeof set, Pipeline<string>>(true);
  assert.ok(true);
});

test("forEach ends the pipeline in a Sink; awaiting a run gives its summary", () => {
  const sink = from([1]).forEach(() => {});
  expectType<typeof sink, Sink>(true);
  expectType<typeof sink.stages, readonly StageDescription[]>(true);
  expectType<ReturnType<typeof sink.run>, Run<never>>(true);
  expectType<keyof Sink, "stages" | "run">(true);

  // Never called: only the types of the awaited values matter here.
  const _awaited = async () => {
    const sunk = await from([1])
      .forEach(() => {})
      .run();
    expectType<typeof sunk, RunSummary>(true);
    const mapped = await from([1])
      .map((x) => x)
      .run();
    expectType<typeof mapped, RunSummary>(true);
    const collectedFailures = await from([1])
      .forEach(() => {}, { onError: "collect" })
      .run()
      .collect();
    expectType<typeof collectedFailures, Failure<number>[]>(true);
  };
  assert.ok(true);
});

test("step operators keep or set the item type", () => {
  const taken = from([1]).take(1);
  expectType<typeof taken, Pipeline<number>>(true);
  const dropped = from(["a"]).drop(1, { name: "header" });
  expectType<typeof dropped, Pipeline<string>>(true);
  const distinct = from([{ id: 1 }]).distinct((item) => {
    expectType<typeof item, { id: number }>(true);
    return item.id;
  });
  expectType<typeof distinct, Pipeline<{ id: number }>>(true);
  const distinctPlain = from([1n]).distinct(undefined, { limit: 10 });
  expectType<typeof distinctPlain, Pipeline<bigint>>(true);

  const sums = from([1]).scan((sum, x) => sum + x, 0);
  expectType<typeof sums, Pipeline<number>>(true);
  const text = from([1]).scan((acc, x, index) => {
    expectType<typeof acc, string>(true);
    expectType<typeof x, number>(true);
    expectType<typeof index, number>(true);
    return acc + String(x);
  }, "");
  expectType<typeof text, Pipeline<string>>(true);
  const windows = from([1]).scan((acc, x) => [...acc, x].slice(-3), [] as number[]);
  expectType<typeof windows, Pipeline<number[]>>(true);
  assert.ok(true);
});

test("a run's terminals are typed from its item type", () => {
  // Never called: the terminals would start runs.
  const _terminals = (run: Run<number>, words: Run<string | number>) => {
    expectType<ReturnType<typeof run.collect>, Promise<number[]>>(true);
    expectType<ReturnType<typeof run.toArray>, Promise<number[]>>(true);
    expectType<ReturnType<typeof run.drain>, Promise<RunSummary>>(true);
    expectType<typeof run.settled, Promise<RunSummary>>(true);
    expectType<ReturnType<typeof run.cancel>, Promise<RunSummary>>(true);
    expectType<ReturnType<typeof run.stats>, RunSummary>(true);
    expectType<Awaited<typeof run>, RunSummary>(true);

    const total = run.reduce((sum, x) => sum + String(x), "");
    expectType<typeof total, Promise<string>>(true);
    const max = run.reduce((a, b) => Math.max(a, b));
    expectType<typeof max, Promise<number>>(true);
    const asyncFold = run.reduce(async (list, x) => [...list, x], [] as number[]);
    expectType<typeof asyncFold, Promise<number[]>>(true);

    expectType<ReturnType<typeof run.some>, Promise<boolean>>(true);
    expectType<ReturnType<typeof run.every>, Promise<boolean>>(true);
    const firstString = words.find((w): w is string => typeof w === "string");
    expectType<typeof firstString, Promise<string | undefined>>(true);
    const firstBig = words.find((w) => Number(w) > 1);
    expectType<typeof firstBig, Promise<string | number | undefined>>(true);

    expectType<ReturnType<typeof run.toReadable>, Readable>(true);
    expectType<ReturnType<typeof run.toWeb>, ReadableStream<number>>(true);
    expectType<ReturnType<typeof run.next>, Promise<IteratorResult<number, undefined>>>(true);
  };
  const _iterate = async (run: Run<{ id: string }>) => {
    for await (const item of run) expectType<typeof item, { id: string }>(true);
  };
  assert.ok(true);
});

test("the context has slot, and worker (deprecated) as its alias", () => {
  from([1]).map((x, ctx) => {
    expectType<typeof ctx.slot, number>(true);
    expectType<typeof ctx.worker, number>(true);
    return x;
  });
  assert.ok(true);
});
