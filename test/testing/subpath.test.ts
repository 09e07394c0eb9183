import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { importGraph } from "../helpers/import-graph.js";

describe("sluice/testing is a subpath of its own", () => {
  test('import "sluice" loads no testing code', () => {
    const loaded = importGraph().modules;
    assert.ok(loaded.includes("pipeline/pipeline.js"), "the graph walk found the core");
    assert.deepEqual(
      loaded.filter((f) => f.startsWith("testing/")),
      [],
    );
  });

  test("the package exports it as sluice/testing, types first", () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { exports: Record<string, Record<string, string>> };
    assert.deepEqual(pkg.exports["./testing"], {
      types: "./dist/testing/index.d.ts",
      default: "./dist/testing/index.js",
    });
  });

  test("its entry point exports the testing API by name", async () => {
    const testing = await import("../../src/testing/index.js");
    assert.deepEqual(Object.keys(testing).sort(), [
      "ChaosError",
      "FakeClock",
      "assertNoLeaks",
      "assertNoLeaksDefaults",
      "chaos",
      "chaosDefaults",
      "fakeClock",
      "isChaosError",
    ]);
  });
});
