import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { tsxApiUrl } from "../../src/threads/typescript-loader.js";
import { isTypeScriptUrl } from "../../src/threads/typescript-url.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs `node --import tsx <script>` from the repository root; returns its stdout. */
function underTsx(script: string): string {
  const child = spawnSync(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  return child.stdout.trim();
}

describe("TypeScript worker modules", () => {
  test("a .ts worker module runs under tsx, with sluice from its built files", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-tsx-"));
    try {
      const script = join(dir, "main.mts");
      const build = (path: string) => JSON.stringify(join(root, "build", path));
      const worker = JSON.stringify(
        new URL("test/threads/fixtures/tsx/square.worker.ts", `file://${root}`).href,
      );
      writeFileSync(
        script,
        `import { from } from ${build("src/index.js")};
         import { thread } from ${build("src/threads/index.js")};
         const out = await from([{ x: 2 }, { x: 3 }]).map(thread(${worker}), { ordered: true }).run().collect();
         console.log(JSON.stringify(out));`,
      );
      assert.equal(underTsx(script), "[4,9]");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("sluice runs from its own TypeScript sources under tsx, threads included", () => {
    assert.equal(
      underTsx("test/threads/fixtures/tsx/run-square.ts"),
      "[0,1,4,9,16,25,36,49,64,81]",
    );
  });

  test("knows a TypeScript module by its extension", () => {
    assert.equal(isTypeScriptUrl("file:///a/b.worker.ts"), true);
    assert.equal(isTypeScriptUrl("file:///a/b.mts"), true);
    assert.equal(isTypeScriptUrl("file:///a/b.js"), false);
  });

  test("finds tsx from the worker module's own folder, and nothing where none is installed", () => {
    assert.match(tsxApiUrl(new URL("../../../package.json", import.meta.url).href) ?? "", /tsx/);
    assert.equal(tsxApiUrl("file:///nowhere/module.ts"), undefined);
  });
});
