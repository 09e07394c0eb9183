import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import {
  from,
  isStageError,
  isThreadPoolClosedError,
  isTimeoutError,
  isWorkerCrashedError,
  isWorkerInitError,
  type RunSummary,
} from "../../src/index.js";
import { thread, type ThreadPool, threadPool } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertNoLeaks } from "../helpers/resources.js";
import { clonedDense } from "../helpers/cloned-dense.js";

const fixture = (name: string) => new URL(`./fixtures/${name}.worker.js`, import.meta.url);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function runAll<T>(run: { collect(): Promise<T[]>; settled: Promise<RunSummary> }) {
  const values = await run.collect();
  const summary = await run.settled;
  assertConserved(summary);
  return { values, summary };
}

describe("thread stages: results", () => {
  test("a stage that finished with its output full is not woken into a closed pool when the next stage reads on", async () => {
    // The stage waits for room in its output, its input ends and it finishes (closing its
    // own threads); the next stage's read then wakes the wait: that must not fail the run.
    for (let round = 0; round < 20; round++) {
      const out = await from([1, 2, 3, 4, 5, 6])
        .map(thread(fixture("double"), { threads: 1, batch: 1 }), { concurrency: 1, buffer: 1 })
        .map(thread(fixture("double"), { threads: 1, batch: 1 }), { concurrency: 1, buffer: 1 })
        .map(
          async (x) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return x;
          },
          { concurrency: 1, buffer: 1 },
        )
        .run()
        .collect();
      assert.deepEqual(out, [4, 8, 12, 16, 20, 24]);
    }
  });

  test("maps every item on threads, unordered, and counts them", async () => {
    await assertNoLeaks(async () => {
      const run = from(range(5_000))
        .map(thread(fixture("double"), { threads: 2 }))
        .run();
      const { values, summary } = await runAll(run);
      assert.deepEqual(
        [...values].sort((a, b) => (a as number) - (b as number)),
        range(5_000).map((x) => x * 2),
      );
      const stage = summary.stages[0]!;
      assert.equal(stage.in, 5_000);
      assert.equal(stage.out, 5_000);
      assert.equal(stage.threads?.threads, 2);
      assert.ok((stage.threads?.batches ?? 0) >= 2);
    });
  });

  test("ordered keeps input order", async () => {
    const run = from(range(3_000))
      .map(thread(fixture("double"), { threads: 2, batch: 7 }), { ordered: true })
      .run();
    const { values } = await runAll(run);
    assert.deepEqual(
      values,
      range(3_000).map((x) => x * 2),
    );
  });

  test("init() runs once per thread and its state reaches every call as ctx.state", async () => {
    const run = from(range(400))
      .map(thread(fixture("state"), { threads: 2, batch: 10 }), { name: "tag", ordered: true })
      .run();
    const { values } = await runAll(run);
    const rows = values as {
      x: number;
      thread: number;
      slot: number;
      index: number;
      stage: string;
    }[];
    assert.deepEqual(
      rows.map((r) => r.x),
      range(400),
    );
    assert.deepEqual(
      rows.map((r) => r.index),
      range(400),
    );
    assert.ok(rows.every((r) => r.stage === "tag" && (r.slot === 0 || r.slot === 1)));
    assert.ok(rows.every((r) => r.thread > 0));
  });

  test("filter, flatMap, tap and forEach run on threads with their usual meaning", async () => {
    const evens = await from(range(100))
      .filter(thread(fixture("even")))
      .run()
      .collect();
    assert.deepEqual(
      [...evens].sort((a, b) => a - b),
      range(50).map((x) => x * 2),
    );
    const expanded = await from([3, 0, 2])
      .flatMap(thread<typeof import("./fixtures/expand.worker.js").default>(fixture("expand")), {
        ordered: true,
      })
      .run()
      .collect();
    assert.deepEqual(expanded, [0, 1, 2, 0, 1]);
    const tapped = await from([1, 2, 3])
      .tap(thread(fixture("double")), { ordered: true })
      .run()
      .collect();
    assert.deepEqual(tapped, [1, 2, 3]);
    const summary = await from(range(10))
      .forEach(thread(fixture("double")))
      .run();
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.consumed, 10);
  });
  test("a filter reads its predicate's answer for truth only, so any truthy answer keeps the item", async () => {
    // A function cannot be cloned: sent back as it was, every even item used to fail.
    const { values, summary } = await runAll(
      from(range(40))
        .filter(thread(fixture("truthy"), { threads: 2, batch: 8 }))
        .run(),
    );
    assert.deepEqual(
      [...values].sort((a, b) => a - b),
      range(40).filter((x) => x % 2 === 0),
    );
    assert.equal(summary.stages[0]!.failed, 0);
  });
});

