import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ChannelClosedError, channel, isChannelClosedError } from "../../src/index.js";
import { secondCopy } from "../helpers/second-copy.js";

const CODE = "ERR_SLUICE_CHANNEL_CLOSED";

describe("ChannelClosedError", () => {
  test("has its code, name and a message with the operation and the items not sent", () => {
    const error = new ChannelClosedError("send", 3);
    assert.equal(error.code, CODE);
    assert.equal(error.name, "ChannelClosedError");
    assert.equal(error.message, "Cannot send on a closed channel (3 item(s) not sent)");
    assert.equal(error.cause, undefined);
    assert.ok(error instanceof Error);
    assert.match(String(error.stack), /^ChannelClosedError: Cannot send/);
  });

  test("is what a send on a closed channel rejects with", async () => {
    const ch = channel<number>();
    ch.close();
    await assert.rejects(ch.sendMany([1, 2]), (error: unknown) => {
      assert.ok(error instanceof ChannelClosedError);
      assert.equal(error.message, "Cannot send on a closed channel (2 item(s) not sent)");
      return true;
    });
  });

  test("isChannelClosedError recognises it and nothing else", () => {
    assert.equal(isChannelClosedError(new ChannelClosedError("send", 1)), true);
    assert.equal(isChannelClosedError(Object.assign(new Error("x"), { code: CODE })), false);
    assert.equal(isChannelClosedError(null), false);
    assert.equal(isChannelClosedError("ChannelClosedError"), false);
  });

  test("instanceof and the guard work across two copies of the package", async () => {
    const copy =
      await secondCopy<typeof import("../../src/errors/channel-closed-error.js")>(
        "channel-closed-error",
      );
    assert.notEqual(copy.ChannelClosedError, ChannelClosedError);
    const foreign = new copy.ChannelClosedError("send", 1);
    assert.ok(foreign instanceof ChannelClosedError);
    assert.ok(isChannelClosedError(foreign));
    assert.ok(new ChannelClosedError("send", 1) instanceof copy.ChannelClosedError);
    assert.ok(copy.isChannelClosedError(new ChannelClosedError("send", 1)));
  });

  test("instanceof accepts any object carrying the brand, and a subclass checks its own prototype", () => {
    const branded = { [Symbol.for("sluice.error.code")]: CODE };
    assert.ok(branded instanceof ChannelClosedError);
    class ClosedForGood extends ChannelClosedError {}
    assert.ok(new ClosedForGood("send", 1) instanceof ChannelClosedError);
    assert.equal(new ChannelClosedError("send", 1) instanceof ClosedForGood, false);
  });
});
