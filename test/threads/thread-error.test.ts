import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { errorToRecord, recordToError } from "../../src/threads/thread-error.js";

const across = (error: unknown) => recordToError(structuredClone(errorToRecord(error)));

describe("errors across the thread boundary", () => {
  test("keep their name, message, stack and own properties", () => {
    const original = Object.assign(new RangeError("too big"), { code: "E_BIG", status: 413 });
    const error = across(original) as Error & { code: string; status: number };
    assert.equal(error.name, "RangeError");
    assert.equal(error.message, "too big");
    assert.equal(error.stack, original.stack);
    assert.equal(error.code, "E_BIG");
    assert.equal(error.status, 413);
  });

  test("keep the built-in class they are or extend: instanceof still tells them apart", () => {
    class QuotaError extends RangeError {
      override name = "QuotaError";
    }
    const range = across(new RangeError("too big"));
    assert.ok(range instanceof RangeError);
    const quota = across(new QuotaError("over")) as Error;
    assert.ok(quota instanceof RangeError);
    assert.equal(quota.name, "QuotaError");
    const outer = across(new Error("outer", { cause: new TypeError("inner") })) as Error;
    assert.equal(outer.constructor, Error);
    assert.ok(outer.cause instanceof TypeError);
    for (const Builtin of [SyntaxError, ReferenceError, EvalError, URIError]) {
      assert.ok(across(new Builtin("x")) instanceof Builtin, Builtin.name);
    }
  });

  test("keep their cause, and drop properties that cannot be cloned", () => {
    const original = Object.assign(new Error("outer", { cause: new TypeError("inner") }), {
      callback: () => 1,
    });
    const error = across(original) as Error & { callback?: unknown };
    assert.equal((error.cause as Error).message, "inner");
    assert.equal((error.cause as Error).name, "TypeError");
    assert.equal(error.callback, undefined);
  });

  test("keep Buffers among their properties (and their cause's) as Buffers", () => {
    const inner = Object.assign(new Error("inner"), { body: Buffer.from("inner body") });
    const original = Object.assign(new Error("outer", { cause: inner }), {
      payload: Buffer.from("payload"),
      nested: { parts: [Buffer.from("part")] },
      plain: new Uint8Array([1]),
    });
    const error = across(original) as Error & {
      payload: unknown;
      nested: { parts: unknown[] };
      plain: unknown;
    };
    assert.ok(Buffer.isBuffer(error.payload));
    assert.equal((error.payload as Buffer).toString(), "payload");
    assert.ok(Buffer.isBuffer(error.nested.parts[0]));
    assert.equal((error.plain as Uint8Array).constructor, Uint8Array);
    const cause = error.cause as Error & { body: unknown };
    assert.ok(Buffer.isBuffer(cause.body));
    assert.equal((cause.body as Buffer).toString(), "inner body");
  });

  test("a thrown non-error crosses as itself, or as its text when it cannot be cloned", () => {
    assert.deepEqual(across({ reason: "no" }), { reason: "no" });
    assert.equal(across(42), 42);
    assert.match(String(across(() => 1)), /=>/);
  });

  test("a thrown non-error keeps its Buffers as Buffers, the value itself one too", () => {
    const value = across({ code: "E_BODY", body: Buffer.from("body"), raw: new Uint8Array([1]) });
    const thrown = value as { code: string; body: unknown; raw: unknown };
    assert.equal(thrown.code, "E_BODY");
    assert.ok(Buffer.isBuffer(thrown.body));
    assert.equal((thrown.body as Buffer).toString(), "body");
    assert.equal((thrown.raw as Uint8Array).constructor, Uint8Array);
    const buffer = across(Buffer.from("bare"));
    assert.ok(Buffer.isBuffer(buffer));
    assert.equal((buffer as Buffer).toString(), "bare");
    const cause = across(new Error("outer", { cause: { body: Buffer.from("c") } })) as Error;
    assert.ok(Buffer.isBuffer((cause.cause as { body: unknown }).body));
  });
});
