import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { importGraph } from "../helpers/import-graph.js";
import { assertCoreLoadsNone, assertExported } from "../helpers/subpath.js";

describe("sluice/nats is a subpath of its own", () => {
  test('import "sluice" loads neither the NATS clients nor the nats code', () => {
    assertCoreLoadsNone("nats", (pkg) => pkg.startsWith("@nats-io/"));
  });

  test("sluice/nats loads the NATS clients and not ioredis, and the package exports it", () => {
    const { modules, packages } = importGraph("nats/index.js");
    assert.ok(packages.includes("@nats-io/jetstream"));
    assert.ok(!packages.includes("ioredis"), packages.join(", "));
    assert.deepEqual(
      modules.filter((m) => m.startsWith("redis/")),
      [],
    );
    assertExported("nats");
  });
});
