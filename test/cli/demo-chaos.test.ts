import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidArgumentError } from "commander";
import { isStageConserved } from "../../src/cli/conservation.js";
import { parseChaosSpec } from "../../src/cli/demo.js";
import { demoChaosDefaults, demoPipeline } from "../../src/cli/demo-pipeline.js";
import { renderChecks, renderIntro } from "../../src/cli/demo-report.js";
import type { RunSummary } from "../../src/index.js";
import { runCli } from "./run-cli.js";

const STAGES = ["fetch", "validate", "enrich", "batch", "write"];

/** The table row of a stage: its cells, split on runs of spaces. */
function row(stdout: string, stage: string): string[] {
  const line = stdout.split("\n").find((each) => each.startsWith(`${stage} `));
  assert.ok(line !== undefined, `no summary row for ${stage} in:\n${stdout}`);
  return line.trim().split(/\s+/);
}

describe("parseChaosSpec", () => {
  test("an empty spec is the demo's defaults", () => {
    assert.deepEqual(parseChaosSpec(""), { ...demoChaosDefaults });
  });

  test("the keys given replace the defaults; the others keep them", () => {
    assert.deepEqual(parseChaosSpec("fail=0.1,hang=0.01,seed=7"), {
      failRate: 0.1,
      hangRate: 0.01,
      latency: demoChaosDefaults.latency,
      seed: 7,
    });
    assert.deepEqual(parseChaosSpec(" hang = 0 , "), { ...demoChaosDefaults, hangRate: 0 });
  });

  test("latency takes ms, a duration, or a min-max range of them", () => {
    assert.equal(parseChaosSpec("latency=0").latency, 0);
    assert.equal(parseChaosSpec("latency=5ms").latency, "5ms");
    assert.deepEqual(parseChaosSpec("latency=0-2.5").latency, [0, 2.5]);
    assert.deepEqual(parseChaosSpec("latency=1ms-1s").latency, ["1ms", "1s"]);
  });

  test("refuses what chaos() refuses, in the library's words", () => {
    const cases: [spec: string, message: string][] = [
      ["fail=2", "Expected `chaos.failRate` to be a number from 0 to 1, got `2` (number)"],
      ["fail=abc", "Expected fail to be a number."],
      ["seed=1.5", "Expected `chaos.seed` to be an integer, got `1.5` (number)"],
      [
        "fail=0.7,hang=0.5",
        "Expected `chaos.failRate` + `chaos.hangRate` to be at most 1, got 0.7 + 0.5",
      ],
      [
        "latency=20-10",
        "Expected `chaos.latency[0]` to be <= `chaos.latency[1]` (10 ms), got `20` (number)",
      ],
      [
        "bogus=1",
        "Expected comma-separated key=value pairs with keys fail, hang, latency, seed, such as fail=0.1,hang=0.01,latency=1-20,seed=7; got `bogus=1`.",
      ],
      [
        "fail",
        "Expected comma-separated key=value pairs with keys fail, hang, latency, seed, such as fail=0.1,hang=0.01,latency=1-20,seed=7; got `fail`.",
      ],
    ];
    for (const [spec, message] of cases) {
      assert.throws(
        () => parseChaosSpec(spec),
        (error: unknown) => error instanceof InvalidArgumentError && error.message === message,
        spec,
      );
    }
  });
});

