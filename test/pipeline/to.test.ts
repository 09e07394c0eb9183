import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  acknowledged,
  type Delivery,
  type Destination,
  type DestinationWriter,
  from,
  kDestination,
} from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A destination that keeps what is written, slowly, and counts its writers. */
function memoryDestination(
  options: { writeMs?: number; failOn?: number; closeError?: Error } = {},
) {
  const batches: number[][] = [];
  const writers: { closed: number; inFlight: number; maxInFlight: number }[] = [];
  const destination: Destination<number> = {
    [kDestination]: true,
    name: "memory:test",
    open(): DestinationWriter<number> {
      const state = { closed: 0, inFlight: 0, maxInFlight: 0 };
      writers.push(state);
      return {
        async write(values) {
          state.inFlight++;
          state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
          try {
            if (options.writeMs !== undefined) await sleep(options.writeMs);
            if (options.failOn !== undefined && values.includes(options.failOn)) {
              throw new Error(`cannot write ${options.failOn}`);
            }
            batches.push([...values]);
          } finally {
            state.inFlight--;
          }
        },
        async close() {
          state.closed++;
          if (options.closeError !== undefined) throw options.closeError;
        },
      };
    },
  };
  return { destination, batches, writers };
}

describe("pipeline.to(destination)", () => {
  test("writes every item in batches, a few writes at once, through one writer per run, closed before it settles", async () => {
    const { destination, batches, writers } = memoryDestination({ writeMs: 2 });
    const summary = await from(range(1000)).to(destination, { batch: 50, concurrency: 3 }).run();
    assert.equal(summary.outcome, "completed");
    assert.deepEqual(
      batches.flat().sort((a, b) => a - b),
      range(1000),
    );
    assert.ok(batches.every((batch) => batch.length <= 50));
    assert.equal(writers.length, 1);
    assert.equal(writers[0]!.closed, 1);
    assert.ok(writers[0]!.maxInFlight <= 3);
    assert.deepEqual(
      summary.stages.map((stage) => [stage.name, stage.kind]),
      [
        ["memory:test:batch", "batch"],
        ["memory:test", "forEach"],
      ],
    );
    // Two runs of one definition: a writer each.
    await from(range(10))
      .map((x: number) => x)
      .to(destination)
      .run();
    assert.equal(writers.length, 2);
  });

  test("a run that never writes opens no writer; a failed write fails the run and the writer still closes", async () => {
    const { destination, writers } = memoryDestination({ failOn: 7 });
    await from([]).to(destination).run();
    assert.equal(writers.length, 0);
    await assert.rejects(
      from(range(20)).to(destination, { batch: 5 }).run().drain(),
      /cannot write 7/,
    );
    assert.equal(writers.length, 1);
    assert.equal(writers[0]!.closed, 1);
  });

  test("a close that throws fails a run that had completed", async () => {
    const broken = new Error("close failed");
    const { destination } = memoryDestination({ closeError: broken });
    const run = from(range(3)).to(destination).run();
    await assert.rejects(run.drain(), (error) => error === broken);
    assert.equal((await run.settled).outcome, "failed");
  });

  test("with an acknowledged source, a delivery is acked once the write of its batch resolved", async () => {
    const { destination, batches } = memoryDestination({ writeMs: 5 });
    const acked: number[] = [];
    const source = acknowledged(() =>
      range(30).map((value): Delivery<number> => ({
        value,
        ack() {
          // Written already: its batch is in the destination.
          assert.ok(batches.some((batch) => batch.includes(value)));
          acked.push(value);
        },
        nack() {
          assert.fail("nothing fails here");
        },
      })),
    );
    await from(source).to(destination, { batch: 8 }).run();
    assert.deepEqual(
      acked.sort((a, b) => a - b),
      range(30),
    );
  });

  test("names what is wrong", () => {
    assertInvalid(
      () => from([1]).to({} as never),
      'Expected `to(destination)` to be a destination such as redisStream({ key }) from "sluice/redis", got `{}` (object)',
      "to(destination)",
    );
    const { destination } = memoryDestination();
    assertInvalid(
      () => from([1]).to(destination, { batch: 0 }),
      "Expected `to.batch` to be an integer >= 1, got `0` (number)",
      "to.batch",
    );
    assert.throws(
      () => from([1]).to(destination, { nope: 1 } as never),
      /Unknown option `to.nope`/,
    );
  });
});
