import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { importGraph } from "../helpers/import-graph.js";

describe("sluice/redis is a subpath of its own", () => {
  test('import "sluice" loads neither ioredis nor the redis code', () => {
    const { modules, packages } = importGraph();
    assert.ok(modules.includes("pipeline/pipeline.js"));
    assert.deepEqual(
      modules.filter((f) => f.startsWith("redis/")),
      [],
    );
    assert.ok(!packages.includes("ioredis"), `the core imports ${packages.join(", ")}`);
  });

  test("sluice/redis loads ioredis, and the package exports it", () => {
    const { packages } = importGraph("redis/index.js");
    assert.ok(packages.includes("ioredis"));
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { exports: Record<string, Record<string, string>>; dependencies: Record<string, string> };
    assert.deepEqual(pkg.exports["./redis"], {
      types: "./dist/redis/index.d.ts",
      default: "./dist/redis/index.js",
    });
    assert.ok(pkg.dependencies["ioredis"] !== undefined);
  });
});
