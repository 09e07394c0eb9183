import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { TuneResult } from "../../src/index.js";
import { runCli, signalWhen } from "./run-cli.js";

/** A compiled fixture module (test/tune/fixtures/*.mts compile to .mjs beside this file's build). */
const fixture = (name: string): string =>
  fileURLToPath(new URL(`../tune/fixtures/${name}`, import.meta.url));
/** The TypeScript fixture as written: the CLI loads it through tsx. */
const typescriptFixture = fileURLToPath(
  new URL("../../../test/tune/fixtures/service-module.ts", import.meta.url),
);

/** The table rows of `sluice tune` output: the concurrency column, in order. */
function widths(stdout: string): number[] {
  return stdout
    .split("\n")
    .filter((line) => /^ +\d+ /.test(line))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

describe("sluice tune", () => {
  const scratch = mkdtempSync(join(tmpdir(), "sluice-tune-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test("tunes the named stage of a module whose default export is a pipeline", async () => {
    const result = await runCli([
      "tune",
      fixture("service-pipeline.mjs"),
      "--stage",
      "call",
      "--sample",
      "32",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const lines = result.stdout.split("\n");
    assert.equal(lines[0], 'tune: stage "call", 32 source items per trial');
    assert.match(lines[1]!, /^concurrency +items\/s +p50 +p99 +mean +duration$/);
    assert.deepEqual(widths(result.stdout).slice(0, 3), [1, 2, 4]);
    // Where the knee falls is tune()'s to get right, on fake time (test/tune); here, on real
    // timers in a child process, only the report's shape is checked.
    assert.match(result.stdout, /^ +\d+ .*<- knee$/m);
    assert.match(result.stdout, /^knee: concurrency \d+ \(/m);
    assert.match(
      result.stdout,
      /^estimate: concurrency \d+ = ceil\(rate × mean latency \/ utilisation\) = ceil\([\d,.]+\/s × [\d.]+ ms \/ 0\.8\) = ceil\([\d.]+\)/m,
    );
    assert.match(result.stdout, /^stopped: (plateau|max) \(/m);
  });

  test("passes the arguments after -- to a default-export function, and --json prints the result", async () => {
    const result = await runCli([
      "tune",
      fixture("service-factory.mjs"),
      "--sample",
      "16",
      "--max",
      "4",
      "--utilisation",
      "0.5",
      "--rate",
      "400",
      "--json",
      "--",
      "2",
      "10",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const tuned = JSON.parse(result.stdout) as TuneResult;
    assert.equal(tuned.stage, "call");
    assert.equal(tuned.sample, 16);
    assert.equal(tuned.utilisation, 0.5);
    assert.equal(tuned.rate, 400);
    assert.equal(tuned.estimate, Math.ceil((400 * tuned.rows[0]!.meanMs) / 1000 / 0.5));
    const tried = tuned.rows.map((row) => row.concurrency);
    assert.deepEqual(tried, [1, 2, 4].slice(0, tried.length));
    assert.ok(tried.length >= 2, `widths ${tried}`);
    // Capacity 2 (the first argument): at width 4 half the calls wait a whole call for a
    // server, and width 4 gains nothing over 2.
    if (tuned.rows[2] !== undefined) {
      assert.ok(tuned.rows[2].p50Ms >= 15, `p50 at 4: ${tuned.rows[2].p50Ms}`);
    }
    assert.ok(tuned.knee !== undefined && tried.includes(tuned.knee), `knee ${tuned.knee}`);
    // 10 ms per call (the second argument).
    assert.ok(tuned.rows[0]!.meanMs >= 9.5, `${tuned.rows[0]!.meanMs}`);
  });

  test("loads a TypeScript module through tsx", async () => {
    const result = await runCli(
      ["tune", typescriptFixture, "--sample", "16", "--max", "2", "--slo", "1000", "--", "16"],
      { timeoutMs: 20_000 },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^tune: stage "call", 16 source items per trial, SLO p99 <= 1,000 ms$/m,
    );
    assert.deepEqual(widths(result.stdout), [1, 2]);
  });

  test("asks for --stage when the pipeline has several function stages", async () => {
    const result = await runCli(["tune", fixture("service-pipeline.mjs"), "--sample", "8"]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "error: Option `tune.stage` is required when the pipeline has several function stages: name one of call, double (--stage <name>)\n",
    );
    assert.equal(result.stdout, "");
  });

  test("an unknown --stage is a usage error listing the stages", async () => {
    const result = await runCli(["tune", fixture("service-pipeline.mjs"), "--stage", "cal"]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "error: option '--stage <name>' argument 'cal' is invalid. Expected `tune.stage` to be the name of a map, filter, flatMap, tap or forEach stage of the pipeline (call, double), got `\"cal\"` (string)\n",
    );
  });

  test("a bad flag is refused before the module is loaded", async () => {
    // The module throws when loaded: exit 2, not 1, shows it never was.
    const slo = await runCli(["tune", fixture("throws-on-load.mjs"), "--slo", "fast"]);
    assert.equal(slo.code, 2);
    assert.equal(
      slo.stderr,
      'error: option \'--slo <duration>\' argument \'fast\' is invalid. Expected `tune.slo` to be a duration > 0 ms (a number of ms or a string such as "100ms", "30s"), got `"fast"` (string)\n',
    );
    const sample = await runCli(["tune", fixture("throws-on-load.mjs"), "--sample", "0"]);
    assert.equal(sample.code, 2);
    assert.match(
      sample.stderr,
      /option '--sample <n>' argument '0' is invalid\. Expected an integer >= 1\./,
    );
    const utilisation = await runCli(["tune", fixture("throws-on-load.mjs"), "--utilisation", "2"]);
    assert.equal(utilisation.code, 2);
    assert.match(
      utilisation.stderr,
      /Expected `tune\.utilisation` to be a number > 0 and <= 1, got `2`/,
    );
  });

  test("a module that is missing, has no default export or exports something else: exit 2", async () => {
    const missing = await runCli(["tune", "no-such-module.mjs"], { cwd: scratch });
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr,
      `error: Cannot load the pipeline module no-such-module.mjs: no such file (${join(scratch, "no-such-module.mjs")})\n`,
    );
    const noDefault = await runCli(["tune", fixture("no-default.mjs")]);
    assert.equal(noDefault.code, 2);
    assert.match(
      noDefault.stderr,
      /has no default export: `export default` a pipeline, or a function \(args\) => pipeline\n$/,
    );
    const neither = await runCli(["tune", fixture("not-a-pipeline.mjs")]);
    assert.equal(neither.code, 2);
    assert.match(
      neither.stderr,
      /The default export of .*not-a-pipeline\.mjs is `\{"items":\[1,2,3\]\}` \(object\), not a pipeline/,
    );
    const nothing = await runCli(["tune", fixture("returns-nothing.mjs")]);
    assert.equal(nothing.code, 2);
    assert.match(
      nothing.stderr,
      /The default export function of .*returns-nothing\.mjs returned `undefined` \(undefined\), not a pipeline/,
    );
  });

  test("a .ts module where no tsx can be found: exit 2, saying how to install it", async () => {
    const copy = join(scratch, "pipeline.ts");
    copyFileSync(typescriptFixture, copy);
    const result = await runCli(["tune", "pipeline.ts"], { cwd: scratch });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "error: Cannot load the TypeScript module pipeline.ts: tsx is not installed where pipeline.ts or the current directory can find it. Install it in the module's project (npm i -D tsx), or point sluice at the built .js file\n",
    );
  });

  test("a module that throws while loading, or a failing trial: exit 1 with the error", async () => {
    const load = await runCli(["tune", fixture("throws-on-load.mjs")]);
    assert.equal(load.code, 1);
    assert.match(
      load.stderr,
      /^error: Cannot load the pipeline module .*throws-on-load\.mjs: the database is down\n$/,
    );
    const trial = await runCli(["tune", fixture("failing-stage.mjs")]);
    assert.equal(trial.code, 1);
    assert.match(
      trial.stderr,
      /^error: Tuning stage "call": the trial at concurrency 1 failed: .*upstream said no/,
    );
    assert.equal(trial.stdout, "");
  });

  test("Ctrl-C cancels the trial under way and exits 130", async () => {
    // Signalled once the stage runs (a fixed delay raced the CLI's start-up under load).
    const result = await runCli(
      ["tune", fixture("announcing-service.mjs"), "--stage", "call", "--sample", "100000"],
      {
        onSpawn: (child, output) =>
          signalWhen(child, () => output.stderr().includes("calling"), "SIGINT"),
      },
    );
    assert.equal(result.code, 130);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, "calling\nsluice: tuning cancelled by SIGINT; no result.\n");
  });

  test("sluice --help lists the tune command", async () => {
    const result = await runCli(["--help"]);
    assert.match(result.stdout, /tune \[options\] <module> \[args\.\.\.\]/);
  });
});
