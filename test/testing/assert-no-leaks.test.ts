import assert, { AssertionError } from "node:assert/strict";
import { describe, test } from "node:test";
import { assertNoLeaks } from "../../src/testing/assert-no-leaks.js";

/** Runs `block`, expecting assertNoLeaks to fail; returns its AssertionError. */
async function leakReport(block: () => unknown): Promise<AssertionError> {
  try {
    await assertNoLeaks(block);
  } catch (error) {
    assert.ok(error instanceof AssertionError, String(error));
    return error;
  }
  assert.fail("assertNoLeaks passed");
}

describe("assertNoLeaks", () => {
  test("passes on clean code and resolves with what the block returned", async () => {
    const value = await assertNoLeaks(async () => {
      const timer = setTimeout(() => {}, 10_000);
      clearTimeout(timer);
      const interval = setInterval(() => {}, 10);
      clearInterval(interval);
      await new Promise((resolve) => setTimeout(resolve, 1));
      await new Promise((resolve) => setImmediate(resolve));
      return 42;
    });
    assert.equal(value, 42);
  });

  test("passes a synchronous block too", async () => {
    assert.equal(await assertNoLeaks(() => "sync"), "sync");
  });

  test("reports a timer left behind, with where it was set", async () => {
    let timer: NodeJS.Timeout | undefined;
    const error = await leakReport(() => {
      timer = setTimeout(() => {}, 10_000);
    });
    clearTimeout(timer);
    assert.equal(error.code, "ERR_ASSERTION");
    assert.match(error.message, /^Resources left behind: Timeout × 1\n/);
    assert.match(
      error.message,
      /pending setTimeout of 10000 ms, set at .*assert-no-leaks\.test\.[jt]s:\d+/,
    );
    assert.deepEqual(error.expected, []);
    assert.equal((error.actual as string[]).length, 2);
  });

  test("reports an interval left behind", async () => {
    let interval: NodeJS.Timeout | undefined;
    const error = await leakReport(() => {
      interval = setInterval(() => {}, 1);
    });
    clearInterval(interval);
    assert.match(error.message, /Timeout × 1/);
    assert.match(error.message, /pending setInterval every 1 ms, set at /);
  });

  test("reports an unref()ed interval, which the resource list does not show", async () => {
    let interval: NodeJS.Timeout | undefined;
    const error = await leakReport(() => {
      interval = setInterval(() => {}, 1_000).unref();
    });
    clearInterval(interval);
    assert.doesNotMatch(error.message, /Timeout ×/);
    assert.match(error.message, /pending setInterval every 1000 ms/);
  });

  test("reports an unhandled rejection, and the test runner does not see it", async () => {
    const error = await leakReport(() => {
      void Promise.reject(new RangeError("nobody listens"));
    });
    assert.match(error.message, /unhandled rejection: RangeError: nobody listens/);
  });

  test("a rejection handled late is not reported", async () => {
    await assertNoLeaks(async () => {
      const rejected = Promise.reject(new Error("handled later"));
      await new Promise((resolve) => setImmediate(resolve));
      await rejected.catch(() => {});
    });
  });

  test("reports a handle left open", async () => {
    const { port1, port2 } = new MessageChannel();
    const error = await leakReport(() => {
      port1.on("message", () => {});
    });
    port1.close();
    port2.close();
    assert.match(error.message, /MessagePort × 1/);
  });

  test("ignore leaves out the kinds it names", async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      await assertNoLeaks(
        () => {
          port1.on("message", () => {});
        },
        { ignore: ["MessagePort"] },
      );
    } finally {
      port1.close();
      port2.close();
    }
  });

  test("waits for things that close a few turns later", async () => {
    await assertNoLeaks(() => {
      const timer = setInterval(() => {}, 1_000);
      // Cleared 8 turns after the block returns: within the default 20.
      let turns = 0;
      const wait = (): void => {
        if (++turns < 8) setImmediate(wait);
        else clearInterval(timer);
      };
      setImmediate(wait);
    });
  });

  test("re-throws the block's own error unchanged and puts everything back", async () => {
    const setTimeoutBefore = globalThis.setTimeout;
    const listenersBefore = process.rawListeners("unhandledRejection");
    const failure = new Error("the block failed");
    await assert.rejects(
      assertNoLeaks(() => {
        assert.notEqual(globalThis.setTimeout, setTimeoutBefore, "wrapped while it runs");
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.equal(globalThis.setTimeout, setTimeoutBefore);
    assert.deepEqual(process.rawListeners("unhandledRejection"), listenersBefore);
  });

  test("nested checks each report their own leaks and restore the globals", async () => {
    const setIntervalBefore = globalThis.setInterval;
    let inner: NodeJS.Timeout | undefined;
    const outer = await leakReport(async () => {
      const error = await leakReport(() => {
        inner = setInterval(() => {}, 1_000);
      });
      assert.match(error.message, /setInterval every 1000 ms/);
    });
    clearInterval(inner);
    assert.match(outer.message, /setInterval every 1000 ms/);
    assert.equal(globalThis.setInterval, setIntervalBefore);
  });

  test("util.promisify(setTimeout) still works while timers are wrapped", async () => {
    const { promisify } = await import("node:util");
    await assertNoLeaks(async () => {
      assert.equal(await promisify(setTimeout)(1, "done"), "done");
    });
  });
});