describe("thread stages: errors", () => {
  test("a call that throws fails the run with a StageError whose cause keeps name and code", async () => {
    const run = from([1, 2, -3, 4])
      .map(thread(fixture("double"), { threads: 1 }))
      .run();
    await assert.rejects(run.collect(), (error: unknown) => {
      assert.ok(isStageError(error));
      assert.equal(error.index, 2);
      const cause = error.cause as Error & { code?: string };
      assert.equal(cause.name, "RangeError");
      assert.equal(cause.code, "E_NEGATIVE");
      assert.match(cause.message, /negative: -3/);
      return true;
    });
    assertConserved(await run.settled);
  });

  test("skip and collect apply to thread failures as to any other", async () => {
    const skipped = from([1, -2, 3])
      .map(thread(fixture("double")), { onError: "skip", ordered: true })
      .run();
    assert.deepEqual((await runAll(skipped)).values, [2, 6]);
    const collected = await from([1, -2])
      .map(thread(fixture("double")), { onError: "collect", ordered: true })
      .run()
      .collect();
    assert.deepEqual(collected[0], { ok: true, value: 2 });
    assert.equal(collected[1]?.ok, false);
  });

  test("an init that throws fails the run with a WorkerInitError naming module and thread", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2])
        .map(thread(fixture("init-throws"), { threads: 2 }))
        .run();
      await assert.rejects(run.collect(), (error: unknown) => {
        assert.ok(isWorkerInitError(error));
        assert.match(
          error.message,
          /init-throws\.worker\.js failed to start on thread [01]: cannot open the model file/,
        );
        return true;
      });
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assertConserved(summary);
    });
  });

  test("a CommonJS module compiled from ESM (exports.default, exports.init) runs as its ESM source would", async () => {
    const compiled = new URL("./fixtures/compiled-cjs.worker.cjs", import.meta.url);
    const out = await from([1, 2, 3])
      .map(thread(compiled, { threads: 1 }), { ordered: true })
      .run()
      .collect();
    assert.deepEqual(out, [101, 102, 103]);
  });

  test("a module without a default-exported function fails the run at start", async () => {
    const run = from([1])
      .map(thread(fixture("no-default"), { threads: 1 }))
      .run();
    await assert.rejects(run.collect(), (error: unknown) => {
      assert.ok(isWorkerInitError(error));
      assert.match(error.message, /default export to be the per-item function, got undefined/);
      return true;
    });
  });

  test("a result that cannot be cloned fails only its item, naming the stage, the index and the problem", async () => {
    const run = from([1, 2, 3, 4])
      .map(thread(fixture("uncloneable"), { threads: 1 }), {
        name: "shapes",
        onError: "collect",
        ordered: true,
      })
      .run();
    const { values } = await runAll(run);
    assert.deepEqual(values[1], { ok: true, value: 2 });
    const failure = values[0] as { ok: false; error: Error };
    assert.equal(failure.ok, false);
    assert.ok(failure.error instanceof TypeError);
    assert.match(
      failure.error.message,
      /^Stage "shapes" cannot send the result of item #0 to the main thread: .*could not be cloned/,
    );
  });

  /**
   * Runs `items` through a thread stage "dbl" that doubles numbers, collecting failures:
   * items 0 and 2 (1 and 3) come out doubled, and each of `unsendable` fails alone with its
   * stage and index.
   */
  async function assertFailAlone(items: unknown[], unsendable: number[]): Promise<void> {
    const run = from(items)
      .map(thread(fixture("double"), { threads: 1 }), {
        name: "dbl",
        onError: "collect",
        ordered: true,
      })
      .run();
    const { values, summary } = await runAll(run);
    assert.deepEqual(values[0], { ok: true, value: 2 });
    assert.deepEqual(values[2], { ok: true, value: 6 });
    for (const index of unsendable) {
      const failure = values[index] as { ok: false; error: Error };
      assert.match(failure.error.message, new RegExp(`Stage "dbl" cannot send item #${index} `));
    }
    assert.equal(summary.stages[0]!.failed, unsendable.length);
  }

  test("an item that cannot be cloned fails with its stage and index; the others run", async () => {
    await assertFailAlone([1, () => 2, 3], [1]);
  });

  test("a revoked proxy among byte items fails alone, packed, cloned or transferred", async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const transfer of [false, true]) {
      const items = [new Uint8Array([1, 2]), proxy, new Uint8Array([3]), { body: proxy }];
      const run = from(items)
        .map(thread(fixture("describe-bytes"), { threads: 1, transfer }), {
          name: "describe",
          onError: "collect",
          ordered: true,
        })
        .run();
      const { values, summary } = await runAll(run);
      assert.deepEqual(values[0], { ok: true, value: "Uint8Array:2:3" }, `transfer: ${transfer}`);
      assert.deepEqual(values[2], { ok: true, value: "Uint8Array:1:3" }, `transfer: ${transfer}`);
      for (const index of [1, 3]) {
        const failure = values[index] as { ok: false; error: Error };
        assert.match(failure.error.message, /cannot send item #\d to a thread: .*is a Proxy/);
      }
      assert.equal(summary.stages[0]!.failed, 2);
    }
  });

  test("a revoked proxy (it throws even from instanceof) fails alone; the stage goes on", async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    await assertFailAlone([1, proxy, 3, { body: proxy }], [1, 3]);
  });
});

