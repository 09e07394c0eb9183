import assert from "node:assert/strict";
import { setImmediate as realImmediate } from "node:timers";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { aimd, from, gradient, type Limiter } from "../../src/index.js";

/**
 * The limiters in a real stage, on a fake clock: a service that serves 10 requests at once,
 * 200 ms each, starting at most one every 20 ms (its servers stay spread, as a busy
 * service's do), the rest queued FIFO. The stage's calls await it; 30 simulated seconds.
 */
const SERVERS = 10;
const SERVICE_MS = 200;
const ADMIT_EVERY_MS = 20;
const DURATION_MS = 30_000;
const STEP_MS = 5;

function simulatedService() {
  let active = 0;
  let nextAdmitAt = 0;
  const queue: (() => void)[] = [];
  let timerArmed = false;
  const admit = () => {
    while (queue.length > 0 && active < SERVERS && Date.now() >= nextAdmitAt) {
      const start = queue.shift()!;
      active++;
      nextAdmitAt = Date.now() + ADMIT_EVERY_MS;
      start();
    }
    if (queue.length > 0 && active < SERVERS && !timerArmed) {
      timerArmed = true;
      setTimeout(() => {
        timerArmed = false;
        admit();
      }, nextAdmitAt - Date.now());
    }
  };
  return (): Promise<void> =>
    new Promise<void>((resolve) => {
      queue.push(() =>
        setTimeout(() => {
          active--;
          resolve();
          admit();
        }, SERVICE_MS),
      );
      admit();
    });
}

async function measure(concurrency: number | Limiter) {
  const call = simulatedService();
  const latencies: number[] = [];
  let inFlight = 0;
  let area = 0;
  let completed = 0;
  const controller = new AbortController();
  const run = from(
    (function* () {
      for (;;) yield 0;
    })(),
  )
    .forEach(
      async () => {
        const start = Date.now();
        inFlight++;
        await call();
        inFlight--;
        latencies.push(Date.now() - start);
        completed++;
      },
      { concurrency },
    )
    .run({ signal: controller.signal });
  const settled = run.drain().catch(() => undefined);
  for (let t = 0; t < DURATION_MS; t += STEP_MS) {
    await new Promise<void>((resolve) => realImmediate(resolve));
    await new Promise<void>((resolve) => realImmediate(resolve));
    area += inFlight * STEP_MS;
    mock.timers.tick(STEP_MS);
  }
  controller.abort();
  mock.timers.tick(10_000);
  await settled;
  latencies.sort((a, b) => a - b);
  return {
    inFlight: area / DURATION_MS,
    throughput: completed / (DURATION_MS / 1_000) / (SERVERS / (SERVICE_MS / 1_000)),
    p99: latencies[Math.ceil(latencies.length * 0.99) - 1]!,
  };
}

describe("limiters in a stage, against a simulated 10-wide 200 ms service (fake clock)", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 }));
  afterEach(() => mock.timers.reset());

  for (const [name, make] of [
    ["aimd({ min: 1, max: 200, latency: 270 })", () => aimd({ min: 1, max: 200, latency: 270 })],
    ["gradient({ min: 1, max: 200 })", () => gradient({ min: 1, max: 200 })],
  ] as const) {
    test(`${name}: about 10 in flight, the service busy, p99 under 1.5x`, async (t) => {
      const result = await measure(make());
      t.diagnostic(
        `in flight ${result.inFlight.toFixed(2)}, throughput ${(result.throughput * 100).toFixed(1)}%, p99 ${result.p99} ms`,
      );
      assert.ok(result.inFlight >= 7 && result.inFlight <= 14, `in flight ${result.inFlight}`);
      assert.ok(result.throughput >= 0.85, `throughput ${result.throughput}`);
      assert.ok(result.p99 < 1.5 * SERVICE_MS, `p99 ${result.p99}`);
    });
  }

  test("static 64: p99 over 4x", async (t) => {
    const result = await measure(64);
    t.diagnostic(
      `in flight ${result.inFlight.toFixed(2)}, throughput ${(result.throughput * 100).toFixed(1)}%, p99 ${result.p99} ms`,
    );
    assert.ok(result.p99 > 4 * SERVICE_MS, `p99 ${result.p99}`);
  });
});
