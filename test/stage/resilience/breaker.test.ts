import assert from "node:assert/strict";
import { test } from "node:test";
import { type Channel, channel, from, type StageContext } from "../../../src/index.js";
import { assertConserved } from "../../helpers/conservation.js";
import { ManualClock } from "../../helpers/manual-clock.js";

/** Sends items 0..count-1 into `input`, item i at i × 100 ms on the clock, then closes it. */
async function every100ms(
  clock: ManualClock,
  input: Channel<number>,
  count: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    assert.ok(input.trySend(i));
    await clock.advance(100);
  }
  input.close();
}

function codeOf(result: { ok: boolean; error?: unknown }): unknown {
  return result.ok ? "ok" : ((result.error as { code?: unknown }).code ?? "error");
}

test("consecutive failures open the circuit; open fails fast; a probe reopens or closes it", async () => {
  const clock = new ManualClock();
  const changes: string[] = [];
  let calls = 0;
  const input = channel<number>();
  const run = from(input)
    .map(
      (x: number) => {
        calls++;
        // The dependency is down until 550 ms.
        return clock.now() < 550 ? Promise.reject(new Error("down")) : Promise.resolve(x);
      },
      {
        concurrency: 1,
        onError: "collect",
        breaker: {
          failures: 2,
          halfOpenAfter: 250,
          onStateChange: ({ from: before, to }) => changes.push(`${before}->${to}`),
        },
        clock,
      },
    )
    .run();
  const results = run.collect();
  await every100ms(clock, input, 10);
  assert.deepEqual((await results).map(codeOf), [
    "error",
    "error",
    "ERR_SLUICE_CIRCUIT_OPEN",
    "ERR_SLUICE_CIRCUIT_OPEN",
    "error", // the probe at 400 ms fails: open again until 650 ms
    "ERR_SLUICE_CIRCUIT_OPEN",
    "ERR_SLUICE_CIRCUIT_OPEN",
    "ok", // the probe at 700 ms succeeds: closed
    "ok",
    "ok",
  ]);
  assert.equal(calls, 6, "refused items never reach the function");
  assert.deepEqual(changes, [
    "closed->open",
    "open->half-open",
    "half-open->open",
    "open->half-open",
    "half-open->closed",
  ]);
  assertConserved(await run.settled);
});

test("the breaker sees items, not attempts: an open circuit's items are not retried", async () => {
  const clock = new ManualClock();
  let calls = 0;
  const input = channel<number>();
  const run = from(input)
    .map(
      () => {
        calls++;
        return Promise.reject(new Error("down"));
      },
      {
        concurrency: 1,
        onError: "collect",
        retry: { attempts: 3, backoff: 1 },
        breaker: { failures: 2, halfOpenAfter: "1m" },
        clock,
      },
    )
    .run();
  const results = run.collect();
  await every100ms(clock, input, 4);
  assert.deepEqual((await results).map(codeOf), [
    "error",
    "error",
    "ERR_SLUICE_CIRCUIT_OPEN",
    "ERR_SLUICE_CIRCUIT_OPEN",
  ]);
  assert.equal(calls, 6, "two items of three attempts each");
  assert.equal((await run.settled).stages[0]!.retried, 4);
});

test("per key: one host's open circuit does not fail the other host's items", async () => {
  const clock = new ManualClock();
  const run = from(["a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4"])
    .map(
      (item: string, ctx: StageContext) => {
        void ctx;
        return item.startsWith("a")
          ? Promise.reject(new Error("a is down"))
          : Promise.resolve(item);
      },
      {
        concurrency: 1,
        onError: "collect",
        breaker: { failures: 2, halfOpenAfter: "1m", key: (item) => item[0] },
        clock,
      },
    )
    .run();
  const results = await run.collect();
  const codes = results.map((r) =>
    r.ok ? r.value : `${r.item}:${String((r.error as { code?: unknown }).code ?? "error")}`,
  );
  assert.deepEqual(codes, [
    "a1:error",
    "b1",
    "a2:error",
    "b2",
    "a3:ERR_SLUICE_CIRCUIT_OPEN",
    "b3",
    "a4:ERR_SLUICE_CIRCUIT_OPEN",
    "b4",
  ]);
});
