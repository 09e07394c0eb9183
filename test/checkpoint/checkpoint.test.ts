import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type CheckpointState,
  type CheckpointStore,
  checkpoint,
  fileCheckpoint,
  fileLines,
  from,
  seekable,
} from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { until } from "../helpers/until.js";

/** A store in memory that records each save. */
function memoryStore<P>(initial?: CheckpointState<P>) {
  let state = initial;
  const saves: CheckpointState<P>[] = [];
  const store: CheckpointStore<P> & { saves: CheckpointState<P>[]; closed: number } = {
    saves,
    closed: 0,
    description: "memory",
    async load() {
      return state;
    },
    async save(next) {
      state = structuredClone(next);
      saves.push(state);
    },
    async clear() {
      state = undefined;
    },
    async close() {
      store.closed++;
    },
  };
  return { store, current: () => state };
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "sluice-checkpoint-"));
}

/** Runs `items` through a concurrent stage and cancels the run after `stopAfter` outputs. */
async function runUntil<T>(
  source: readonly T[] | ReturnType<typeof fileLines>,
  store: CheckpointStore,
  stopAfter: number,
  every: number | "10ms" = 5,
): Promise<T[]> {
  const seen: T[] = [];
  const controller = new AbortController();
  const run = from(source as T[], { checkpoint: checkpoint(store, { every }) })
    .map(
      async (item) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
        return item;
      },
      { concurrency: 8 },
    )
    .forEach((item) => {
      seen.push(item);
      if (seen.length === stopAfter) controller.abort(new Error("stop"));
    })
    .run({ signal: controller.signal });
  await run.drain().catch(() => {});
  return seen;
}

