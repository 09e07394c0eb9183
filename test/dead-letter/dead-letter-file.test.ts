import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import type { DeadLetterContext } from "../../src/contract/types.js";
import {
  type DeadLetterFile,
  deadLetterFile,
  type DeadLetterRecord,
  isDeadLetterFileError,
  replay,
} from "../../src/dead-letter/index.js";
import { from, isStageError } from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { assertNoLeaks } from "../helpers/resources.js";

const scratch = mkdtempSync(join(tmpdir(), "sluice-dead-letter-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(scratch, `dead-${++files}.ndjson`);

const readLines = (path: string): DeadLetterRecord[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as DeadLetterRecord);

/** A ctx as a stage passes it to its dead letter. */
function deadLetterContext(overrides: Partial<DeadLetterContext> = {}): DeadLetterContext {
  return {
    signal: new AbortController().signal,
    index: 0,
    stage: "s",
    slot: 0,
    worker: 0,
    attempt: 1,
    resource: undefined,
    history: [],
    ...overrides,
  } as DeadLetterContext;
}

interface Order {
  readonly id: number;
  readonly total: number;
}

describe("deadLetterFile", () => {
  test("round trip: a skip stage's dead letters are in the file when the run settles, and replay yields them in order", async () => {
    const path = tempFile();
    const deadLetters = deadLetterFile(path);
    const orders: Order[] = Array.from({ length: 20 }, (_, id) => ({ id, total: id * 10 }));
    const summary = await from(orders)
      .map(
        (order) => {
          if (order.id % 3 === 0) throw new Error(`declined ${order.id}`);
          return order.total;
        },
        { name: "charge", onError: "skip", deadLetter: deadLetters, ordered: true },
      )
      .run();
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.stages[0]!.failed, 7);
    assert.equal(deadLetters.written, 7);
    const records = readLines(path);
    const expected = orders.filter((order) => order.id % 3 === 0);
    assert.deepEqual(
      records.map((record) => [record.stage, record.index, record.item]),
      expected.map((order) => ["charge", order.id, order]),
    );
    for (const record of records) {
      assert.deepEqual(Object.keys(record), ["stage", "index", "item", "error", "attempts", "at"]);
      assert.equal(record.error.name, "Error");
      assert.equal(record.error.message, `declined ${(record.item as Order).id}`);
      assert.match(record.error.stack ?? "", /^Error: declined/);
      assert.equal(record.attempts.length, 1);
      assert.equal(record.attempts[0]!.attempt, 1);
      assert.deepEqual(record.attempts[0]!.error, record.error);
      assert.match(record.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(new Date(record.attempts[0]!.at).toISOString(), record.attempts[0]!.at);
    }
    const replayed = await from(replay<Order>(path)).run().collect();
    assert.deepEqual(replayed, expected);
    await deadLetters.close();
  });

  test("type-checks as the deadLetter of map, filter, tap and forEach stages of any item type", async () => {
    const path = tempFile();
    const deadLetters: DeadLetterFile = deadLetterFile(path);
    const fail = (): never => {
      throw new Error("no");
    };
    await from([{ id: 1 }])
      .map((order) => order, { onError: "skip", deadLetter: deadLetters })
      .filter(() => true, { onError: "skip", deadLetter: deadLetters })
      .tap(fail, { name: "tap", onError: "skip", deadLetter: deadLetters })
      .run();
    await from(["a", "b"])
      .forEach(fail, { name: "sink", onError: "skip", deadLetter: deadLetters })
      .run();
    assert.deepEqual(
      readLines(path).map((record) => [record.stage, record.item]),
      [
        ["tap", { id: 1 }],
        ["sink", "a"],
        ["sink", "b"],
      ],
    );
    assert.equal(deadLetters.written, 3);
    assert.equal(deadLetters.path, path);
    await deadLetters.close();
  });

  test("records every failed attempt from ctx.history, the last one's error as error", async () => {
    const path = tempFile();
    const deadLetters = deadLetterFile(path);
    const errors = [new Error("timeout 1"), new Error("timeout 2"), new Error("refused")];
    const history = errors.map((error, i) => ({
      attempt: i + 1,
      error,
      at: Date.UTC(2030, 0, 1, 0, 0, i),
    }));
    await deadLetters(
      { id: 9 },
      errors[2],
      deadLetterContext({ stage: "call", index: 4, attempt: 3, history }),
    );
    const [record] = readLines(path);
    assert.equal(record!.stage, "call");
    assert.equal(record!.index, 4);
    assert.equal(record!.error.message, "refused");
    assert.deepEqual(
      record!.attempts.map((attempt) => [attempt.attempt, attempt.at, attempt.error.message]),
      [
        [1, "2030-01-01T00:00:00.000Z", "timeout 1"],
        [2, "2030-01-01T00:00:01.000Z", "timeout 2"],
        [3, "2030-01-01T00:00:02.000Z", "refused"],
      ],
    );
    await deadLetters.close();
  });

  test("a stage with retry writes each of the item's attempts", async () => {
    const path = tempFile();
    const deadLetters = deadLetterFile(path);
    await from([1])
      .map(
        (_item, ctx): never => {
          throw new Error(`attempt ${ctx.attempt} failed`);
        },
        {
          name: "flaky",
          onError: "skip",
          deadLetter: deadLetters,
          retry: { attempts: 3, backoff: 1, maxDelay: 1 },
        },
      )
      .run();
    const [record] = readLines(path);
    assert.equal(record!.error.message, "attempt 3 failed");
    assert.deepEqual(
      record!.attempts.map((attempt) => [attempt.attempt, attempt.error.message]),
      [
        [1, "attempt 1 failed"],
        [2, "attempt 2 failed"],
        [3, "attempt 3 failed"],
      ],
    );
  });

  test("writes errors with code and cause, and non-Error throws, as JSON", async () => {
    const path = tempFile();
    const deadLetters = deadLetterFile(path);
    const thrown: unknown[] = [
      Object.assign(
        new Error("fetch failed", {
          cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }),
        }),
        {
          code: "E_FETCH",
        },
      ),
      "a string",
      { status: 503 },
      undefined,
    ];
    await from(thrown.map((_, i) => i))
      .map(
        (i) => {
          throw thrown[i];
        },
        { name: "throws", onError: "skip", deadLetter: deadLetters, concurrency: 1 },
      )
      .run();
    const errors = readLines(path).map((record) => record.error);
    assert.equal(errors[0]!.code, "E_FETCH");
    assert.equal(errors[0]!.cause?.message, "reset");
    assert.equal(errors[0]!.cause?.code, "ECONNRESET");
    assert.deepEqual(errors[1], { name: "string", message: "a string" });
    assert.deepEqual(errors[2], {
      name: "object",
      message: '{"status":503}',
      value: { status: 503 },
    });
    assert.deepEqual(errors[3], { name: "undefined", message: "undefined" });
    await deadLetters.close();
  });

  test("never fails because of a weird item: BigInts, cycles, functions, throwing toJSON", async () => {
    const path = tempFile();
    const deadLetters = deadLetterFile(path);
    const cyclic: Record<string, unknown> = { id: "cyclic" };
    cyclic.self = cyclic;
    const items: unknown[] = [
      { id: 10n },
      cyclic,
      { id: "fn", run: () => 1 },
      {
        id: "toJSON",
        toJSON(): never {
          throw new Error("nope");
        },
      },
      undefined,
      Symbol("s"),
    ];
    const summary = await from(items)
      .map(
        () => {
          throw new Error("x");
        },
        { name: "weird", onError: "skip", deadLetter: deadLetters, concurrency: 1 },
      )
      .run();
    assert.equal(summary.outcome, "completed");
    assert.equal(deadLetters.written, items.length);
    const lines = readFileSync(path, "utf8").split("\n");
    assert.match(lines[0]!, /"item":\{"id":\{"\$bigint":"10"\}\}/);
    assert.match(lines[1]!, /"item":\{"id":"cyclic","self":"\[Circular\]"\}/);
    assert.match(lines[2]!, /"item":\{"id":"fn"\}/);
    assert.match(lines[3]!, /"item":"\[Unserializable: nope\]"/);
    assert.doesNotMatch(lines[4]!, /"item"/);
    assert.doesNotMatch(lines[5]!, /"item"/);
    const replayed = await from(replay(path)).run().collect();
    assert.deepEqual(replayed, [
      { id: 10n },
      { id: "cyclic", self: "[Circular]" },
      { id: "fn" },
      "[Unserializable: nope]",
      undefined,
      undefined,
    ]);
    await deadLetters.close();
  });

  test("10,000 dead letters from a wide async stage all land in the file, whole lines", async () => {
    const path = tempFile();
    const deadLetters = deadLetterFile(path);
    const count = 10_000;
    const summary = await from(Array.from({ length: count }, (_, i) => i))
      .map(
        async (i) => {
          await Promise.resolve();
          throw new Error(`e${i}`);
        },
        { name: "all", onError: "skip", deadLetter: deadLetters, concurrency: 64 },
      )
      .run();
    assert.equal(summary.stages[0]!.failed, count);
    assert.equal(deadLetters.written, count);
    const records = readLines(path);
    assert.equal(records.length, count);
    assert.deepEqual(
      records.map((record) => record.item as number).sort((a, b) => a - b),
      Array.from({ length: count }, (_, i) => i),
    );
    await deadLetters.close();
  });

  test("appends to an existing file, and several runs share one dead letter file", async () => {
    const path = tempFile();
    writeFileSync(
      path,
      '{"stage":"earlier","index":0,"item":0,"error":{"name":"Error","message":"m"},"attempts":[],"at":"2030-01-01T00:00:00.000Z"}\n',
    );
    const deadLetters = deadLetterFile(pathToFileURL(path));
    const pipeline = from([1, 2]).map(
      (): never => {
        throw new Error("x");
      },
      { name: "again", onError: "skip", deadLetter: deadLetters },
    );
    await pipeline.run();
    await deadLetters.close();
    await pipeline.run();
    assert.equal(deadLetters.written, 4);
    assert.deepEqual(
      readLines(path).map((record) => record.stage),
      ["earlier", "again", "again", "again", "again"],
    );
    await deadLetters.close();
  });

  test("a missing directory fails the run with an error naming the path", async () => {
    const path = join(scratch, "no-such-dir", "dead.ndjson");
    const deadLetters = deadLetterFile(path);
    await assert.rejects(
      from([1])
        .map(
          (): never => {
            throw new Error("x");
          },
          { name: "s", onError: "skip", deadLetter: deadLetters },
        )
        .run()
        .drain(),
      (error: unknown) => {
        assert.ok(isStageError(error));
        assert.ok(isDeadLetterFileError(error.cause));
        assert.equal(error.cause.path, path);
        assert.equal(error.cause.line, undefined);
        assert.equal((error.cause.cause as NodeJS.ErrnoException).code, "ENOENT");
        assert.equal(
          error.message,
          `Stage "s" deadLetter threw on item #0 \`1\`: Cannot open the dead-letter file ${path} for appending: ENOENT: no such file or directory, open '${path}'`,
        );
        return true;
      },
    );
    assert.equal(deadLetters.written, 0);
  });

  test("a path that is a directory rejects each dead letter, and the next batch tries again", async () => {
    const deadLetters = deadLetterFile(scratch);
    const ctx = deadLetterContext();
    await assert.rejects(deadLetters(1, new Error("x"), ctx), (error: unknown) => {
      assert.ok(isDeadLetterFileError(error));
      assert.match(error.message, /^Cannot open the dead-letter file .* for appending: EISDIR/);
      return true;
    });
    await assert.rejects(deadLetters(2, new Error("x"), ctx), isDeadLetterFileError);
    assert.equal(deadLetters.written, 0);
  });

  test("leaves no timer, handle or request behind once the run has settled", async () => {
    const path = tempFile();
    const deadLetters = deadLetterFile(path);
    await assertNoLeaks(async () => {
      await from([1, 2, 3])
        .map(
          (): never => {
            throw new Error("x");
          },
          { onError: "skip", deadLetter: deadLetters },
        )
        .run();
    });
    assert.equal(deadLetters.written, 3);
    await deadLetters.close();
  });

  test("keeps no process alive: a script that never calls close() exits when its run is done", () => {
    const path = tempFile();
    const script = `
      import { from } from ${JSON.stringify(new URL("../../src/index.js", import.meta.url).href)};
      import { deadLetterFile } from ${JSON.stringify(new URL("../../src/dead-letter/index.js", import.meta.url).href)};
      const deadLetters = deadLetterFile(${JSON.stringify(path)});
      await from([1, 2]).map(() => { throw new Error("x"); }, { onError: "skip", deadLetter: deadLetters }).run();
      console.log(deadLetters.written);
    `;
    const child = spawnSync(
      process.execPath,
      ["--input-type=module", "--trace-warnings", "-e", script],
      {
        encoding: "utf8",
        timeout: 10_000,
      },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, "2\n");
    // No "Closing file descriptor on garbage collection" or other warning.
    assert.equal(child.stderr, "");
    assert.equal(readLines(path).length, 2);
  });

  test("validates its path and options at once", () => {
    assertInvalid(
      () => deadLetterFile(""),
      'Expected `deadLetterFile.path` to be a file path (a non-empty string) or a file: URL, got `""` (string)',
      "deadLetterFile.path",
    );
    assertInvalid(
      () => deadLetterFile(new URL("https://example.com/dead.ndjson")),
      'Expected `deadLetterFile.path` to be a file path (a non-empty string) or a file: URL, got `"https://example.com/dead.ndjson"` (URL)',
      "deadLetterFile.path",
    );
    assertInvalid(
      () => deadLetterFile(42 as unknown as string),
      "Expected `deadLetterFile.path` to be a file path (a non-empty string) or a file: URL, got `42` (number)",
      "deadLetterFile.path",
    );
    assertInvalid(
      () => deadLetterFile("d.ndjson", { flushEvery: -1 }),
      'Expected `deadLetterFile.flushEvery` to be a duration from 0 to 2147483647 ms (a number of ms or a string such as "100ms"), got `-1` (number)',
      "deadLetterFile.flushEvery",
    );
    assertInvalid(
      () => deadLetterFile("d.ndjson", { flushEvery: "soon" as "1s" }),
      'Expected `deadLetterFile.flushEvery` to be a duration from 0 to 2147483647 ms (a number of ms or a string such as "100ms"), got `"soon"` (string)',
      "deadLetterFile.flushEvery",
    );
    assertInvalid(
      () => deadLetterFile("d.ndjson", { fsync: "yes" as unknown as boolean }),
      'Expected `deadLetterFile.fsync` to be a boolean, got `"yes"` (string)',
      "deadLetterFile.fsync",
    );
    assertInvalid(
      () => deadLetterFile("d.ndjson", { flushevery: 5 } as never),
      "Unknown option `deadLetterFile.flushevery`; did you mean `flushEvery`? Known options: flushEvery, fsync",
      "deadLetterFile.flushevery",
    );
  });

  test("flushEvery and fsync still write every line before its promise resolves", async () => {
    const path = tempFile();
    const deadLetters = deadLetterFile(path, { flushEvery: "5ms", fsync: true });
    const ctx = deadLetterContext();
    await Promise.all([deadLetters(1, "a", ctx), deadLetters(2, "b", ctx)]);
    assert.deepEqual(
      readLines(path).map((record) => record.item),
      [1, 2],
    );
    await deadLetters.close();
  });
});
