import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { importGraph } from "../helpers/import-graph.js";

describe("sluice/pg is a subpath of its own", () => {
  test('import "sluice" loads neither pg nor the pg code', () => {
    const { modules, packages } = importGraph();
    assert.ok(modules.includes("pipeline/pipeline.js"));
    assert.deepEqual(
      modules.filter((f) => f.startsWith("pg/")),
      [],
    );
    assert.ok(!packages.includes("pg"), `the core imports ${packages.join(", ")}`);
  });

  test("sluice/pg loads pg, and the package exports it", () => {
    const { packages } = importGraph("pg/index.js");
    assert.ok(packages.includes("pg"));
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { exports: Record<string, Record<string, string>>; dependencies: Record<string, string> };
    assert.deepEqual(pkg.exports["./pg"], {
      types: "./dist/pg/index.d.ts",
      default: "./dist/pg/index.js",
    });
    assert.ok(pkg.dependencies["pg"] !== undefined);
  });
});