describe("checkpoint", () => {
  test("a stopped run resumes where it stopped: every item done, none redone past what was in flight", async () => {
    const items = Array.from({ length: 500 }, (_, i) => i);
    const { store, current } = memoryStore<number>();
    const first = await runUntil(items, store, 200);
    const saved = current()!;
    assert.ok(saved.position! > 0, "progress was saved");
    const second = await runUntil(items, store, Number.POSITIVE_INFINITY);
    assert.deepEqual(
      [...new Set([...first, ...second])].sort((a, b) => a - b),
      items,
    );
    // Only items the first run had not completed come again.
    const completedBefore = new Set([
      ...Array(saved.position).keys(),
      ...saved.done.map((p) => p - 1),
    ]);
    for (const item of second) assert.ok(!completedBefore.has(item), `item ${item} was redone`);
    assert.deepEqual(current(), { position: 500, done: [] });
    assert.ok(store.closed >= 2, "the store is closed after each run");
  });

  test("a completed run leaves nothing to do for the next", async () => {
    const { store } = memoryStore<number>();
    await from([1, 2, 3], { checkpoint: checkpoint(store) })
      .forEach(() => {})
      .run()
      .drain();
    const again = await from([1, 2, 3], { checkpoint: checkpoint(store) })
      .run()
      .collect();
    assert.deepEqual(again, []);
  });

  test("items completed past the position are skipped, counted, and the stats say so", async () => {
    const { store } = memoryStore<number>({ position: 2, done: [4, 6] });
    const run = from([10, 20, 30, 40, 50, 60, 70], { checkpoint: checkpoint(store) }).run();
    assert.deepEqual(await run.collect(), [30, 50, 70]);
    const deliveries = (await run.settled).deliveries!;
    assert.equal(deliveries["skipped"], 2);
    assert.equal(deliveries["acked"], 3);
  });

  test("an item that failed and was skipped counts as completed", async () => {
    const { store, current } = memoryStore<number>();
    const run = from([1, 2, 3, 4], { checkpoint: checkpoint(store, { every: 1 }) })
      .map(
        (x) => {
          if (x === 2) throw new Error("bad row");
          return x;
        },
        { onError: "skip" },
      )
      .run();
    assert.deepEqual(await run.collect(), [1, 3, 4]);
    await run.settled;
    assert.deepEqual(current(), { position: 4, done: [] });
  });

  test("flatMap and batch: a source item is completed once all derived from it is", async () => {
    const { store, current } = memoryStore<number>();
    const seen: number[][] = [];
    await from([1, 2, 3, 4, 5], { checkpoint: checkpoint(store, { every: 1 }) })
      .flatMap((x) => [x, x * 10])
      .batch({ size: 4 })
      .forEach((batch) => {
        seen.push(batch);
        // Mid-way, the first two source items (4 values) are completed, not more.
        if (seen.length === 1) assert.ok((current()?.position ?? 0) <= 2);
      })
      .run()
      .drain();
    assert.deepEqual(current(), { position: 5, done: [] });
  });

  test("saves by time save only when progress moved", async (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const { store } = memoryStore<number>();
    const release: (() => void)[] = [];
    const gates = [0, 1, 2, 3].map(() => new Promise<void>((resolve) => release.push(resolve)));
    const completed: number[] = [];
    const run = from([0, 1, 2, 3], { checkpoint: checkpoint(store, { every: "5s" }) })
      .map(
        async (i) => {
          await gates[i];
          return i;
        },
        { concurrency: 4 },
      )
      .forEach((i) => {
        completed.push(i);
      })
      .run();
    const drained = run.drain();
    const saves = () => store.saves.map((saved) => saved.position);
    release[0]!();
    await until(() => completed.length === 1);
    t.mock.timers.tick(5_000);
    await until(() => store.saves.length === 1);
    // No progress since: the next tick saves nothing.
    t.mock.timers.tick(5_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(saves(), [1]);
    release[2]!();
    release[1]!();
    await until(() => completed.length === 3);
    t.mock.timers.tick(5_000);
    await until(() => store.saves.length === 2);
    release[3]!();
    await drained;
    // The last save is the run's own, as it settled.
    assert.deepEqual(saves(), [1, 3, 4]);
  });

  test("a store that fails to save fails the run, naming the store, and the source is accounted for", async () => {
    const { store } = memoryStore<number>();
    store.save = async () => {
      throw new Error("disk full");
    };
    const run = from([1, 2, 3, 4, 5, 6], { checkpoint: checkpoint(store, { every: 1 }) }).run();
    await assert.rejects(run.drain(), /Could not save the checkpoint to memory: disk full/);
  });

  test("a store that fails to load fails the run, naming the store", async () => {
    const { store } = memoryStore<number>();
    store.load = async () => {
      throw new Error("no access");
    };
    await assert.rejects(
      from([1], { checkpoint: checkpoint(store) })
        .run()
        .collect(),
      /Could not load the checkpoint from memory: no access/,
    );
  });

  test("a saved state of the wrong shape, or a position the array does not have, is refused", async () => {
    const bad = memoryStore<number>({ position: 3 } as never);
    await assert.rejects(
      from([1], { checkpoint: checkpoint(bad.store) })
        .run()
        .collect(),
      /Expected the checkpoint in memory to be \{ position, done: \[\] \}/,
    );
    const far = memoryStore<number>({ position: 9, done: [] });
    await assert.rejects(
      from([1, 2], { checkpoint: checkpoint(far.store) })
        .run()
        .collect(),
      /position 9 is not a count of items of this array \(0 to 2\)/,
    );
  });

  test("a seekable source: read after the position, each item { value, position }", async () => {
    const { store } = memoryStore<string>({ position: "b", done: [] });
    const letters = seekable<string, string>(function* (after) {
      for (const letter of ["a", "b", "c", "d"]) {
        if (after === undefined || letter > after)
          yield { value: letter.toUpperCase(), position: letter };
      }
    });
    assert.deepEqual(
      await from(letters, { checkpoint: checkpoint(store) })
        .run()
        .collect(),
      ["C", "D"],
    );
    assert.deepEqual(
      await from(letters).run().collect(),
      ["A", "B", "C", "D"],
      "without a checkpoint, all",
    );
    const broken = seekable(function* () {
      yield "x" as never;
    });
    await assert.rejects(
      from(broken, { checkpoint: checkpoint(store) })
        .run()
        .collect(),
      /Expected each item of a seekable source to be \{ value, position \}/,
    );
  });

  test("bad input is refused with the option named", () => {
    assertInvalid(
      () => checkpoint({} as never),
      'Expected `checkpoint(store)` to be a checkpoint store with load(), save(state) and clear(): fileCheckpoint(path), or pgCheckpoint(…) from "sluice/pg", got `{}` (object)',
      "checkpoint(store)",
    );
    const { store } = memoryStore();
    for (const every of [0, 1.5, "soon", -1]) {
      assertInvalid(
        () => checkpoint(store, { every: every as never }),
        `Expected \`checkpoint.every\` to be an integer >= 1 (completed items between saves) or a duration such as "5s", got \`${JSON.stringify(every)}\` (${typeof every})`,
        "checkpoint.every",
      );
    }
    assertInvalid(
      () => from([1], { checkpoint: { every: 5 } as never }),
      'Expected `from.checkpoint` to be checkpoint(store, { every }), got `{"every":5}` (object)',
      "from.checkpoint",
    );
    assertInvalid(
      () => from(new Set([1]), { checkpoint: checkpoint(store) } as never),
      'Expected `from.source` to be a source that can seek, for `checkpoint`: an array, fileLines(path), pgKeyset(…) from "sluice/pg", or seekable(read), got `{}` (Set)',
      "from.source",
    );
    assertInvalid(
      () => fileCheckpoint(""),
      'Expected `fileCheckpoint(path)` to be a file path (a non-empty string), got `""` (string)',
      "fileCheckpoint(path)",
    );
    assertInvalid(
      () => fileLines(3 as never),
      "Expected `fileLines(path)` to be a file path (a non-empty string), got `3` (number)",
      "fileLines(path)",
    );
    assertInvalid(
      () => seekable(3 as never),
      "Expected `seekable(read)` to be a function (after, { signal }) => an iterable of { value, position }, got `3` (number)",
      "seekable(read)",
    );
  });

  test("route and loop refuse a checkpointed source, saying why", () => {
    const { store } = memoryStore<number>();
    const source = () => from([1, 2], { checkpoint: checkpoint(store) });
    assert.throws(
      () => source().route(() => "a", { a: (p) => p }),
      /Option `route` cannot follow a checkpointed source: each branch runs on its own/,
    );
    assert.throws(
      () => source().loop((p) => p, { times: 2 }),
      /Option `loop` cannot follow a checkpointed source/,
    );
  });

  test("property: stopped and resumed any number of times, every item is done and none is lost", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
        async (n, stops) => {
          const items = Array.from({ length: n }, (_, i) => i);
          const { store } = memoryStore<number>();
          const seen = new Set<number>();
          for (const stop of stops)
            for (const item of await runUntil(items, store, stop, 1)) seen.add(item);
          for (const item of await runUntil(items, store, Number.POSITIVE_INFINITY, 1))
            seen.add(item);
          assert.equal(seen.size, n);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("fileCheckpoint", () => {
  test("saves by renaming a whole file over the old one, and loads it back", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "sub", "progress.json");
      const store = fileCheckpoint<number>(path);
      assert.equal(await store.load(), undefined);
      await store.save({ position: 7, done: [9] });
      assert.deepEqual(await store.load(), { position: 7, done: [9] });
      await store.save({ position: undefined, done: [] });
      assert.deepEqual(JSON.parse(await readFile(path, "utf8")), { position: null, done: [] });
      assert.deepEqual(
        await readdir(join(dir, "sub")),
        ["progress.json"],
        "no temporary file left",
      );
      await store.clear();
      assert.equal(await store.load(), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a file that is not JSON fails the run, naming the file", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "progress.json");
      await writeFile(path, "{half");
      await assert.rejects(
        from([1], { checkpoint: checkpoint(fileCheckpoint(path)) })
          .run()
          .collect(),
        (error: Error) =>
          error.message.includes(`the file ${path}`) && /does not hold JSON/.test(error.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("fileLines", () => {
  test("lines with the byte offset after each; a stopped run resumes from its offset", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "events.txt");
      const lines = Array.from({ length: 300 }, (_, i) => `event ${i} ${"é".repeat(i % 7)}`);
      await writeFile(path, lines.join("\r\n") + "\r\n");
      assert.deepEqual(
        await from(fileLines(path, { chunk: 17 }))
          .run()
          .collect(),
        lines,
      );
      const store = fileCheckpoint<number>(join(dir, "ckpt.json"));
      const first = await runUntil(fileLines(path, { chunk: 64 }), store, 120);
      const second = await runUntil(
        fileLines(path, { chunk: 64 }),
        store,
        Number.POSITIVE_INFINITY,
      );
      assert.deepEqual(new Set([...first, ...second]), new Set(lines));
      assert.ok(second.length < lines.length, "the second run did not start over");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a last line without a newline counts; an offset past the end is refused", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "a.txt");
      await writeFile(path, "one\ntwo");
      assert.deepEqual(await from(fileLines(path)).run().collect(), ["one", "two"]);
      const store = fileCheckpoint<number>(join(dir, "c.json"));
      await store.save({ position: 99, done: [] });
      await assert.rejects(
        from(fileLines(path), { checkpoint: checkpoint(store) })
          .run()
          .collect(),
        /position 99 is past the end of .*a\.txt \(7 bytes\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