describe("thread stages: crashes and timeouts", () => {
  const crashItem = (value: number, crash?: "once" | "always" | "throw-async") => ({
    value,
    crash,
    attempts: new SharedArrayBuffer(4),
  });

  test("a thread that exits mid-batch is replaced and its items run again: none lost, none twice", async () => {
    await assertNoLeaks(async () => {
      const items = range(200).map((i) => crashItem(i, i === 57 ? "once" : undefined));
      const run = from(items)
        .map(thread(fixture("crash"), { threads: 2, batch: 16 }))
        .run();
      const { values, summary } = await runAll(run);
      assert.deepEqual(
        [...values].sort((a, b) => (a as number) - (b as number)),
        range(200),
      );
      assert.equal(summary.stages[0]!.threads?.crashes, 1);
      assert.ok((summary.stages[0]!.threads?.retried ?? 0) >= 1);
    });
  });

  test("a thread killed on a random item, once or for good: every item accounted for, none twice", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 120 }),
        fc.nat(119),
        fc.constantFrom("once", "always") as fc.Arbitrary<"once" | "always">,
        fc.integer({ min: 1, max: 32 }),
        fc.boolean(),
        async (count, at, how, batch, ordered) => {
          const victim = at % count;
          const items = range(count).map((i) => crashItem(i, i === victim ? how : undefined));
          const run = from(items)
            .map(thread(fixture("crash"), { threads: 2, batch }), { onError: "collect", ordered })
            .run();
          const { values, summary } = await runAll(run);
          const ok = values.filter((v) => v.ok).map((v) => (v.ok ? (v.value as number) : -1));
          const failed = values.filter((v) => !v.ok);
          const expected = range(count).filter((i) => how === "once" || i !== victim);
          assert.deepEqual(ordered ? ok : [...ok].sort((a, b) => a - b), expected);
          assert.equal(failed.length, how === "always" ? 1 : 0);
          if (how === "always")
            assert.ok(isWorkerCrashedError(failed[0]!.ok ? 0 : failed[0]!.error));
          assert.equal(summary.stages[0]!.in, count);
        },
      ),
      { numRuns: 12 },
    );
  });

  test("an item that kills its thread twice fails with a WorkerCrashedError through onError", async () => {
    const items = range(40).map((i) => crashItem(i, i === 9 ? "always" : undefined));
    const failures: unknown[] = [];
    const run = from(items)
      .map(thread(fixture("crash"), { threads: 2, batch: 4 }), {
        name: "crashy",
        onError: "skip",
        deadLetter: (_item, error) => {
          failures.push(error);
        },
      })
      .run();
    const { values, summary } = await runAll(run);
    assert.equal(values.length, 39);
    assert.equal(failures.length, 1);
    const error = failures[0];
    assert.ok(isWorkerCrashedError(error));
    assert.equal(error.index, 9);
    assert.equal(error.exitCode, 7);
    assert.match(error.message, /Stage "crashy": the thread running item #9 died \(exit code 7\)/);
    assert.equal(summary.stages[0]!.failed, 1);
  });

  for (const threads of [1, 2]) {
    test(`a thread killed outside any call: each suspect goes again alone on its thread, and only the culprit fails (${threads} threads)`, async () => {
      // Nothing says which call the throw from a timer came from: every item the thread
      // held is a suspect. A suspect's second try shares its thread with no other batch, so
      // the culprit's second death takes no innocent item with it.
      const items = range(20).map((value) => ({ value, crash: value === 5 }));
      const run = from(items)
        .map(thread(fixture("async-crash"), { threads }), { onError: "collect", ordered: true })
        .run();
      const out = (await run.collect()) as { ok: boolean; value?: number; error?: unknown }[];
      const failed = out.flatMap((r, i) => (r.ok ? [] : [i]));
      assert.deepEqual(failed, [5]);
      assert.ok(isWorkerCrashedError(out[5]!.error));
      assert.deepEqual(
        out.filter((r) => r.ok).map((r) => r.value),
        range(20).filter((i) => i !== 5),
      );
      assertConserved(run.stats());
    });
  }

  /**
   * Turns the thread's answer that carries `marker` among its values into a `"messageerror"`,
   * as the main thread raises for a message it cannot read (an ArrayBuffer result too large
   * to allocate, say): `times` answers at most, then they arrive as sent.
   */
  async function withUnreadableAnswers<T>(marker: number, times: number, body: () => Promise<T>) {
    const emit = Worker.prototype.emit;
    let left = times;
    Worker.prototype.emit = function (this: Worker, event: string | symbol, ...args: unknown[]) {
      const message = args[0] as { t?: string; values?: unknown[] } | undefined;
      if (
        event === "message" &&
        left > 0 &&
        message?.t === "done" &&
        message.values?.includes(marker)
      ) {
        left--;
        return emit.call(this, "messageerror", new RangeError("Array buffer allocation failed"));
      }
      return emit.call(this, event, ...args);
    } as typeof emit;
    try {
      return await body();
    } finally {
      Worker.prototype.emit = emit;
    }
  }

  test("an answer the main thread cannot read replaces the thread and runs its batch again: none lost, none twice", async () => {
    await assertNoLeaks(async () => {
      const { values, summary } = await withUnreadableAnswers(154, 1, () =>
        runAll(
          from(range(100))
            .map(thread(fixture("double"), { threads: 2, batch: 8 }))
            .run(),
        ),
      );
      assert.deepEqual(
        [...values].sort((a, b) => (a as number) - (b as number)),
        range(100).map((i) => i * 2),
      );
      assert.equal(summary.stages[0]!.threads?.crashes, 1);
      assert.ok((summary.stages[0]!.threads?.retried ?? 0) >= 1);
    });
  });

  test("an answer that is unreadable twice fails its item with a WorkerCrashedError naming why", async () => {
    const failures: unknown[] = [];
    const { values, summary } = await withUnreadableAnswers(154, 2, () =>
      runAll(
        from(range(100))
          .map(thread(fixture("double"), { threads: 2, batch: 1 }), {
            name: "unreadable",
            onError: "skip",
            deadLetter: (_item, error) => {
              failures.push(error);
            },
          })
          .run(),
      ),
    );
    assert.equal(values.length, 99);
    assert.ok(!values.includes(154));
    assert.equal(failures.length, 1);
    const error = failures[0];
    assert.ok(isWorkerCrashedError(error));
    assert.equal(error.index, 77);
    assert.match(
      String((error.cause as Error).message),
      /could not be read on the main thread: Array buffer allocation failed/,
    );
    assert.equal(summary.stages[0]!.failed, 1);
  });

  test("an error thrown outside any call kills the thread; its items are retried", async () => {
    const items = range(20).map((i) => crashItem(i, i === 3 ? "throw-async" : undefined));
    const run = from(items)
      .map(thread(fixture("crash"), { threads: 1, batch: 5 }))
      .run();
    const { values, summary } = await runAll(run);
    assert.equal(values.length, 20);
    assert.equal(summary.stages[0]!.threads?.crashes, 1);
  });

  test("a thread over its resourceLimits dies, is replaced, and the item fails after a retry", async () => {
    const run = from([1])
      .map(
        thread(fixture("hog"), {
          threads: 1,
          resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
        }),
        { onError: "collect" },
      )
      .run();
    const { values } = await runAll(run);
    const failure = values[0] as { ok: false; error: unknown };
    assert.ok(isWorkerCrashedError(failure.error));
  });

  test("a sync call past its timeout has its thread replaced; the rest of its batch still runs", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 1, 60_000, 1, 1])
        .map(thread(fixture("busy"), { threads: 1, batch: 5, timeout: 100 }), {
          name: "spin",
          onError: "collect",
          ordered: true,
        })
        .run();
      const { values, summary } = await runAll(run);
      assert.deepEqual(values[0], { ok: true, value: 1 });
      assert.deepEqual(values[4], { ok: true, value: 1 });
      const failure = values[2] as { ok: false; error: unknown };
      assert.ok(isTimeoutError(failure.error));
      assert.equal(failure.error.index, 2);
      assert.ok(failure.error.elapsedMs >= 100);
      assert.match(
        failure.error.message,
        /Stage "spin" timed out on item #2 after \d+ ms \(timeout 100 ms\)/,
      );
      assert.equal(summary.stages[0]!.threads?.timedOut, 1);
    });
  });

  test("a sync call past its timeout that fails the run leaves the rest of its batch counted as cancelled", async () => {
    const run = from([1, 1, 60_000, 1, 1])
      .map(thread(fixture("busy"), { threads: 1, batch: 5, timeout: 100 }))
      .run();
    await assert.rejects(run.drain(), (error) => isStageError(error));
    const summary = await run.settled;
    assert.equal(summary.outcome, "failed");
    assertConserved(summary);
    assert.equal(summary.stages[0]!.failed, 1);
    assert.equal(summary.stages[0]!.cancelled, 4);
  });

  test("an item that cannot be cloned and fails the run stops the stage taking more input", async () => {
    const items: unknown[] = [1, () => 2, 3, ...range(1_000)];
    const run = from(items)
      .map(thread(fixture("double"), { threads: 1, batch: 3 }))
      .run();
    await assert.rejects(run.drain(), (error) => isStageError(error));
    const summary = await run.settled;
    assertConserved(summary);
    assert.equal(summary.stages[0]!.failed, 1);
    assert.equal(summary.stages[0]!.in, 3);
  });

  test("an async call past its timeout has its signal aborted and fails with a TimeoutError", async () => {
    const run = from([5, 60_000])
      .map(thread(fixture("async"), { threads: 1, timeout: "50ms" }), {
        onError: "collect",
        ordered: true,
      })
      .run();
    const { values } = await runAll(run);
    assert.deepEqual(values[0], { ok: true, value: 6 });
    const failure = values[1] as { ok: false; error: unknown };
    assert.ok(isTimeoutError(failure.error));
  });

  test("an async call whose own timer was due before its deadline is not timed out by a thread held up by sync calls, whatever else is waiting", async () => {
    // The async20 call's 20 ms timer falls due while sync calls hold the thread; when the
    // thread is free its timeout (100 ms) is due as well. A "never" call in the batch before
    // adds an earlier 100 ms timer, whose list then fires first: the answer must not depend
    // on it.
    for (const first of ["never", "fast"]) {
      const kinds = [first, "sync40", "sync40", "fast", "async20", "sync40", "sync40", "sync40"];
      const out = (await from(kinds.map((kind) => [kind]))
        .map(thread(fixture("mixed-calls"), { threads: 1, batch: 4, timeout: 100 }), {
          onError: "collect",
          ordered: true,
        })
        .run()
        .collect()) as { ok: boolean; value?: string; error?: unknown }[];
      assert.deepEqual(out[4], { ok: true, value: "async20" }, `first item ${first}`);
      assert.equal(isTimeoutError(out[0]!.error), first === "never");
    }
  });
});

