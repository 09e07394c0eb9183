import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { send } from "../dashboard/http-client.js";
import { runCli } from "../cli/run-cli.js";
import { importGraph } from "../helpers/import-graph.js";
import { packageJson } from "../helpers/subpath.js";

/** The package as `npm run build` makes it (npm test builds it first). */
const dist = fileURLToPath(new URL("../../../dist/", import.meta.url));
const fixtures = fileURLToPath(new URL("../", import.meta.url));

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe("the built package (dist/, bundled)", () => {
  test("its JavaScript is the entry points and their shared chunks, nothing module by module", () => {
    const pkg = packageJson() as ReturnType<typeof packageJson> & { bin: Record<string, string> };
    const entries = [
      ...Object.values(pkg.exports)
        .map((target) => target?.["default"])
        .filter((file): file is string => typeof file === "string"),
      ...Object.values(pkg.bin),
      "./dist/threads/worker-main.js",
    ].map((file) => file.replace("./dist/", ""));
    const scripts = filesUnder(dist).filter(
      (file) =>
        file.endsWith(".js") && !file.startsWith("chunks/") && !file.startsWith("dashboard/page/"),
    );
    assert.deepEqual(scripts.sort(), [...new Set(entries)].sort());
    assert.ok(filesUnder(dist).includes("index.d.ts"), "the declarations stay");
  });

  test('import "sluice" loads no optional part: no thread runtime, no broker or metrics client', () => {
    const { modules: files, packages: imports } = importGraph("index.js", dist);
    assert.ok(files.length < 20, `${files.length} files`);
    assert.deepEqual(
      files.filter((file) => !file.startsWith("chunks/") && file !== "index.js"),
      [],
    );
    assert.deepEqual(
      imports.filter((name) => !name.startsWith("node:") || name === "node:worker_threads"),
      [],
    );
  });

  test("every entry point exports what the module-by-module build exports", async () => {
    const compiled = fileURLToPath(new URL("../../src/", import.meta.url));
    for (const [subpath, target] of Object.entries(packageJson().exports)) {
      const file = target?.["default"];
      if (typeof file !== "string") continue;
      const entry = file.replace("./dist/", "");
      const bundled = Object.keys((await import(join(dist, entry))) as object).sort();
      const expected = Object.keys((await import(join(compiled, entry))) as object).sort();
      assert.deepEqual(bundled, expected, `sluice${subpath.slice(1)}`);
    }
  });

  test("a thread stage runs from the built package: the pool finds the thread runtime", () => {
    const script = `
      import { from } from ${JSON.stringify(join(dist, "index.js"))};
      import { thread } from ${JSON.stringify(join(dist, "threads/index.js"))};
      const worker = new URL(${JSON.stringify(`file://${fixtures}threads/fixtures/double.worker.js`)});
      const out = await from([1, 2, 3]).map(thread(worker, { threads: 1 }), { ordered: true }).run().collect();
      console.log(JSON.stringify(out));
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), "[2,4,6]");
  });

  test("the built CLI serves the dashboard page from the package", async () => {
    const pipeline = join(fixtures, "cli/run-fixtures/run-pipeline.mjs");
    let page = "";
    let visited: Promise<void> | undefined;
    const result = await runCli(
      ["run", pipeline, "--no-progress", "--dashboard", "0", "--", "hang", "10"],
      {
        script: join(dist, "cli/main.js"),
        onSpawn: (child, output) => {
          const poll = setInterval(() => {
            const url = /^dashboard: (http:\/\/\S+)$/m.exec(output.stderr())?.[1];
            if (url === undefined || !output.stderr().includes("working")) return;
            clearInterval(poll);
            visited = send(url)
              .then((response) => {
                page = response.body;
              })
              .finally(() => child.kill("SIGINT"));
          }, 10);
          child.on("exit", () => clearInterval(poll));
        },
      },
    );
    await visited;
    assert.equal(result.code, 130, result.stderr);
    assert.match(page, /<script src="dashboard\.js"><\/script>/);
  });
});
