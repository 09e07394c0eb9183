import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { beside } from "../../src/internal/beside.js";

describe("beside", () => {
  test("finds a file beside the module, or one folder over (a bundled chunk); else the first guess", () => {
    const root = mkdtempSync(join(tmpdir(), "sluice-beside-"));
    try {
      mkdirSync(join(root, "threads"));
      mkdirSync(join(root, "chunks"));
      writeFileSync(join(root, "threads", "worker-main.js"), "");
      const candidates = ["./worker-main.js", "../threads/worker-main.js"] as const;
      const fromThreads = pathToFileURL(join(root, "threads", "index.js")).href;
      const fromChunk = pathToFileURL(join(root, "chunks", "chunk-1.js")).href;
      const fromElsewhere = pathToFileURL(join(root, "nowhere", "deep", "x.js")).href;
      assert.equal(
        beside(fromThreads, candidates).href,
        new URL("./worker-main.js", fromThreads).href,
      );
      assert.equal(
        beside(fromChunk, candidates).href,
        pathToFileURL(join(root, "threads", "worker-main.js")).href,
      );
      assert.equal(
        beside(fromElsewhere, candidates).href,
        new URL("./worker-main.js", fromElsewhere).href,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