describe("thread stages: cancellation and pools", () => {
  test("cancel stops the threads, settles the run and leaves no handle behind", async () => {
    await assertNoLeaks(async () => {
      const run = from(range(100))
        .map(thread(fixture("busy"), { threads: 2, batch: 1 }))
        .run();
      setTimeout(() => void run.cancel("enough"), 50);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assertConserved(summary);
    });
  });

  test("take(n) ends the run cleanly with n items", async () => {
    await assertNoLeaks(async () => {
      const run = from(range(100_000))
        .map(thread(fixture("double"), { threads: 2 }))
        .take(5)
        .run();
      const values = await run.collect();
      assert.equal(values.length, 5);
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
    });
  });

  test("a batch of items that are not packed is cloned as a dense array", async () => {
    const pool = threadPool({ threads: 1 });
    const sent: unknown[][] = [];
    const trySend = pool.trySend.bind(pool);
    pool.trySend = (job, url) => {
      if (job.message.items.length > 0) sent.push(job.message.items as unknown[]);
      return trySend(job, url);
    };
    try {
      const values = await from(range(100))
        .map(thread(fixture("double"), { pool, batch: 16 }), { ordered: true })
        .run()
        .collect();
      assert.deepEqual(
        values,
        range(100).map((x) => x * 2),
      );
      assert.equal(sent.flat().length, 100);
      for (const items of sent) assert.ok(clonedDense(items), `${items.length} items`);
    } finally {
      await pool.close();
    }
  });

  test("a shared pool serves several stages and stays up until close()", async () => {
    const pool = threadPool({ threads: 2 });
    try {
      const values = await from(range(300))
        .map(thread(fixture("double"), { pool }), { ordered: true })
        .filter(thread(fixture("even"), { pool }), { ordered: true })
        .run()
        .collect();
      assert.deepEqual(
        values,
        range(300).map((x) => x * 2),
      );
      assert.equal(pool.closed, false);
      const again = await from([1, 2])
        .map(thread(fixture("double"), { pool }))
        .run()
        .collect();
      assert.equal(again.length, 2);
    } finally {
      await pool.close();
    }
    assert.equal(pool.closed, true);
    assert.throws(() => thread(fixture("double"), { pool }), /a pool that is not closed/);
  });

  test("a batch taken while the stage before it fails the run is cancelled, not sent", async () => {
    // Taking the batch releases space in the first stage's output; the first stage, woken
    // there and then, calls its function on the next item, which throws and fails the run:
    // this stage stops (its own pool closing) while it holds a batch it has not sent.
    for (let failAt = 1; failAt < 24; failAt++) {
      for (const batch of [1, 2]) {
        const run = from(range(40))
          .map(
            (x) => {
              if (x === failAt) throw new Error(`bad item ${x}`);
              return x;
            },
            { concurrency: 1, buffer: 1 },
          )
          .map(thread(fixture("double"), { threads: 1, batch }), { concurrency: 4, buffer: 1 })
          .run();
        await assert.rejects(run.collect(), (error) => isStageError(error));
        const summary = await run.settled;
        assert.equal(summary.outcome, "failed");
        assertConserved(summary);
      }
    }
  });

  test("closing a shared pool under a running stage fails the run and loses no item", async () => {
    await assertNoLeaks(async () => {
      const pool = threadPool({ threads: 1 });
      const run = from(range(50))
        .map(thread(fixture("busy"), { pool, batch: 1 }))
        .run();
      let closing: Promise<void> | undefined;
      setTimeout(() => {
        closing = pool.close();
      }, 200);
      await assert.rejects(run.collect(), (error: unknown) => {
        assert.ok(isThreadPoolClosedError(error));
        assert.equal(error.whileRunning, true);
        assert.match(error.message, /its thread pool was closed while the stage was running/);
        return true;
      });
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assertConserved(summary);
      // The run settles as soon as the pool says it is closing; its threads end after: wait
      // for them, as the code that closed the pool would (under load this outlasted the
      // leak check's few turns).
      await closing;
    });
  });

  test("a run waiting for a shared pool's room stays alive while cancelled calls wind down", async () => {
    const pool = threadPool({ threads: 1 });
    try {
      const slow = from([300, 300])
        .map(thread(fixture("busy"), { pool, batch: 1 }))
        .run();
      setTimeout(() => void slow.cancel("enough"), 50);
      await assert.rejects(slow.drain());
      // Both batches still run on the thread (CPU work ignores its signal): this run must
      // wait for their room without the process running out of things to wait for.
      // The same module, already started: no init is pending to keep the process alive.
      const values = await from([1, 2])
        .map(thread(fixture("busy"), { pool }), { ordered: true })
        .run()
        .collect();
      assert.deepEqual(values, [1, 2]);
    } finally {
      await pool.close();
    }
  });

  /**
   * Runs `body` on a 2-thread pool (`module` started on it first: a module's start on threads
   * kept busy by sync calls is slow) beside a run of 1,500 calls of 2 ms, one per batch, that
   * keeps every thread holding a batch: a room, once free, is wanted at once. Resolves with
   * what `body` returned and which run ended first.
   */
  async function besideBusyRun<T>(
    module: string,
    body: (pool: ThreadPool) => Promise<T>,
  ): Promise<{ result: T; order: string[] }> {
    const pool = threadPool({ threads: 2 });
    try {
      const order: string[] = [];
      await pool.prepare(fixture(module).href);
      const busy = from(range(1500).map(() => 2))
        .map(thread(fixture("busy"), { pool, batch: 1 }))
        .run()
        .collect()
        .then(() => order.push("busy run"));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const result = await body(pool).finally(() => order.push("other run"));
      await busy;
      return { result, order };
    } finally {
      await pool.close();
    }
  }

  test("runs sharing a pool both get its threads: a short run ends while a long one keeps them busy", async () => {
    const { result, order } = await besideBusyRun("double", (pool) =>
      from(range(50))
        .map(thread(fixture("double"), { pool, batch: 5 }), { ordered: true })
        .run()
        .collect(),
    );
    assert.deepEqual(
      result,
      range(50).map((x) => x * 2),
    );
    assert.deepEqual(order, ["other run", "busy run"]);
  });

  test("a crash suspect on a shared pool gets a thread of its own even while another run keeps every thread busy", async () => {
    // Item 5 kills its thread in its call, every time: its second try must wait for a thread
    // that holds nothing, which the busy run never leaves of itself.
    const items = range(20).map((value) => ({
      value,
      crash: value === 5 ? ("always" as const) : undefined,
      attempts: new SharedArrayBuffer(4),
    }));
    const { result, order } = await besideBusyRun("crash", (pool) =>
      from(items)
        .map(thread(fixture("crash"), { pool }), { onError: "collect", ordered: true })
        .run()
        .collect(),
    );
    const out = result as { ok: boolean }[];
    assert.deepEqual(
      out.flatMap((r, i) => (r.ok ? [] : [i])),
      [5],
    );
    assert.deepEqual(order, ["other run", "busy run"]);
  });

  test("a shared pool closed before the run starts fails it at once, naming the stage", async () => {
    const pool = threadPool({ threads: 1 });
    const run = from([1])
      .map(thread(fixture("double"), { pool }))
      .run();
    void pool.close();
    await assert.rejects(run.collect(), (error: unknown) => {
      assert.ok(isThreadPoolClosedError(error));
      assert.equal(error.stage, "map#1");
      assert.match(error.message, /Stage "map#1": its thread pool was closed before the run/);
      return true;
    });
    assertConserved(await run.settled);
  });

  test("a shared pool closed while its threads start fails the run, naming the close", async () => {
    const pool = threadPool({ threads: 1 });
    const run = from([1])
      .map(thread(fixture("double"), { pool }))
      .run();
    const collected = run.collect();
    void pool.close();
    await assert.rejects(collected, (error: unknown) => isThreadPoolClosedError(error));
    assertConserved(await run.settled);
  });

  test("transfer moves item buffers to the thread, and transfer() moves results back", async () => {
    const items = [new Uint8Array(1024), new Uint8Array(2048)];
    const out = (await from(items)
      .map(thread(fixture("bytes"), { threads: 1, transfer: true }), { ordered: true })
      .run()
      .collect()) as Uint8Array[];
    assert.deepEqual(
      out.map((b) => b.byteLength),
      [1024, 2048],
    );
    assert.equal(out[0]![0], 7);
    assert.deepEqual(
      items.map((b) => b.byteLength),
      [0, 0],
      "the main thread's copies are detached",
    );
  });
});

