import assert from "node:assert/strict";
import { test } from "node:test";
import { Parking } from "../../src/stage/parking.js";

test("wakeOne wakes exactly one parked worker, the most recent", async () => {
  const parking = new Parking();
  const woken: string[] = [];
  void parking.park().then(() => woken.push("first"));
  void parking.park().then(() => woken.push("second"));
  assert.equal(parking.size, 2);
  parking.wakeOne();
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(woken, ["second"]);
  assert.equal(parking.size, 1);
});

test("wakeAll wakes every parked worker; waking nobody is harmless", async () => {
  const parking = new Parking();
  parking.wakeOne();
  let count = 0;
  const parked = [parking.park(), parking.park(), parking.park()].map((p) => p.then(() => count++));
  parking.wakeAll();
  await Promise.all(parked);
  assert.equal(count, 3);
  assert.equal(parking.size, 0);
});
