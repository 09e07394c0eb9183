import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isThreadPoolClosedError, ThreadPoolClosedError } from "../../src/index.js";

describe("ThreadPoolClosedError", () => {
  test("closed before the run: names the stage and says so", () => {
    const error = new ThreadPoolClosedError("hash", false);
    assert.equal(error.code, "ERR_SLUICE_THREAD_POOL_CLOSED");
    assert.equal(error.name, "ThreadPoolClosedError");
    assert.equal(error.stage, "hash");
    assert.equal(error.whileRunning, false);
    assert.equal(error.message, 'Stage "hash": its thread pool was closed before the run');
  });

  test("closed while the stage ran: says when to close a shared pool", () => {
    const error = new ThreadPoolClosedError("hash", true);
    assert.equal(error.whileRunning, true);
    assert.equal(
      error.message,
      'Stage "hash": its thread pool was closed while the stage was running; close a shared pool only after the runs that use it have settled',
    );
  });

  test("from pool.prepare(): no stage, and says which call", () => {
    const closed = new ThreadPoolClosedError(undefined, false);
    assert.equal(closed.stage, undefined);
    assert.equal(closed.message, "ThreadPool.prepare(): the pool is closed");
    const closing = new ThreadPoolClosedError(undefined, true);
    assert.equal(
      closing.message,
      "ThreadPool.prepare(): the pool was closed before every thread was ready",
    );
  });

  test("isThreadPoolClosedError recognises it, and instanceof works", () => {
    const error = new ThreadPoolClosedError("hash", true);
    assert.equal(isThreadPoolClosedError(error), true);
    assert.ok(error instanceof ThreadPoolClosedError);
    assert.equal(isThreadPoolClosedError(new Error("its thread pool was closed")), false);
  });
});
