import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { packageVersion } from "../../src/cli/package-version.js";

describe("packageVersion", () => {
  test("finds sluice's package.json above the compiled file", () => {
    const manifest = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    assert.equal(packageVersion(), manifest.version);
  });

  test("throws when no sluice package.json is above the file", () => {
    assert.throws(() => packageVersion(pathToFileURL("/no/such/dir/file.js").href), {
      message: /No sluice package.json above/,
    });
  });
});
