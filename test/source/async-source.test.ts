import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { channel, from, isCancelledError, SourceError } from "../../src/index.js";
import { AsyncSource } from "../../src/source/async-source.js";
import { fakeRun } from "../helpers/fake-run.js";
import { assertNoLeaks, settleTurns } from "../helpers/resources.js";

/** An endless async generator that counts what it yielded and whether its finally ran. */
function endless(): {
  readonly gen: () => AsyncGenerator<number>;
  pulled: number;
  closed: boolean;
} {
  const state = {
    pulled: 0,
    closed: false,
    gen: async function* (): AsyncGenerator<number> {
      try {
        for (;;) {
          state.pulled++;
          yield state.pulled;
        }
      } finally {
        state.closed = true;
      }
    },
  };
  return state;
}

/** Fails a test that would otherwise hang if cancellation regressed; never a timing assertion. */
const HANG_GUARD = { timeout: 5_000 };

/** A stage function that never settles until the run's signal aborts. */
const untilAborted = (_: unknown, { signal }: { signal: AbortSignal }): Promise<never> =>
  new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

describe("AsyncSource", () => {
  test("pulls exactly `capacity` items ahead when nobody takes them", async () => {
    const source = endless();
    const reader = new AsyncSource(source.gen(), 5, fakeRun());
    reader.start();
    await settleTurns();
    assert.equal(source.pulled, 5);
    assert.equal(reader.pulled, 5);
    assert.deepEqual(reader.takeChunk(), [1, 2, 3, 4, 5]);
    // Still counted until released: the source waits.
    await settleTurns();
    assert.equal(source.pulled, 5);
    reader.release(5);
    await settleTurns();
    assert.equal(source.pulled, 10);
    reader.stop();
    await reader.done;
    assert.equal(source.closed, true);
    assert.equal(reader.discard(), 5);
  });

  test("holds a partial chunk until the next turn of the event loop, then hands it over", async (t) => {
    t.mock.timers.enable({ apis: ["setImmediate"] });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const reader = new AsyncSource(
      (async function* () {
        yield 1;
        yield 2;
        await gate;
        yield 3;
      })(),
      8,
      fakeRun(),
    );
    reader.start();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    assert.equal(reader.pulled, 2);
    // Two items staged, none handed over: one hand-over per turn, not one per item.
    assert.equal(reader.ready, false);
    t.mock.timers.tick(0);
    assert.equal(reader.ready, true);
    assert.deepEqual(reader.takeChunk(), [1, 2]);
    reader.stop();
    release();
    await reader.done;
  });

  test("reports a rejection to the run once the items read before it were taken", async () => {
    const cause = new Error("network down");
    const run = fakeRun();
    const reader = new AsyncSource(
      (async function* () {
        yield "a";
        throw cause;
      })(),
      8,
      run,
    );
    reader.start();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(run.failures.length, 0, "the item before the failure goes first");
    assert.deepEqual(reader.takeChunk(), ["a"]);
    reader.release(1);
    await reader.done;
    const [error] = run.failures;
    assert.ok(error instanceof SourceError);
    assert.equal(error.pulled, 1);
    assert.equal(error.cause, cause);
    assert.equal(reader.drained, true);
  });
});

