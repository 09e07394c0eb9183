import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runInNewContext } from "node:vm";
import { serializeError } from "../../src/dead-letter/index.js";
import { TimeoutError } from "../../src/index.js";

describe("serializeError", () => {
  test("keeps an Error's name, message, code and stack", () => {
    const error = Object.assign(new TypeError("bad input"), { code: "E_INPUT" });
    assert.deepEqual(serializeError(error), {
      name: "TypeError",
      message: "bad input",
      code: "E_INPUT",
      stack: error.stack,
    });
  });

  test("keeps a numeric code, and sluice's own codes", () => {
    const http = Object.assign(new Error("Too Many Requests"), { code: 429 });
    assert.equal(serializeError(http).code, 429);
    const timeout = serializeError(new TimeoutError("call", 3, 251, 250));
    assert.equal(timeout.name, "TimeoutError");
    assert.equal(timeout.code, "ERR_SLUICE_TIMEOUT");
  });

  test("follows the cause chain, serialising each cause the same way", () => {
    const root = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const error = new Error("fetch failed", { cause: new Error("socket", { cause: root }) });
    const serialized = serializeError(error);
    assert.equal(serialized.cause?.message, "socket");
    assert.equal(serialized.cause?.cause?.message, "connect ECONNREFUSED");
    assert.equal(serialized.cause?.cause?.code, "ECONNREFUSED");
    assert.equal(serialized.cause?.cause?.cause, undefined);
  });

  test("stops after 5 levels of causes, and at a cause met before", () => {
    let error = new Error("level 0");
    for (let i = 1; i <= 8; i++) error = new Error(`level ${i}`, { cause: error });
    let depth = 0;
    for (let at = serializeError(error).cause; at !== undefined; at = at.cause) depth++;
    assert.equal(depth, 5);
    const cyclic = new Error("a");
    cyclic.cause = new Error("b", { cause: cyclic });
    const serialized = serializeError(cyclic);
    assert.equal(serialized.cause?.message, "b");
    assert.equal(serialized.cause?.cause, undefined);
  });

  test("serialises an AggregateError's errors", () => {
    const error = new AggregateError([new Error("one"), "two"], "both failed");
    const serialized = serializeError(error);
    assert.equal(serialized.message, "both failed");
    assert.deepEqual(
      serialized.errors?.map((inner) => [inner.name, inner.message]),
      [
        ["Error", "one"],
        ["string", "two"],
      ],
    );
  });

  test("describes thrown strings, numbers, null and undefined by their type", () => {
    assert.deepEqual(serializeError("boom"), { name: "string", message: "boom" });
    assert.deepEqual(serializeError(42), { name: "number", message: "42" });
    assert.deepEqual(serializeError(null), { name: "null", message: "null" });
    assert.deepEqual(serializeError(undefined), { name: "undefined", message: "undefined" });
    assert.deepEqual(serializeError(7n), { name: "bigint", message: "7" });
  });

  test("keeps a thrown object whole in value, with its own message and code", () => {
    assert.deepEqual(serializeError({ status: 503, message: "unavailable", code: "E503" }), {
      name: "object",
      message: "unavailable",
      code: "E503",
      value: { status: 503, message: "unavailable", code: "E503" },
    });
    assert.deepEqual(serializeError({ status: 500 }), {
      name: "object",
      message: '{"status":500}',
      value: { status: 500 },
    });
    assert.deepEqual(serializeError([1, 2n]), {
      name: "array",
      message: '[1,{"$bigint":"2"}]',
      value: [1, { $bigint: "2" }],
    });
  });

  test("recognises Errors from another realm", () => {
    const foreign = runInNewContext('new RangeError("elsewhere")') as unknown;
    assert.ok(!(foreign instanceof Error));
    const serialized = serializeError(foreign);
    assert.equal(serialized.name, "RangeError");
    assert.equal(serialized.message, "elsewhere");
    assert.equal(typeof serialized.stack, "string");
  });

  test("never throws on an error whose properties throw", () => {
    const hostile = new Error("x");
    Object.defineProperty(hostile, "message", {
      get(): never {
        throw new Error("no message");
      },
    });
    assert.deepEqual(serializeError(hostile), {
      name: "Error",
      message: "[Unserializable error: no message]",
    });
    const bare = Object.create(null) as object;
    assert.deepEqual(serializeError(bare), { name: "object", message: "{}", value: {} });
  });
});
