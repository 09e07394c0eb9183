import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Pipeline } from "../../src/index.js";
import { loadPipelineModule, PipelineModuleError } from "../../src/cli/pipeline-module.js";

const fixtures = fileURLToPath(new URL("../tune/fixtures/", import.meta.url));
const fixture = (name: string): string => join(fixtures, name);
const typescriptFixture = fileURLToPath(
  new URL("../../../test/tune/fixtures/service-module.ts", import.meta.url),
);

/** Asserts that `promise` rejects with a PipelineModuleError of this problem; returns it. */
async function problem(promise: Promise<unknown>, expected: string): Promise<PipelineModuleError> {
  let caught: unknown;
  await promise.catch((error: unknown) => {
    caught = error;
  });
  assert.ok(caught instanceof PipelineModuleError, `not a PipelineModuleError: ${String(caught)}`);
  assert.equal(caught.problem, expected);
  return caught;
}

describe("loadPipelineModule()", () => {
  const scratch = mkdtempSync(join(tmpdir(), "sluice-module-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test("a default-exported pipeline: every build returns it", async () => {
    const module = await loadPipelineModule(fixture("service-pipeline.mjs"));
    assert.equal(module.kind, "pipeline");
    assert.equal(module.path, fixture("service-pipeline.mjs"));
    const pipeline = await module.build();
    assert.ok(pipeline instanceof Pipeline);
    assert.equal(await module.build(), pipeline);
    assert.deepEqual(
      pipeline.stages.map((stage) => stage.name),
      ["call", "double"],
    );
  });

  test("a default-exported function: called with the args on every build", async () => {
    const module = await loadPipelineModule("service-factory.mjs", {
      cwd: fixtures,
      args: ["3", "1"],
    });
    assert.equal(module.kind, "factory");
    assert.equal(module.path, fixture("service-factory.mjs"));
    const first = await module.build();
    const second = await module.build();
    assert.notEqual(first, second);
    assert.deepEqual(
      first.stages.map((stage) => [stage.name, stage.kind]),
      [["call", "forEach"]],
    );
  });

  test("relative paths resolve against the cwd", async () => {
    const module = await loadPipelineModule(join("fixtures", "service-pipeline.mjs"), {
      cwd: dirname(fixtures),
    });
    assert.equal(module.path, fixture("service-pipeline.mjs"));
  });

  test("no such file, or a directory", async () => {
    const missing = await problem(loadPipelineModule(join(scratch, "nope.mjs")), "not-found");
    assert.equal(
      missing.message,
      `Cannot load the pipeline module ${join(scratch, "nope.mjs")}: no such file (${join(scratch, "nope.mjs")})`,
    );
    assert.equal(missing.usage, true);
    const empty = join(scratch, "empty");
    mkdirSync(empty);
    const directory = await problem(loadPipelineModule(empty), "not-found");
    assert.equal(
      directory.message,
      `Cannot load the pipeline module ${empty}: the folder has no index.js, index.mjs, index.ts, index.mts (${empty})`,
    );
  });

  test("a folder runs its index module", async () => {
    const folder = join(scratch, "example");
    mkdirSync(folder);
    // Only the shape is checked when loading: a pipeline-like object will do.
    writeFileSync(join(folder, "index.mjs"), "export default { run() {}, withSpecs() {} };\n");
    const module = await loadPipelineModule(folder);
    assert.equal(module.path, join(folder, "index.mjs"));
  });

  test("no default export", async () => {
    const error = await problem(loadPipelineModule(fixture("no-default.mjs")), "no-default");
    assert.equal(
      error.message,
      `The pipeline module ${fixture("no-default.mjs")} has no default export: \`export default\` a pipeline, or a function (args) => pipeline`,
    );
    assert.equal(error.usage, true);
  });

  test("a default export that is neither a pipeline nor a function", async () => {
    const error = await problem(
      loadPipelineModule(fixture("not-a-pipeline.mjs")),
      "not-a-pipeline",
    );
    assert.equal(
      error.message,
      `The default export of ${fixture("not-a-pipeline.mjs")} is \`{"items":[1,2,3]}\` (object), not a pipeline: export default from(...)...; or a function (args) => pipeline`,
    );
  });

  test("a function that returns no pipeline fails at build", async () => {
    const module = await loadPipelineModule(fixture("returns-nothing.mjs"));
    const error = await problem(module.build(), "not-a-pipeline");
    assert.match(error.message, /returned `undefined` \(undefined\), not a pipeline/);
  });

  test("a module that throws while loading: load-failed, not a usage error", async () => {
    const error = await problem(loadPipelineModule(fixture("throws-on-load.mjs")), "load-failed");
    assert.equal(error.usage, false);
    assert.ok(error.cause instanceof Error);
    assert.equal(error.cause.message, "the database is down");
  });

  test('a .ts module loaded as CommonJS (no "type": "module") that imports ES modules: the error says how to fix it', async () => {
    const folder = join(scratch, "commonjs-ts");
    mkdirSync(folder, { recursive: true });
    const core = fileURLToPath(new URL("../../src/index.js", import.meta.url));
    const copy = join(folder, "pipeline.ts");
    writeFileSync(
      copy,
      `import { from } from ${JSON.stringify(core)};\nexport default from([1, 2, 3]).map((x: number) => x * 2);\n`,
    );
    const repo = fileURLToPath(new URL("../../../", import.meta.url));
    const error = await problem(loadPipelineModule(copy, { cwd: repo }), "load-failed");
    assert.match(error.message, /name it \.mts, or set "type": "module"/);
  });

  test("a .ts module where no tsx can be found", async () => {
    const copy = join(scratch, "pipeline.ts");
    copyFileSync(typescriptFixture, copy);
    const error = await problem(loadPipelineModule(copy, { cwd: scratch }), "no-tsx");
    assert.match(error.message, /npm i -D tsx/);
    assert.equal(error.usage, true);
  });
});
