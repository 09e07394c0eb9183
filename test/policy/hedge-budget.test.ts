import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HedgeBudget } from "../../src/policy/hedge-budget.js";
import { ManualClock } from "../helpers/manual-clock.js";

describe("HedgeBudget", () => {
  test("allows 10 hedges per window plus ratio × calls, and refuses without changing the counts", () => {
    const budget = new HedgeBudget(0.05, new ManualClock());
    for (let i = 0; i < 100; i++) budget.recordCall();
    assert.equal(budget.available, 15);
    let granted = 0;
    while (budget.tryHedge()) granted++;
    assert.equal(granted, 15);
    assert.equal(budget.available, 0);
    for (let i = 0; i < 20; i++) budget.recordCall();
    assert.equal(budget.available, 1);
  });

  test("hedges come back as the window slides past them", async () => {
    const clock = new ManualClock();
    const budget = new HedgeBudget(0, clock, 1_000, 2);
    assert.equal(budget.tryHedge(), true);
    assert.equal(budget.tryHedge(), true);
    assert.equal(budget.tryHedge(), false);
    await clock.advance(1_000);
    assert.equal(budget.tryHedge(), true);
  });
});
