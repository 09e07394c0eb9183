import { describe, test } from "node:test";
import { assertCoreLoadsNone, assertExported } from "../helpers/subpath.js";

describe("sluice/threads is a subpath of its own", () => {
  test('import "sluice" loads no thread code', () => {
    assertCoreLoadsNone("threads", () => false);
  });

  test("the package exports it as sluice/threads, types first", () => {
    assertExported("threads");
  });
});
