import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { importGraph } from "../helpers/import-graph.js";

describe("sluice/nats is a subpath of its own", () => {
  test('import "sluice" loads neither the NATS clients nor the nats code', () => {
    const { modules, packages } = importGraph();
    assert.deepEqual(
      modules.filter((m) => m.startsWith("nats/")),
      [],
    );
    assert.ok(!packages.some((p) => p.startsWith("@nats-io/")), packages.join(", "));
  });

  test("sluice/nats loads the NATS clients and not ioredis, and the package exports it", () => {
    const { modules, packages } = importGraph("nats/index.js");
    assert.ok(packages.includes("@nats-io/jetstream"));
    assert.ok(!packages.includes("ioredis"), packages.join(", "));
    assert.deepEqual(
      modules.filter((m) => m.startsWith("redis/")),
      [],
    );
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { exports: Record<string, Record<string, string>> };
    assert.deepEqual(pkg.exports["./nats"], {
      types: "./dist/nats/index.d.ts",
      default: "./dist/nats/index.js",
    });
  });
});
