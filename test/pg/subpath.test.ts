import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { importGraph } from "../helpers/import-graph.js";
import { assertCoreLoadsNone, assertExported, packageJson } from "../helpers/subpath.js";

describe("sluice/pg is a subpath of its own", () => {
  test('import "sluice" loads neither pg nor the pg code', () => {
    assertCoreLoadsNone("pg", (pkg) => pkg === "pg");
  });

  test("sluice/pg loads pg, and the package exports it", () => {
    assert.ok(importGraph("pg/index.js").packages.includes("pg"));
    assertExported("pg");
    assert.ok(packageJson().dependencies["pg"] !== undefined);
  });
});
