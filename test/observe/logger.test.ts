import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { pino } from "pino";
import { from, type Logger } from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A real pino logger writing JSON lines into memory, at `debug`. */
function memoryPino(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = pino({ level: "debug", base: null, timestamp: false }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("run({ logger })", () => {
  test("logs the start and the end of a completed run at info, and no call without logEvery", async () => {
    const { logger, lines } = memoryPino();
    await from(range(10))
      .map((x: number) => x + 1, { name: "inc" })
      .filter((x: number) => x % 2 === 0, { name: "even" })
      .run({ logger });
    const logged = lines();
    assert.deepEqual(
      logged.map((line) => [line["level"], line["msg"]]),
      [
        [30, "sluice run started"],
        [30, "sluice run completed"],
      ],
    );
    assert.deepEqual(logged[0]!["stages"], [
      { name: "inc", kind: "map" },
      { name: "even", kind: "filter" },
    ]);
    const end = logged[1]!;
    assert.equal(end["outcome"], "completed");
    assert.equal(end["pulled"], 10);
    assert.equal(end["delivered"], 5);
    assert.deepEqual(
      (end["stages"] as { filtered: number }[]).map((stage) => stage.filtered),
      [0, 5],
    );
  });

  test("a failed run logs at error with its error serialized as err", async () => {
    const { logger, lines } = memoryPino();
    const run = from([1, 2])
      .map(
        (x: number) => {
          if (x === 2) throw new RangeError("too big");
          return x;
        },
        { name: "check" },
      )
      .run({ logger });
    await assert.rejects(run.drain());
    await run.settled;
    const end = lines().at(-1)!;
    assert.equal(end["level"], 50);
    assert.equal(end["msg"], "sluice run failed");
    const err = end["err"] as { type: string; message: string };
    assert.equal(err.type, "StageError");
    assert.match(err.message, /too big/);
  });

  test("a cancelled run logs at warn with its reason", async () => {
    const { logger, lines } = memoryPino();
    const run = from(range(1_000_000)).run({ logger });
    await run.cancel(new Error("operator said stop"));
    const end = lines().at(-1)!;
    assert.equal(end["level"], 40);
    assert.equal(end["msg"], "sluice run cancelled");
    assert.equal(end["outcome"], "cancelled");
  });

  test("logEvery logs one call in n per stage: debug when it succeeded, warn with err when it failed", async () => {
    const { logger, lines } = memoryPino();
    await from(range(100))
      .map(
        async (x: number) => {
          if (x % 10 === 9) throw new TypeError(`bad ${x}`);
          return x;
        },
        { name: "check", onError: "skip" },
      )
      .tap(() => {}, { name: "look" })
      .run({ logger, logEvery: 10 });
    const calls = lines().filter((line) => String(line["msg"]).startsWith("sluice call"));
    const check = calls.filter((line) => line["stage"] === "check");
    const look = calls.filter((line) => line["stage"] === "look");
    assert.equal(check.length, 10);
    assert.equal(look.length, 9);
    // The 10th, 20th, … call is logged: calls start in input order, so the items 9, 19, …,
    // which fail.
    for (const line of check) {
      assert.equal(line["level"], 40);
      assert.equal(line["msg"], "sluice call failed");
      assert.equal((line["index"] as number) % 10, 9);
      assert.equal(line["attempt"], 1);
      assert.equal(typeof line["slot"], "number");
      assert.equal(typeof line["ms"], "number");
      assert.equal((line["err"] as { type: string }).type, "TypeError");
    }
    assert.ok(look.every((line) => line["level"] === 20 && line["msg"] === "sluice call"));
  });

  test("a logger that throws at the start fails the run; at the end it changes nothing", async () => {
    const broken = new Error("log sink down");
    const throwing = (when: "started" | "completed"): Logger => ({
      debug() {},
      info(_fields, message) {
        if (message === `sluice run ${when}`) throw broken;
      },
      warn() {},
      error() {},
    });
    const failed = from([1, 2, 3]).run({ logger: throwing("started") });
    await assert.rejects(failed.drain(), (error) => error === broken);
    assert.equal((await failed.settled).outcome, "failed");
    const summary = await from([1, 2, 3]).run({ logger: throwing("completed") });
    assert.equal(summary.outcome, "completed");
  });

  test("rejects a logger without the four methods, and logEvery without a logger", () => {
    assertInvalid(
      () => from([1]).run({ logger: { info() {} } as unknown as Logger }),
      "Expected `run.logger` to be a pino-compatible logger (an object with debug, info, warn and error methods); its `debug` is not a function, got `{}` (object)",
      "run.logger",
    );
    assertInvalid(
      () => from([1]).run({ logger: "console" as unknown as Logger }),
      'Expected `run.logger` to be a pino-compatible logger (an object with debug, info, warn and error methods), got `"console"` (string)',
      "run.logger",
    );
    assertInvalid(
      () => from([1]).run({ logEvery: 10 }),
      "Expected `run.logEvery` to be set together with `run.logger`, got `10` (number)",
      "run.logEvery",
    );
    assertInvalid(
      () => from([1]).run({ logger: console, logEvery: 0 }),
      "Expected `run.logEvery` to be an integer >= 1, got `0` (number)",
      "run.logEvery",
    );
  });

  test("console is a logger too", async () => {
    const original = console.info;
    const seen: unknown[] = [];
    console.info = (...args: unknown[]) => {
      seen.push(args[1]);
    };
    try {
      await from([1]).run({ logger: console });
    } finally {
      console.info = original;
    }
    assert.deepEqual(seen, ["sluice run started", "sluice run completed"]);
  });
});
