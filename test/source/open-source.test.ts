import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import {
  from,
  InvalidOptionError,
  isInvalidOptionError,
  isSourceError,
  SourceError,
} from "../../src/index.js";
import { ArraySource } from "../../src/source/array-source.js";
import { AsyncSource } from "../../src/source/async-source.js";
import { openSource } from "../../src/source/open-source.js";
import { SyncSource } from "../../src/source/sync-source.js";
import { fakeRun } from "../helpers/fake-run.js";
import { settleTurns } from "../helpers/resources.js";

const SOURCE =
  "an Iterable, an AsyncIterable, a Readable, a ReadableStream, or a function returning one";
const ONE_SHOT =
  "Expected `from.source` to be re-iterable for a second run, got an iterator or stream (such as a generator object or a Readable) that an earlier run already read; pass a function that returns a fresh one: from(() => gen())";

describe("openSource", () => {
  test("reads an Iterable with the sync reader and an AsyncIterable with the async one", () => {
    assert.ok(openSource(new Set([1]), 4, fakeRun()) instanceof SyncSource);
    async function* gen(): AsyncGenerator<number> {}
    const asyncInput = openSource(gen(), 4, fakeRun());
    assert.ok(asyncInput instanceof AsyncSource);
    asyncInput.stop();
  });

  test("reads an array by index, unless its iteration was replaced", () => {
    assert.ok(openSource([1], 4, fakeRun()) instanceof ArraySource);
    class Reversed<T> extends Array<T> {
      override *[Symbol.iterator](): ArrayIterator<T> {
        for (let i = this.length - 1; i >= 0; i--) yield this[i]!;
      }
    }
    const reversed = Reversed.from([1, 2, 3]) as Reversed<number>;
    assert.ok(openSource(reversed, 4, fakeRun()) instanceof SyncSource);
  });

  test("calls a function source with the run's signal", () => {
    const run = fakeRun();
    let seen: AbortSignal | undefined;
    openSource(
      ({ signal }) => {
        seen = signal;
        return [];
      },
      4,
      run,
    );
    assert.equal(seen, run.signal);
  });
});

describe("function sources", () => {
  test("receive a signal that aborts when the run is cancelled", async () => {
    let signal: AbortSignal | undefined;
    const run = from((ctx) => {
      signal = ctx.signal;
      return [1, 2, 3];
    }).run();
    assert.deepEqual(await run.next(), { done: false, value: 1 });
    assert.ok(signal instanceof AbortSignal);
    assert.equal(signal.aborted, false);
    await run.cancel();
    assert.equal(signal.aborted, true);
  });

  test("are called once per run", async () => {
    let calls = 0;
    const pipeline = from(() => {
      calls++;
      return [calls];
    });
    assert.deepEqual(await pipeline.run().collect(), [1]);
    assert.deepEqual(await pipeline.run().collect(), [2]);
  });

  test("a source function that throws fails the run with a SourceError whose cause is the throw", async () => {
    const cause = new Error("cannot open file");
    await assert.rejects(
      from(() => {
        throw cause;
      })
        .map((x) => x)
        .run()
        .collect(),
      (error: unknown) => {
        assert.ok(error instanceof SourceError);
        assert.ok(isSourceError(error));
        assert.equal(error.code, "ERR_SLUICE_SOURCE_FAILED");
        assert.equal(error.cause, cause);
        assert.equal(error.pulled, 0);
        assert.equal(error.message, "Source failed after 0 item(s): cannot open file");
        return true;
      },
    );
  });

  test("a source function returning a non-iterable fails the run with an InvalidOptionError naming what it returned", async () => {
    await assert.rejects(
      from((() => 42) as never)
        .run()
        .collect(),
      (error: unknown) => {
        assert.ok(error instanceof InvalidOptionError);
        assert.equal(error.code, "ERR_SLUICE_INVALID_OPTION");
        assert.equal(error.option, "from.source()");
        assert.equal(error.value, 42);
        assert.equal(
          error.message,
          `Expected \`from.source()\` to be ${SOURCE}, the source function returned \`42\` (number)`,
        );
        return true;
      },
    );
  });

  test("an async function (returning a Promise) is refused with a hint, and its rejection is not left unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      await assert.rejects(
        from((async () => {
          throw new Error("query failed");
        }) as never)
          .run()
          .collect(),
        {
          message: `Expected \`from.source()\` to be ${SOURCE}, the source function returned \`{}\` (Promise); an async function returns a Promise: make it an async generator (async function*) or return the iterable itself`,
        },
      );
      await settleTurns();
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("one-shot sources", () => {
  test("a generator object passed directly runs once; the second run is refused with a hint to pass a function", async () => {
    const pipeline = from(
      (function* () {
        yield 1;
        yield 2;
      })(),
    ).map((x) => x);
    assert.deepEqual(await pipeline.run().collect(), [1, 2]);
    await assert.rejects(pipeline.run().collect(), (error: unknown) => {
      assert.ok(isInvalidOptionError(error));
      assert.equal(error.option, "from.source");
      assert.equal(error.message, ONE_SHOT);
      return true;
    });
  });

  test("an async generator object passed directly runs once", async () => {
    const pipeline = from(
      (async function* () {
        yield 1;
      })(),
    );
    assert.deepEqual(await pipeline.run().collect(), [1]);
    await assert.rejects(pipeline.run().collect(), { message: ONE_SHOT });
  });

  test("a Readable passed directly runs once instead of silently yielding nothing the second time", async () => {
    const pipeline = from(Readable.from(["x", "y"]));
    assert.deepEqual(await pipeline.run().collect(), ["x", "y"]);
    await assert.rejects(pipeline.run().collect(), { message: ONE_SHOT });
  });

  test("re-iterable sources (arrays, Sets) run any number of times", async () => {
    const pipeline = from(new Set([1, 2])).map((x) => x + 1);
    assert.deepEqual(await pipeline.run().collect(), [2, 3]);
    assert.deepEqual(await pipeline.run().collect(), [2, 3]);
  });
});
