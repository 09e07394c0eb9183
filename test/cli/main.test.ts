import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { runCli } from "./run-cli.js";

const manifest = JSON.parse(
  readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
) as { version: string };

describe("sluice (bin entry)", () => {
  test("--version prints the package version and exits 0", async () => {
    const result = await runCli(["--version"]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), manifest.version);
  });

  test("-V is short for --version", async () => {
    const result = await runCli(["-V"]);
    assert.equal(result.stdout.trim(), manifest.version);
  });

  test("--help lists the demo command and exits 0", async () => {
    const result = await runCli(["--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: sluice/);
    assert.match(result.stdout, /demo \[options\]/);
  });

  test("no command prints the help on stderr and exits 2", async () => {
    const result = await runCli([]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Usage: sluice/);
  });

  test("an unknown command exits 2 naming it", async () => {
    const result = await runCli(["demon"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command 'demon'/);
    assert.match(result.stderr, /Did you mean demo\?/);
  });
});
