import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const srcRoot = fileURLToPath(new URL("../../src/", import.meta.url));

/** Every module `entry` loads, following its static and dynamic relative imports. */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)["'](\.[^"']+)["']/g)) {
      queue.push(join(dirname(file), match[1]!));
    }
  }
  return seen;
}

describe("sluice/testing is a subpath of its own", () => {
  test('import "sluice" loads no testing code', () => {
    const loaded = [...importGraph(join(srcRoot, "index.js"))].map((f) => relative(srcRoot, f));
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
