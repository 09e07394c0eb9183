import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { aimd } from "../../src/limit/aimd.js";
import { gradient } from "../../src/limit/gradient.js";
import type { Limiter } from "../../src/limit/limiter.js";
import {
  simulate,
  type SimulationOptions,
  type SimulationResult,
} from "../helpers/simulated-service.js";

// A downstream of capacity 50 requests/s at 200 ms each: 10 served at once, 30 s simulated.
const SERVICE_MS = 200;
const CAPACITY = 50;
const PACED: SimulationOptions = {
  servers: 10,
  serviceMs: SERVICE_MS,
  // Starts spaced by serviceMs / servers keep the ten servers' phases spread, as a busy
  // service's are. Without it every start happens at some completion, all of them on the
  // grid of the first request's start, and a request that queues waits a whole 200 ms
  // (see the last test): any limit above 10 then shows up as 400 ms latencies.
  admitEveryMs: 20,
  durationMs: 30_000,
};
const UNPACED: SimulationOptions = { ...PACED, admitEveryMs: 0 };

/** A fixed limit, as `concurrency: n` is. */
function fixed(limit: number): Limiter {
  return { limit, max: limit, onSample() {} };
}

const LIMITERS: readonly (readonly [string, () => Limiter])[] = [
  ["aimd({ min: 1, max: 200, latency: 270 })", () => aimd({ min: 1, max: 200, latency: 270 })],
  ["gradient({ min: 1, max: 200 })", () => gradient({ min: 1, max: 200 })],
  ["static 64", () => fixed(64)],
];

function measure(service: SimulationOptions): Map<string, SimulationResult> {
  return new Map(LIMITERS.map(([name, make]) => [name, simulate(make(), service)]));
}

function table(results: Map<string, SimulationResult>): string[] {
  const rows = [["limiter", "in-flight", "throughput", "p99"]];
  for (const [name, result] of results) {
    rows.push([
      name,
      result.inFlight.toFixed(2),
      `${((result.throughput / CAPACITY) * 100).toFixed(1)}%`,
      `${result.p99.toFixed(0)} ms`,
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) =>
        (column === 0 ? cell.padEnd : cell.padStart).call(cell, widths[column]!),
      )
      .join("  "),
  );
}

describe("limiters in front of a 10-wide, 200 ms service for 30 simulated seconds", () => {
  const paced = measure(PACED);

  test("the measured table", (t) => {
    for (const line of table(paced)) t.diagnostic(line);
    t.diagnostic("without paced starts (every start on one 200 ms grid):");
    for (const line of table(measure(UNPACED))) t.diagnostic(line);
  });

  for (const [name] of LIMITERS.slice(0, 2)) {
    test(`${name} keeps about 10 in flight, the service busy and p99 under 1.5x`, () => {
      const result = paced.get(name)!;
      assert.ok(result.inFlight >= 7 && result.inFlight <= 14, `in flight ${result.inFlight}`);
      assert.ok(result.throughput >= 0.85 * CAPACITY, `throughput ${result.throughput}/s`);
      assert.ok(result.p99 < 1.5 * SERVICE_MS, `p99 ${result.p99} ms`);
    });
  }

  test("a static limit of 64 keeps the service busy by queueing: p99 over 4x", () => {
    const result = paced.get("static 64")!;
    assert.ok(result.throughput >= 0.95 * CAPACITY, `throughput ${result.throughput}/s`);
    assert.ok(result.p99 > 4 * SERVICE_MS, `p99 ${result.p99} ms`);
  });

  test("paced starts spread the queue's wait; unpaced, a queued request waits 200 ms", () => {
    // 11 in flight: one always queued, for a tenth of a service time when the servers'
    // phases are spread, for a whole one when they all finish together.
    assert.equal(simulate(fixed(11), PACED).p99, 220);
    assert.equal(simulate(fixed(11), UNPACED).p99, 400);
    assert.equal(simulate(fixed(10), UNPACED).p99, 200);
  });
});
