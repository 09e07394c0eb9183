import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatTune, type TuneResult, type TuneRow } from "../../src/index.js";

function row(concurrency: number, itemsPerSecond: number, p99Ms: number): TuneRow {
  return {
    concurrency,
    itemsPerSecond,
    p50Ms: 5.25,
    p99Ms,
    meanMs: 5.5,
    durationMs: (1000 / itemsPerSecond) * 64,
  };
}

const plateau: TuneResult = {
  stage: "call",
  sample: 64,
  rows: [
    row(1, 181, 5.9),
    row(2, 362, 6),
    row(4, 720, 6.1),
    row(8, 1_440, 6.3),
    row(16, 1_452, 11.2),
  ],
  knee: 8,
  estimate: 10,
  stoppedBecause: "plateau",
  rate: 1_452,
  utilisation: 0.8,
};

describe("formatTune()", () => {
  test("prints the heading, the table with the knee marked, the knee, the estimate and the stop", () => {
    assert.deepEqual(formatTune(plateau), [
      'tune: stage "call", 64 source items per trial',
      "concurrency  items/s      p50      p99     mean  duration",
      "          1    181/s  5.25 ms  5.90 ms  5.50 ms    354 ms",
      "          2    362/s  5.25 ms  6.00 ms  5.50 ms    177 ms",
      "          4    720/s  5.25 ms  6.10 ms  5.50 ms     89 ms",
      "          8  1.44k/s  5.25 ms  6.30 ms  5.50 ms     44 ms  <- knee",
      "         16  1.45k/s  5.25 ms  11.2 ms  5.50 ms     44 ms",
      "knee: concurrency 8 (1.44k/s, p99 6.30 ms): the smallest width within 5% of the best throughput",
      "estimate: concurrency 10 = ceil(rate × mean latency / utilisation) = ceil(1,452/s × 5.50 ms / 0.8) = ceil(9.98) (Little's law with headroom; the mean is at concurrency 1)",
      "stopped: plateau (concurrency 16 gained +0.8% over the best before it, 1.44k/s at concurrency 8: under 5%)",
    ]);
  });

  test("says which trial passed the SLO", () => {
    const lines = formatTune({
      ...plateau,
      rows: plateau.rows.slice(0, 3).map((each, i) => (i === 2 ? { ...each, p99Ms: 41 } : each)),
      knee: 2,
      stoppedBecause: "slo",
      slo: 30,
      rate: 362,
      estimate: 3,
    });
    assert.equal(lines[0], 'tune: stage "call", 64 source items per trial, SLO p99 <= 30.0 ms');
    assert.match(lines[3]!, /^ +2 .*<- knee$/);
    assert.match(lines[4]!, /^ +4 .*41\.0 ms .*p99 over the SLO$/);
    assert.equal(
      lines.at(-3),
      "knee: concurrency 2 (362/s, p99 6.00 ms): the smallest width within 5% of the best throughput that met the SLO",
    );
    assert.equal(
      lines.at(-1),
      "stopped: slo (p99 41.0 ms at concurrency 4 passed the SLO of 30.0 ms)",
    );
  });

  test("says when no width met the SLO", () => {
    const lines = formatTune({
      ...plateau,
      rows: [row(1, 181, 45)],
      knee: undefined,
      stoppedBecause: "slo",
      slo: 30,
      rate: 181,
      estimate: 2,
    });
    assert.equal(
      lines.at(-3),
      "knee: none (p99 at concurrency 1 was 45.0 ms, over the SLO of 30.0 ms)",
    );
  });

  test("says when the largest width allowed was reached", () => {
    const lines = formatTune({
      ...plateau,
      rows: plateau.rows.slice(0, 3),
      knee: 4,
      stoppedBecause: "max",
    });
    assert.equal(lines.at(-1), "stopped: max (concurrency 4 is the largest width allowed)");
  });
});
