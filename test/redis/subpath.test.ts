import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { importGraph } from "../helpers/import-graph.js";
import { assertCoreLoadsNone, assertExported, packageJson } from "../helpers/subpath.js";

describe("sluice/redis is a subpath of its own", () => {
  test('import "sluice" loads neither ioredis nor the redis code', () => {
    assertCoreLoadsNone("redis", (pkg) => pkg === "ioredis");
  });

  test("sluice/redis loads ioredis, and the package exports it", () => {
    assert.ok(importGraph("redis/index.js").packages.includes("ioredis"));
    assertExported("redis");
    assert.ok(packageJson().dependencies["ioredis"] !== undefined);
  });
});
