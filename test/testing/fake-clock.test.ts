import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock, fakeClock } from "../../src/testing/fake-clock.js";

describe("fakeClock", () => {
  test("starts at 0 or the given time and moves only when advanced", async () => {
    assert.equal(fakeClock().now(), 0);
    const clock = fakeClock(1_000);
    assert.ok(clock instanceof FakeClock);
    assert.equal(clock.now(), 1_000);
    await clock.advance(250);
    assert.equal(clock.now(), 1_250);
  });

  test("fires due timers in order of due time, then of creation, each at its own time", async () => {
    const clock = fakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 31);
    await clock.advance(30);
    assert.deepEqual(fired, ["a@10", "b@20", "c@20"]);
    assert.equal(clock.now(), 30);
    assert.equal(clock.pending, 1);
  });

  test("fires a timer set by a timer or a promise callback within the same advance", async () => {
    const clock = fakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => {
        clock.setTimeout(() => fired.push(clock.now()), 5);
      });
    }, 10);
    await clock.advance(15);
    assert.deepEqual(fired, [15]);
  });

  test("clearTimeout cancels a timer; unknown handles are ignored", async () => {
    const clock = fakeClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 10);
    clock.clearTimeout(handle);
    clock.clearTimeout("not a handle");
    await clock.advance(100);
    assert.equal(fired, false);
    assert.equal(clock.pending, 0);
    assert.deepEqual(clock.delays, [10]);
  });

  test("advance settles pending promises, even with no timer due", async () => {
    const clock = fakeClock();
    let done = false;
    void Promise.resolve()
      .then(() => undefined)
      .then(() => {
        done = true;
      });
    await clock.advance(0);
    assert.equal(done, true);
  });

  test("runAll fires every timer and the ones they set, and says how many", async () => {
    const clock = fakeClock();
    let ticks = 0;
    const tick = (): void => {
      ticks++;
      if (ticks < 5) clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    clock.setTimeout(() => {}, 50);
    assert.equal(await clock.runAll(), 6);
    assert.equal(ticks, 5);
    assert.equal(clock.now(), 500);
    assert.equal(clock.pending, 0);
    assert.equal(await clock.runAll(), 0);
  });

  test("runAll gives up on a timer that re-arms forever", async () => {
    const clock = fakeClock();
    const forever = (): void => {
      clock.setTimeout(forever, 1);
    };
    clock.setTimeout(forever, 1);
    await assert.rejects(clock.runAll(), /fired 100000 timers and more are still set/);
  });
});
