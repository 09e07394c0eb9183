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

describe("sluice/threads is a subpath of its own", () => {
  test('import "sluice" loads no thread code', () => {
    const loaded = [...importGraph(join(srcRoot, "index.js"))].map((f) => relative(srcRoot, f));
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
