import assert from "node:assert/strict";
import { test } from "node:test";
import { assertNoLeaks } from "./resources.js";

test("assertNoLeaks reports a timer left behind", async () => {
  let timer: NodeJS.Timeout | undefined;
  await assert.rejects(
    assertNoLeaks(async () => {
      timer = setTimeout(() => {}, 10_000);
    }),
    /Timeout × 1/,
  );
  clearTimeout(timer);
});

test("assertNoLeaks passes when the block cleans up", async () => {
  await assertNoLeaks(async () => {
    const timer = setTimeout(() => {}, 10_000);
    clearTimeout(timer);
  });
});
