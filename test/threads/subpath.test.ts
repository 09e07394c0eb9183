import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { importGraph } from "../helpers/import-graph.js";

describe("sluice/threads is a subpath of its own", () => {
  test('import "sluice" loads no thread code', () => {
    const loaded = importGraph().modules;
    assert.ok(loaded.includes("pipeline/pipeline.js"), "the graph walk found the core");
    assert.deepEqual(
      loaded.filter((f) => f.startsWith("threads/")),
      [],
    );
  });

  test("the package exports it as sluice/threads, types first", () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { exports: Record<string, Record<string, string>> };
    assert.deepEqual(Object.keys(pkg.exports["./threads"]!), ["types", "default"]);
    assert.equal(pkg.exports["./threads"]!.default, "./dist/threads/index.js");
  });
});
