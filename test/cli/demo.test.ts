import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunSummary } from "../../src/index.js";
import { runCli, signalWhen } from "./run-cli.js";

const STAGES = ["fetch", "validate", "enrich", "batch", "write"];

/** The table row of a stage: its cells, split on runs of spaces. */
function row(stdout: string, stage: string): string[] {
  const line = stdout.split("\n").find((each) => each.startsWith(`${stage} `));
  assert.ok(line !== undefined, `no summary row for ${stage} in:\n${stdout}`);
  return line.trim().split(/\s+/);
}

describe("sluice demo", () => {
  test("runs to completion and prints the summary with every stage conserved", async () => {
    const result = await runCli(["demo", "--items", "3000", "--no-progress"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    for (const stage of STAGES) assert.equal(row(result.stdout, stage).at(-1), "✓", stage);
    assert.deepEqual(row(result.stdout, "fetch").slice(0, 3), ["fetch", "map", "64"]);
    assert.match(
      result.stdout,
      /^completed in [\d,]+ ms · 3,000 source items · [\d.]+k?\/s · [\d,]+ consumed by write$/m,
    );
    assert.match(result.stdout, /hand-offs: ✓/);
    assert.match(result.stdout, /order: +✓ order verified/);
    assert.match(result.stdout, /dead letters: 3 records skipped by fetch/);
  });

  test("writes the same records whatever the concurrency", async () => {
    const checksum = (stdout: string) => /written: .*checksum ([0-9a-f]{8})/.exec(stdout)?.[1];
    const [wide, narrow] = await Promise.all([
      runCli(["demo", "--items", "2000", "--no-progress"]),
      runCli(["demo", "--items", "2000", "--no-progress", "--concurrency", "1"]),
    ]);
    assert.equal(wide.code, 0);
    assert.equal(narrow.code, 0);
    assert.ok(checksum(wide.stdout) !== undefined);
    assert.equal(checksum(wide.stdout), checksum(narrow.stdout));
  });

  test("--json prints only a RunSummary whose counts conserve", async () => {
    const result = await runCli(["demo", "--items", "3000", "--json", "--no-progress"]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as RunSummary;
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.pulled, 3000);
    assert.deepEqual(
      summary.stages.map((stage) => stage.name),
      STAGES,
    );
    for (const stage of summary.stages) {
      assert.equal(stage.in, stage.out + stage.filtered + stage.failed + stage.cancelled);
    }
    assert.equal(summary.stages[0]?.failed, 3);
  });

  test("--fail-at fails the run: partial summary, the stage error on stderr, exit 1", async () => {
    const result = await runCli(["demo", "--items", "3000", "--fail-at", "10", "--no-progress"]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^failed in /m);
    assert.match(
      result.stderr,
      /^error: the run failed: Stage "validate" failed on item #\d+ `[^`]*`: record 10 failed on purpose \(--fail-at 10\)\n$/,
    );
  });

  test("--fail-at with --json reports the error in the summary", async () => {
    const result = await runCli(["demo", "--items", "3000", "--fail-at", "10", "--json"]);
    assert.equal(result.code, 1);
    const summary = JSON.parse(result.stdout) as RunSummary & { error: { code: string } };
    assert.equal(summary.outcome, "failed");
    assert.equal(summary.error.code, "ERR_SLUICE_STAGE_FAILED");
  });

  test("SIGINT cancels the run, prints the partial summary and exits 130", async () => {
    const result = await runCli(["demo", "--items", "100000000", "--no-progress"], {
      // The intro is printed once the signal handler is installed.
      onSpawn: (child, output) =>
        signalWhen(child, () => output.stdout().includes("Ctrl-C cancels"), "SIGINT"),
    });
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stdout, /^cancelled in /m);
    for (const stage of STAGES) assert.equal(row(result.stdout, stage).at(-1), "✓", stage);
    assert.match(result.stderr, /^sluice: cancelled by SIGINT after [\d,]+ source items/);
  });

  test("the progress view prints plain lines, not escape codes, when stderr is a pipe", async () => {
    // Stopped at the first line: a line a second would make waiting for more slow.
    const result = await runCli(["demo", "--items", "100000000"], {
      onSpawn: (child, output) => signalWhen(child, () => output.stderr().includes("\n"), "SIGINT"),
    });
    assert.equal(result.code, 130, result.stderr);
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("["));
    assert.ok(lines.length >= 1, result.stderr);
    assert.match(lines[0]!, /^\[\d+\.\ds\] pulled [\d,]+ .* \| fetch [\d,]+→[\d,]+ \d+\/64 /);
    assert.ok(!result.stderr.includes("\u001b"), "escape codes on a pipe");
  });
});

describe(
  "sluice demo: bad input exits 2 with one line naming the option",
  {
    concurrency: true,
  },
  () => {
    const cases: readonly [args: string[], message: string][] = [
      [
        ["--items", "0"],
        "error: option '--items <n>' argument '0' is invalid. Expected an integer >= 1.",
      ],
      [
        ["--items", "abc"],
        "error: option '--items <n>' argument 'abc' is invalid. Expected an integer >= 1.",
      ],
      [
        ["--concurrency", "0"],
        "error: option '--concurrency <n>' argument '0' is invalid. Expected `map.concurrency` to be an integer >= 1 or \"cpus\", got `0` (number)",
      ],
      [
        ["--concurrency", "2.5"],
        "error: option '--concurrency <n>' argument '2.5' is invalid. Expected `map.concurrency` to be an integer >= 1 or \"cpus\", got `2.5` (number)",
      ],
      [
        ["--concurrency", "many"],
        "error: option '--concurrency <n>' argument 'many' is invalid. Expected an integer >= 1 or \"cpus\".",
      ],
      [
        ["--fail-at", "5", "--items", "5"],
        "error: option '--fail-at <id>' argument '5' is invalid. Expected an id below --items (5).",
      ],
      [["--itmes", "5"], "error: unknown option '--itmes'\n(Did you mean --items?)"],
    ];
    for (const [args, message] of cases) {
      test(args.join(" "), async () => {
        const result = await runCli(["demo", ...args, "--no-progress"]);
        assert.equal(result.code, 2);
        assert.equal(result.stdout, "");
        assert.equal(result.stderr.trim(), message);
      });
    }
  },
);