describe("async sources in a pipeline", () => {
  test("reads an async generator, given as a function or as an object", async () => {
    async function* letters(): AsyncGenerator<string> {
      yield "a";
      yield "b";
    }
    assert.deepEqual(await from(letters).run().collect(), ["a", "b"]);
    assert.deepEqual(
      await from(letters())
        .map((s) => s.toUpperCase())
        .run()
        .collect(),
      ["A", "B"],
    );
  });

  test("reads an object-mode Readable", async () => {
    assert.deepEqual(
      await from(Readable.from([{ id: 1 }, { id: 2 }]))
        .map((row) => (row as { id: number }).id)
        .run()
        .collect(),
      [1, 2],
    );
  });

  test("reads a byte-mode Readable as Buffers", async () => {
    const stream = new Readable({ read() {} });
    stream.push(Buffer.from("hello "));
    stream.push(Buffer.from("world"));
    stream.push(null);
    const chunks = await from<Buffer>(stream).run().collect();
    assert.ok(chunks.every((chunk) => Buffer.isBuffer(chunk)));
    assert.equal(Buffer.concat(chunks).toString(), "hello world");
  });

  test("reads a channel fed by another task", async () => {
    const ch = channel<number>({ capacity: 2 });
    const feeding = (async () => {
      for (let i = 0; i < 10; i++) await ch.send(i);
      ch.close();
    })();
    assert.deepEqual(
      await from(ch)
        .map((x) => x * 2, { ordered: true })
        .run()
        .collect(),
      [0, 2, 4, 6, 8, 10, 12, 14, 16, 18],
    );
    await feeding;
  });

  test("hands over a partial chunk on the next turn, so a slow source is not held back", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = from(async function* () {
      yield 1;
      // The consumer must see 1 before this source produces anything else.
      await gate;
      yield 2;
    }).run();
    assert.deepEqual(await run.next(), { done: false, value: 1 });
    release();
    assert.deepEqual(await run.collect(), [2]);
  });

  test("an async iterator that rejects fails the run with a SourceError and its cause", async () => {
    const cause = new Error("HTTP 500");
    await assert.rejects(
      from(async function* () {
        yield 1;
        yield 2;
        throw cause;
      })
        .map((x) => x)
        .run()
        .drain(),
      (error: unknown) => {
        assert.ok(error instanceof SourceError);
        assert.equal(error.pulled, 2);
        assert.equal(error.cause, cause);
        return true;
      },
    );
  });

  test("a Readable that errors fails the run with a SourceError", async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    stream.push("row");
    setImmediate(() => stream.destroy(new Error("ECONNRESET")));
    await assert.rejects(from(stream).run().collect(), {
      name: "SourceError",
      message: "Source failed after 1 item(s): ECONNRESET",
    });
  });

  test(
    "breaking out of the output loop closes an async generator (its finally runs)",
    HANG_GUARD,
    async () => {
      const source = endless();
      const run = from(source.gen)
        .map((x) => x)
        .run();
      for await (const value of run) {
        if (value === 3) break;
      }
      assert.equal(source.closed, true);
    },
  );

  test(
    "cancelling destroys a Readable, even one waiting for data, and leaves nothing behind",
    HANG_GUARD,
    async () => {
      await assertNoLeaks(async () => {
        const idle = new Readable({ objectMode: true, read() {} });
        const run = from(idle)
          .map((x) => x)
          .run();
        const next = run.next();
        await settleTurns();
        const summary = await run.cancel(new Error("shutdown"));
        assert.equal(summary.outcome, "cancelled");
        await assert.rejects(next, (error) => isCancelledError(error));
        assert.equal(idle.destroyed, true);
      });
    },
  );

  test(
    "cancelling a run fed by an idle channel settles and leaves the channel open",
    HANG_GUARD,
    async () => {
      const ch = channel<number>();
      const run = from(ch)
        .map((x) => x)
        .run();
      const next = run.next();
      await settleTurns();
      assert.equal((await run.cancel()).outcome, "cancelled");
      await assert.rejects(next, (error) => isCancelledError(error));
      assert.equal(ch.closed, false);
      ch.trySend(1);
      assert.deepEqual(ch.tryReceive(), { done: false, value: 1 });
    },
  );

  test("a source waiting on its signal ends when the run is cancelled", HANG_GUARD, async () => {
    let sawAbort = false;
    const run = from(async function* ({ signal }) {
      yield 0;
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      sawAbort = signal.aborted;
    }).run();
    assert.deepEqual(await run.next(), { done: false, value: 0 });
    await run.cancel();
    assert.equal(sawAbort, true);
  });

  test("nothing is read before the run is consumed", async () => {
    const source = endless();
    const run = from(source.gen)
      .map((x) => x)
      .run();
    await settleTurns();
    assert.equal(source.pulled, 0);
    await run.cancel();
    assert.equal(source.pulled, 0);
  });

  test("is read at most `buffer` items ahead of a blocked first stage", HANG_GUARD, async () => {
    for (const concurrency of [1, 4]) {
      const source = endless();
      const run = from(source.gen, { buffer: 8 })
        .map(untilAborted, { concurrency, buffer: 1 })
        .run();
      const next = run.next();
      await settleTurns();
      assert.equal(source.pulled, 8, `concurrency ${concurrency}`);
      await settleTurns();
      assert.equal(source.pulled, 8, `concurrency ${concurrency}, later`);
      await run.cancel();
      await assert.rejects(next, (error) => isCancelledError(error));
      assert.equal(source.closed, true);
    }
  });
});
