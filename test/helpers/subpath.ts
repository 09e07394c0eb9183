import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { importGraph } from "./import-graph.js";

interface PackageJson {
  readonly exports: Record<string, Record<string, string>>;
  readonly dependencies: Record<string, string>;
}

/** The package's own package.json (this file runs from build/test/helpers/). */
export function packageJson(): PackageJson {
  return JSON.parse(
    readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
  ) as PackageJson;
}

/**
 * Asserts that `import "sluice"` loads none of the code under `src/<folder>/` and none of the
 * packages `isClient` names: an optional part's code and clients stay behind its subpath.
 */
export function assertCoreLoadsNone(folder: string, isClient: (pkg: string) => boolean): void {
  const { modules, packages } = importGraph();
  assert.ok(modules.includes("pipeline/pipeline.js"), "the graph walk found the core");
  assert.deepEqual(
    modules.filter((module) => module.startsWith(`${folder}/`)),
    [],
  );
  assert.deepEqual(packages.filter(isClient), [], `the core imports ${packages.join(", ")}`);
}

/** Asserts that the package exports `sluice/<folder>` from dist, types first. */
export function assertExported(folder: string): void {
  const entry = packageJson().exports[`./${folder}`];
  assert.deepEqual(Object.keys(entry ?? {}), ["types", "default"]);
  assert.deepEqual(entry, {
    types: `./dist/${folder}/index.d.ts`,
    default: `./dist/${folder}/index.js`,
  });
}