describe("demoPipeline with chaos", () => {
  test("retries failures, times out hangs, skips what is left, and every stage conserves", async () => {
    const { pipeline, tally, chaos } = demoPipeline({
      items: 3_000,
      concurrency: 64,
      chaos: { failRate: 0.3, hangRate: 0.01, latency: 0, seed: 7 },
    });
    assert.ok(chaos !== undefined);
    assert.equal(chaos.timeoutMs, 100);
    const summary = await pipeline.run().drain();
    for (const stage of summary.stages) assert.ok(isStageConserved(stage), stage.name);
    const fetch = summary.stages[0]!;
    assert.equal(chaos.records, 3_000);
    assert.ok(chaos.policy.calls > 3_000, "retries made more calls than records");
    assert.ok(chaos.policy.failures > 0 && chaos.policy.hangs > 0);
    // 0.3^3 of the records fail all three attempts: about 80, plus the 3 upstream failures.
    assert.ok(chaos.skipped > 20, `${chaos.skipped} skipped`);
    assert.equal(fetch.failed, tally.deadLetters);
    assert.equal(tally.deadLetters, chaos.skipped + 3);
    assert.equal(tally.orderBroken, undefined);
  });

  test("the --fail-at record goes around chaos and still fails the run", async () => {
    const { pipeline } = demoPipeline({
      items: 2_000,
      concurrency: 8,
      failAt: 500,
      chaos: { failRate: 1, latency: 0 },
    });
    await assert.rejects(pipeline.run().drain(), /record 500 failed on purpose/);
  });

  test("a bad chaos option is refused when the demo is built", () => {
    assert.throws(() => demoPipeline({ items: 10, concurrency: 1, chaos: { failRate: 2 } }), {
      code: "ERR_SLUICE_INVALID_OPTION",
      option: "chaos.failRate",
    });
  });

  test("the report says which policies fetch runs under and what chaos did", () => {
    const { pipeline, tally, chaos } = demoPipeline({
      items: 3_000,
      concurrency: 64,
      chaos: demoChaosDefaults,
    });
    assert.ok(chaos !== undefined);
    const intro = renderIntro(3_000, pipeline.stages, chaos);
    assert.equal(
      intro.at(-2),
      "  chaos: fetch runs under wrap(retry({ attempts: 3, backoff: 5 }), timeout(105), chaos({ failRate: 0.05, hangRate: 0.001, latency: [1, 5], seed: 1 }))",
    );
    assert.ok(!renderIntro(3_000, pipeline.stages).some((line) => line.includes("chaos")));
    const summary = { stages: [] } as unknown as RunSummary;
    const lines = renderChecks(summary, tally, chaos);
    assert.equal(
      lines[0],
      "chaos:    fetch made 0 calls for 0 records (0 retries): 0 failed on purpose, 0 hung until the 105 ms timeout; 0 records failed all 3 attempts that way and were skipped",
    );
  });
});

describe("sluice demo --chaos", () => {
  test("runs to completion with the defaults: failures skipped, every stage conserved", async () => {
    const result = await runCli(["demo", "--items", "3000", "--no-progress", "--chaos"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.match(result.stdout, /^ {2}chaos: fetch runs under wrap\(retry\(/m);
    for (const stage of STAGES) assert.equal(row(result.stdout, stage).at(-1), "✓", stage);
    assert.match(result.stdout, /hand-offs: ✓/);
    assert.match(
      result.stdout,
      /^chaos: {4}fetch made [\d,]+ calls for 3,000 records \([\d,]+ retries\): [\d,]+ failed on purpose, \d+ hung until the 105 ms timeout; \d+ records? failed all 3 attempts that way and (was|were) skipped$/m,
    );
    assert.match(result.stdout, /order: +✓ order verified/);
  });

  test("takes a spec, and --json still prints a summary that conserves", async () => {
    const result = await runCli([
      "demo",
      "--items",
      "2000",
      "--json",
      "--chaos",
      "fail=0.3,hang=0.01,latency=0-2,seed=7",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as RunSummary;
    assert.equal(summary.outcome, "completed");
    for (const stage of summary.stages) {
      assert.equal(stage.in, stage.out + stage.filtered + stage.failed + stage.cancelled);
    }
    // 2 upstream failures, and about 2,000 × 0.3³ = 54 records chaos failed three times.
    assert.ok(summary.stages[0]!.failed > 2, String(summary.stages[0]!.failed));
  });

  test("without --chaos the demo shows no chaos", async () => {
    const result = await runCli(["demo", "--items", "1000", "--no-progress"]);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /chaos/);
  });
});

describe(
  "sluice demo --chaos: a bad spec exits 2 with one line naming the flag and the value",
  { concurrency: true },
  () => {
    const cases: readonly [spec: string, message: string][] = [
      [
        "fail=2",
        "error: option '--chaos [spec]' argument 'fail=2' is invalid. Expected `chaos.failRate` to be a number from 0 to 1, got `2` (number)",
      ],
      [
        "fail=0.7,hang=0.5",
        "error: option '--chaos [spec]' argument 'fail=0.7,hang=0.5' is invalid. Expected `chaos.failRate` + `chaos.hangRate` to be at most 1, got 0.7 + 0.5",
      ],
      [
        "speed=9",
        "error: option '--chaos [spec]' argument 'speed=9' is invalid. Expected comma-separated key=value pairs with keys fail, hang, latency, seed, such as fail=0.1,hang=0.01,latency=1-20,seed=7; got `speed=9`.",
      ],
      [
        "seed=x",
        "error: option '--chaos [spec]' argument 'seed=x' is invalid. Expected seed to be a number.",
      ],
    ];
    for (const [spec, message] of cases) {
      test(spec, async () => {
        const result = await runCli(["demo", "--chaos", spec, "--no-progress"]);
        assert.equal(result.code, 2);
        assert.equal(result.stdout, "");
        assert.equal(result.stderr.trim(), message);
      });
    }
  },
);
