import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { deadLetterFile, type DeadLetterRecord } from "../../src/dead-letter/index.js";
import { from, type RunSummary } from "../../src/index.js";
import { runCli, signalWhen } from "./run-cli.js";

/** The compiled fixture module (test/dead-letter/fixtures/*.mts compile to .mjs). */
const fixture = fileURLToPath(
  new URL("../dead-letter/fixtures/replay-pipeline.mjs", import.meta.url),
);

const scratch = mkdtempSync(join(tmpdir(), "sluice-replay-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(scratch, `dead-${++files}.ndjson`);

/** Writes dead letters as a run of the fixture's stages would: one line per `[stage, item]`. */
async function writeDeadLetters(entries: readonly [string, unknown][]): Promise<string> {
  const path = tempFile();
  const deadLetters = deadLetterFile(path);
  for (const [stage, item] of entries) {
    await from([item])
      .map(
        (): never => {
          throw new Error("the payment service is down");
        },
        { name: stage, onError: "skip", deadLetter: deadLetters },
      )
      .run();
  }
  return path;
}

const storedIds = (stderr: string): number[] =>
  [...stderr.matchAll(/^stored (\d+)$/gm)].map((match) => Number(match[1])).sort((a, b) => a - b);

interface ReplayJson {
  readonly file: string;
  readonly replays: readonly { stage: string; items: number; summary: RunSummary }[];
}

describe("sluice replay", () => {
  test("feeds a stage's dead letters into that stage and the ones after it; exit 0 when all go through", async () => {
    const path = await writeDeadLetters([
      ["charge", { id: 1 }],
      ["charge", { id: 2 }],
    ]);
    const result = await runCli(["replay", path, fixture]);
    assert.equal(result.code, 0, result.stderr);
    // parse did not run on the parsed orders (it would have failed the run on them).
    assert.deepEqual(storedIds(result.stderr), [1, 2]);
    assert.equal(result.stderr.replace(/^stored \d+\n/gm, ""), "");
    const lines = result.stdout.split("\n");
    assert.equal(
      lines[0],
      `replay: 2 dead letter(s) of stage "charge" from ${path} into charge → store`,
    );
    assert.match(lines[1]!, /^stage +kind +concurrency/);
    assert.match(lines[2]!, /^charge +map +16 .* 2 +2 +\S+ +0 +0 +0 +2 +✓$/);
    assert.match(result.stdout, /^completed in .* · 2 source items · .* · 2 consumed by store$/m);
  });

  test("exits 1 when an item fails again, naming the stage and the count", async () => {
    const path = await writeDeadLetters([
      ["charge", { id: 3, broken: true }],
      ["charge", { id: 4 }],
    ]);
    const result = await runCli(["replay", path, fixture]);
    assert.equal(result.code, 1);
    assert.deepEqual(storedIds(result.stderr), [4]);
    assert.match(
      result.stderr,
      /^error: not every dead letter of stage "charge" went through \(2 replayed\): 1 failed in charge$/m,
    );
  });

  test("replays each stage from its own place, in pipeline order; --json prints every summary", async () => {
    const path = await writeDeadLetters([
      ["charge", { id: 6 }],
      ["parse", '{"id":5}'],
    ]);
    const result = await runCli(["replay", path, fixture, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(storedIds(result.stderr), [5, 6]);
    const report = JSON.parse(result.stdout) as ReplayJson;
    assert.equal(report.file, path);
    assert.deepEqual(
      report.replays.map(({ stage, items, summary }) => [
        stage,
        items,
        summary.outcome,
        summary.stages.map((stats) => `${stats.name}:${stats.in}`),
      ]),
      [
        ["parse", 1, "completed", ["parse:1", "charge:1", "store:1"]],
        ["charge", 1, "completed", ["charge:1", "store:1"]],
      ],
    );
  });

  test("--stage replays only that stage's dead letters", async () => {
    const path = await writeDeadLetters([
      ["charge", { id: 7 }],
      ["parse", '{"id":8}'],
    ]);
    const result = await runCli(["replay", path, fixture, "--stage", "parse", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(storedIds(result.stderr), [8]);
    const report = JSON.parse(result.stdout) as ReplayJson;
    assert.deepEqual(
      report.replays.map((replay) => replay.stage),
      ["parse"],
    );
  });

  test("items that fail again are dead-lettered again, and not replayed twice in one replay", async () => {
    const path = await writeDeadLetters([["charge", { id: 9, broken: true }]]);
    // The module's own dead letter appends to the file being replayed.
    const result = await runCli(["replay", path, fixture, "--", path]);
    assert.equal(result.code, 1);
    const records = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as DeadLetterRecord);
    assert.deepEqual(
      records.map((record) => [record.stage, record.item, record.error.message]),
      [
        ["charge", { id: 9, broken: true }, "the payment service is down"],
        ["charge", { id: 9, broken: true }, "order 9 is still broken"],
      ],
    );
  });

  test("a stage the module does not have is a usage error naming it and the module's stages", async () => {
    const path = await writeDeadLetters([
      ["charge", { id: 1 }],
      ["refund", { id: 2 }],
    ]);
    const result = await runCli(["replay", path, fixture]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `error: ${path} holds 1 dead letter(s) of stage "refund", but the pipeline of ${fixture} has no stage of that name; its stages: parse, charge, store\n`,
    );
    assert.equal(result.stdout, "");
    const flag = await runCli(["replay", path, fixture, "--stage", "refnud"]);
    assert.equal(flag.code, 2);
    assert.equal(
      flag.stderr,
      `error: --stage names "refnud", but the pipeline of ${fixture} has no stage of that name; its stages: parse, charge, store\n`,
    );
  });

  test("a missing or malformed file is a usage error naming the file (and the line); nothing runs", async () => {
    const missing = join(scratch, "missing.ndjson");
    const gone = await runCli(["replay", missing, fixture]);
    assert.equal(gone.code, 2);
    assert.equal(
      gone.stderr,
      `error: Cannot read the dead-letter file ${missing}: ENOENT: no such file or directory, stat '${missing}'\n`,
    );
    const malformed = tempFile();
    writeFileSync(malformed, '{"stage":"charge","item":{"id":1}}\n{"stage":"charge","item":\n');
    const bad = await runCli(["replay", malformed, fixture]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      new RegExp(`^error: Malformed dead-letter line ${malformed}:2: not JSON \\(.*\\)\\n$`),
    );
    assert.deepEqual(storedIds(bad.stderr), []);
  });

  test("an empty file replays nothing and says so; exit 0", async () => {
    const empty = tempFile();
    writeFileSync(empty, "");
    const result = await runCli(["replay", empty, fixture]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, `sluice: nothing to replay: ${empty} holds no dead letters.\n`);
  });

  test("a module that cannot be loaded: exit 2, as for sluice tune", async () => {
    const path = await writeDeadLetters([["charge", { id: 1 }]]);
    const result = await runCli(["replay", path, "no-such-module.mjs"], { cwd: scratch });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `error: Cannot load the pipeline module no-such-module.mjs: no such file (${join(scratch, "no-such-module.mjs")})\n`,
    );
  });

  test("Ctrl-C cancels the replay under way and exits 130 with its partial summary", async () => {
    const path = await writeDeadLetters([["charge", { id: 10, hang: true }]]);
    const result = await runCli(["replay", path, fixture], {
      onSpawn: (child, output) =>
        signalWhen(child, () => output.stderr().includes("charging"), "SIGINT"),
    });
    assert.equal(result.code, 130);
    assert.match(result.stdout, /^cancelled in /m);
    assert.match(
      result.stderr,
      /^charging\nsluice: the replay of stage "charge" was cancelled by SIGINT after 1 of 1 items \(.*\); its summary is partial\.\n$/,
    );
  });

  test("sluice --help lists the replay command", async () => {
    const result = await runCli(["--help"]);
    assert.match(result.stdout, /replay \[options\] <file> <module> \[args\.\.\.\]/);
  });
});
