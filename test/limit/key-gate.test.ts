import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KeyAdmission, KeyGate } from "../../src/limit/key-gate.js";

describe("KeyGate", () => {
  test("admits perKey items of a key, parks the rest in arrival order, and hands the turn on as each is released", () => {
    const gate = new KeyGate((item) => (item as string)[0], 2);
    assert.equal(gate.admit("a0", 0, 0), KeyAdmission.Start);
    assert.equal(gate.admit("a1", 1, 0), KeyAdmission.Start);
    assert.equal(gate.admit("a2", 2, 5), KeyAdmission.Parked);
    assert.equal(gate.admit("b0", 3, 0), KeyAdmission.Start);
    assert.equal(gate.admit("a3", 4, 0), KeyAdmission.Parked);
    assert.equal(gate.held, 2);
    assert.deepEqual(gate.stats(), {
      active: 2,
      waiting: 2,
      maxWaiting: 2,
      hottest: { key: "a", inFlight: 2, waiting: 2 },
    });
    gate.release(1);
    assert.deepEqual(gate.ready, [{ item: "a2", index: 2, weight: 5 }]);
    gate.ready.shift();
    gate.release(3);
    assert.equal(gate.size, 1, "b left with its last item");
    gate.release(0);
    gate.release(2);
    assert.deepEqual(
      gate.ready.map((waiting) => waiting.item),
      ["a3"],
    );
    gate.ready.shift();
    gate.release(4);
    assert.equal(gate.size, 0);
    assert.equal(gate.held, 0);
  });

  test("asked again for the same head, it answers Start without counting it twice", () => {
    const gate = new KeyGate(() => "k", 1);
    assert.equal(gate.admit("x", 7, 0), KeyAdmission.Start);
    assert.equal(gate.admit("x", 7, 0), KeyAdmission.Start);
    gate.release(7);
    assert.equal(gate.size, 0);
    assert.equal(gate.admit("y", 8, 0), KeyAdmission.Start);
  });

  test("a key function that throws is the item's failure; undefined, NaN and objects are keys", () => {
    const boom = new Error("no key");
    const gate = new KeyGate((item) => {
      if (item === "bad") throw boom;
      return item === "u" ? undefined : item === "n" ? Number.NaN : item;
    }, 1);
    assert.equal(gate.admit("bad", 0, 0), KeyAdmission.Fail);
    assert.equal(gate.failure, boom);
    assert.equal(gate.admit("u", 1, 0), KeyAdmission.Start);
    assert.equal(gate.admit("u", 2, 0), KeyAdmission.Parked);
    assert.equal(gate.admit("n", 3, 0), KeyAdmission.Start);
    assert.equal(gate.admit("n", 4, 0), KeyAdmission.Parked);
    gate.release(1);
    assert.equal(gate.ready[0]!.index, 2);
    assert.equal(gate.clear(), 2);
    assert.equal(gate.size, 0);
  });

  test("the hottest key is shown as text, cut at 60 characters", () => {
    const gate = new KeyGate((item) => item, 1);
    const key = { host: "x".repeat(100) };
    gate.admit(key, 0, 0);
    gate.admit(key, 1, 0);
    const hottest = gate.stats().hottest!;
    assert.equal(hottest.key.length, 60);
    assert.ok(hottest.key.startsWith('{"host":"xxx'));
  });
});
