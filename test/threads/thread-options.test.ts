import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { thread, threadPool } from "../../src/threads/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

const url = new URL("./fixtures/double.worker.js", import.meta.url);

describe("thread() options", () => {
  test("takes a file: URL, a file: URL string or an absolute path", () => {
    assert.equal(thread(url).url, url.href);
    assert.equal(thread(url.href).url, url.href);
    assert.equal(thread(url.pathname).url, url.href);
    assert.equal(thread(url).description, "threads(double.worker.js)");
  });

  test("rejects a module that is not a file URL or an absolute path", () => {
    for (const [value, shown] of [
      ["./double.worker.js", '`"./double.worker.js"` (string)'],
      [42, "`42` (number)"],
    ] as const) {
      assertInvalid(
        () => thread(value as string),
        `Expected \`thread.module\` to be a file: URL or an absolute path (e.g. new URL("./work.js", import.meta.url)), got ${shown}`,
        "thread.module",
      );
    }
    assertInvalid(
      () => thread(new URL("https://example.com/x.js")),
      'Expected `thread.module` to be a file: URL or an absolute path, got `"https://example.com/x.js"` (string)',
      "thread.module",
    );
  });

  test("rejects each bad option with the option path, the expectation and the value", () => {
    const cases: [unknown, string, string][] = [
      [
        { threads: 0 },
        "thread.threads",
        'Expected `thread.threads` to be an integer from 1 to 1024 or "cpus", got `0` (number)',
      ],
      [
        { threads: 1.5 },
        "thread.threads",
        'Expected `thread.threads` to be an integer from 1 to 1024 or "cpus", got `1.5` (number)',
      ],
      [
        { threads: 40_000 },
        "thread.threads",
        'Expected `thread.threads` to be an integer from 1 to 1024 or "cpus", got `40000` (number)',
      ],
      [
        { batch: 0 },
        "thread.batch",
        "Expected `thread.batch` to be an integer from 1 to 1024, got `0` (number)",
      ],
      [
        { batch: 5000 },
        "thread.batch",
        "Expected `thread.batch` to be an integer from 1 to 1024, got `5000` (number)",
      ],
      [
        { timeout: -1 },
        "thread.timeout",
        'Expected `thread.timeout` to be a duration > 0 ms (a number of ms or a string such as "100ms", "30s"), got `-1` (number)',
      ],
      [
        { timeout: "soon" },
        "thread.timeout",
        'Expected `thread.timeout` to be a duration > 0 ms (a number of ms or a string such as "100ms", "30s"), got `"soon"` (string)',
      ],
      [
        { transfer: "yes" },
        "thread.transfer",
        'Expected `thread.transfer` to be a boolean, got `"yes"` (string)',
      ],
      [
        { pool: {} },
        "thread.pool",
        "Expected `thread.pool` to be a pool made by threadPool(), got `{}` (object)",
      ],
      [
        { resourceLimits: { maxOldGenerationSizeMb: 0 } },
        "thread.resourceLimits.maxOldGenerationSizeMb",
        "Expected `thread.resourceLimits.maxOldGenerationSizeMb` to be a number > 0, got `0` (number)",
      ],
    ];
    for (const [options, path, message] of cases) {
      assertInvalid(() => thread(url, options as never), message, path);
    }
  });

  test("names an unknown option with a did-you-mean hint", () => {
    assert.throws(
      () => thread(url, { thread: 2 } as never),
      /Unknown option `thread\.thread`.*did you mean `threads`/,
    );
    assert.throws(() => threadPool({ threds: 2 } as never), /did you mean `threads`/);
  });

  test("a pool and its own threads or limits exclude each other", async () => {
    const pool = threadPool({ threads: 1 });
    try {
      assert.throws(
        () => thread(url, { pool, threads: 2 }),
        /`thread\.pool` to be given without `threads` or `resourceLimits`/,
      );
    } finally {
      await pool.close();
    }
  });

  test("transfer applies to map, flatMap and forEach, not to filter or tap", () => {
    const moving = thread(url, { transfer: true });
    assert.doesNotThrow(() => from([1]).map(moving));
    for (const kind of ["filter", "tap"] as const) {
      assertInvalid(
        () => from([1])[kind](moving),
        `Option \`thread.transfer\` applies to map, flatMap and forEach stages, got a \`${kind}\` stage: ${kind} emits the item itself, which a transfer leaves detached on the main thread`,
        "thread.transfer",
      );
    }
  });

  test("a thread stage's width defaults to two full batches per thread; concurrency overrides it", () => {
    const [stage] = from([1]).map(thread(url, { threads: 3, batch: 10 })).stages;
    assert.equal(stage?.kind === "map" && stage.concurrency, 60);
    assert.equal(stage?.kind === "map" && stage.executor, "threads(double.worker.js)");
    const [wide] = from([1]).map(thread(url, { threads: 1 }), { concurrency: 5 }).stages;
    assert.equal(wide?.kind === "map" && wide.concurrency, 5);
  });

  test("threadPool() validates its options", () => {
    assertInvalid(
      () => threadPool({ threads: -1 }),
      'Expected `threadPool.threads` to be an integer from 1 to 1024 or "cpus", got `-1` (number)',
      "threadPool.threads",
    );
    assertInvalid(
      () => threadPool("4" as never),
      'Expected `threadPool` to be an options object, got `"4"` (string)',
      "threadPool",
    );
  });
});