describe("thread stages and big items", () => {
  test("a batch holds at most MAX_BATCH_BYTES of items, from the first batch on", async () => {
    // 1.5 MiB items: two to a batch at most (a third would pass the 4 MiB limit), where the
    // first batches used to take 8, whatever their size.
    const big = Buffer.alloc(1.5 * 1024 * 1024, 3);
    const items = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? big : big.subarray(1)));
    const { values, counts } = await describeInBatches(items);
    assert.equal(values.length, 12);
    values.forEach((description, i) => {
      const length = i % 2 === 0 ? big.length : big.length - 1;
      assert.equal(description, `Buffer:${length}:${length * 3}`);
    });
    assert.ok(counts.length >= 6, `batches: ${counts.join(", ")}`);
    assert.ok(Math.max(...counts) <= 2, `batches: ${counts.join(", ")}`);
  });

  test("records holding big Buffers are weighed by them: a batch holds at most MAX_BATCH_BYTES", async () => {
    // 1.5 MiB bodies: two to a batch at most, where records used to weigh nothing and went
    // 8 to the first batches, then as many as their cost allowed (up to 1,024).
    const body = Buffer.alloc(1.5 * 1024 * 1024, 2);
    const items = Array.from({ length: 10 }, (_, id) => ({ id, body }));
    const { values, counts } = await describeInBatches(items);
    assert.deepEqual(
      values,
      items.map(({ id }) => `${id}:Buffer:${body.length}:${body.length * 2}`),
    );
    assert.ok(counts.length >= 5, `batches: ${counts.join(", ")}`);
    assert.ok(Math.max(...counts) <= 2, `batches: ${counts.join(", ")}`);
  });

  test("a fixed batch size is kept, big items or not", async () => {
    const big = Buffer.alloc(12 * 1024 * 1024, 1);
    const run = from([big, big, big, big])
      .map(thread(fixture("describe-bytes"), { threads: 1, batch: 4 }))
      .run();
    const { values, summary } = await runAll(run);
    assert.equal(values.length, 4);
    assert.equal(summary.stages[0]!.threads?.batches, 1);
  });
});

/**
 * Runs `items` through the "describe-bytes" module on 2 threads, in order: the descriptions,
 * and the item count of every batch posted.
 */
async function describeInBatches(
  items: readonly unknown[],
): Promise<{ values: unknown[]; counts: number[] }> {
  const sent = spyOnBatches();
  try {
    const run = from(items)
      .map(thread(fixture("describe-bytes"), { threads: 2 }), { ordered: true })
      .run();
    const { values } = await runAll(run);
    return { values, counts: sent.counts };
  } finally {
    sent.restore();
  }
}

/** Records the item count of every batch posted to a thread, until `restore()`. */
function spyOnBatches(): { counts: number[]; restore(): void } {
  const original = Worker.prototype.postMessage;
  const counts: number[] = [];
  Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: unknown[]) {
    const batch = message as { t?: string; packed?: { count: number }; items?: unknown[] };
    if (batch?.t === "batch") counts.push(batch.packed?.count ?? batch.items?.length ?? 0);
    return (original as (...args: unknown[]) => void).call(this, message, ...rest);
  } as typeof original;
  return { counts, restore: () => (Worker.prototype.postMessage = original) };
}
