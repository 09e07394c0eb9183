import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { jetstream } from "../../src/nats/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { testNats } from "../helpers/nats.js";
import { until } from "../helpers/until.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

interface Job {
  readonly id: number;
}

describe("jetstream()", () => {
  test("a pipeline publishes to a subject; a durable consumer run reads every message, acks each after its last stage, finishes on finish()", async (t) => {
    const nats = await testNats(t);
    if (nats === undefined) return;
    const stream = `${nats.prefix}_JOBS`;
    const subject = `${stream.toLowerCase()}.new`;
    const written = await from(range(500).map((id): Job => ({ id })))
      .to(jetstream<Job>({ stream, subject }), { batch: 50 })
      .run();
    assert.equal(written.outcome, "completed");
    assert.equal((await nats.manager.streams.info(stream)).state.messages, 500);

    const seen = new Set<number>();
    const run = from(jetstream<Job>({ stream, durable: "workers" }))
      .map(async (job: Job) => job, { concurrency: 16 })
      .filter((job) => job.id % 10 !== 3)
      .forEach((job) => {
        seen.add(job.id);
      })
      .run();
    const finished = run.drain();
    await until(() => seen.size === 450);
    run.finish();
    const summary = await finished;
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.deliveries?.["received"], 500);
    assert.equal(summary.deliveries?.["acked"], 500);
    await until(async () => {
      const info = await nats.manager.consumers.info(stream, "workers");
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
  });

  test("a poison message goes to the dead-letter subject after maxDeliveries, with its error, and blocks no other", async (t) => {
    const nats = await testNats(t);
    if (nats === undefined) return;
    const stream = `${nats.prefix}_POISON`;
    const subject = `${stream.toLowerCase()}.in`;
    const deadStream = `${nats.prefix}_DEAD`;
    const deadSubject = `${deadStream.toLowerCase()}.letters`;
    await nats.manager.streams.add({ name: deadStream, subjects: [deadSubject] });
    await from(range(30).map((id): Job => ({ id })))
      .to(jetstream<Job>({ stream, subject }))
      .run();
    const done = new Set<number>();
    let poisonCalls = 0;
    const run = from(
      jetstream<Job>({
        stream,
        durable: "g",
        maxDeliveries: 3,
        retryDelay: 20,
        deadLetterSubject: deadSubject,
      }),
    )
      .map(
        (job: Job) => {
          if (job.id === 13) {
            poisonCalls++;
            throw new TypeError("cannot handle 13");
          }
          return job;
        },
        { onError: "skip" },
      )
      .forEach((job) => {
        done.add(job.id);
      })
      .run();
    const finished = run.drain();
    await until(
      async () =>
        done.size === 29 && (await nats.manager.streams.info(deadStream)).state.messages === 1,
    );
    run.finish();
    const summary = await finished;
    assert.equal(poisonCalls, 3);
    assert.equal(summary.deliveries?.["deadLettered"], 1);
    const letter = await nats.manager.streams.getMessage(deadStream, { seq: 1 });
    const body = letter!.json<{ error: string; deliveries: number; data: string }>();
    assert.equal(body.error, "TypeError: cannot handle 13");
    assert.equal(body.deliveries, 3);
    assert.deepEqual(JSON.parse(body.data), { id: 13 });
  });

  test("options are checked, naming the option", () => {
    assertInvalid(
      () => jetstream({} as never),
      "Expected `jetstream` to be an options object with `stream` or `subject`, got `{}` (object)",
      "jetstream",
    );
    assertInvalid(
      () => jetstream({ stream: "S", batch: 0 }),
      "Expected `jetstream.batch` to be an integer >= 1, got `0` (number)",
      "jetstream.batch",
    );
    assertInvalid(
      () => jetstream({ stream: "S", subject: "s", partitions: 1.5 }),
      "Expected `jetstream.partitions` to be an integer >= 1, got `1.5` (number)",
      "jetstream.partitions",
    );
    assert.throws(
      () => jetstream({ stream: "S", nope: 1 } as never),
      /Unknown option `jetstream.nope`/,
    );
  });
});
