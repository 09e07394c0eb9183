import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Pipeline } from "../index.js";
import { describeValue } from "../internal/describe-value.js";
import { registerTsx, tsxApiUrl } from "../threads/typescript-loader.js";
import { isTypeScriptUrl } from "../threads/typescript-url.js";

/** Why a pipeline module could not give a pipeline. */
export type PipelineModuleProblem =
  /** No file at the path. */
  | "not-found"
  /** A `.ts` module, and no tsx to load it with. */
  | "no-tsx"
  /** Importing the module threw (a syntax error, a missing import, a throw at top level). */
  | "load-failed"
  /** The module has no default export. */
  | "no-default"
  /** The default export (or what its function returned) is not a pipeline. */
  | "not-a-pipeline"
  /** The default-exported function threw or rejected. */
  | "build-failed";

/**
 * A pipeline module that cannot be used, with what is wrong (`problem`) and the module's
 * path. `usage` tells a command whether to exit as for bad usage (the path or the module's
 * shape is wrong: nothing ran) or as for a failure (the module's own code threw).
 */
export class PipelineModuleError extends Error {
  readonly problem: PipelineModuleProblem;
  /** The module's absolute path. */
  readonly path: string;

  constructor(problem: PipelineModuleProblem, path: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "PipelineModuleError";
    this.problem = problem;
    this.path = path;
  }

  /** Whether the command line named something unusable, rather than the module failing. */
  get usage(): boolean {
    return this.problem !== "load-failed" && this.problem !== "build-failed";
  }
}

/** A loaded pipeline module (see `../shared/DESIGN.md`, "A pipeline module"). */
export interface PipelineModule {
  /** The module's absolute path. */
  readonly path: string;
  /**
   * `"pipeline"`: the default export is a pipeline, and every {@link build} returns it;
   * `"factory"`: it is a function `(args) => Pipeline | Promise<Pipeline>`, called by each
   * {@link build}.
   */
  readonly kind: "pipeline" | "factory";
  /**
   * The pipeline: the default export, or what its function returns for the module's args,
   * called afresh each time (a factory's one-shot sources, such as generators, are new each
   * time). Rejects with a {@link PipelineModuleError}: `"build-failed"` when the function
   * throws, `"not-a-pipeline"` when it returns something else.
   */
  build(): Promise<Pipeline<unknown>>;
}

/** Options of {@link loadPipelineModule}. */
export interface LoadPipelineModuleOptions {
  /** What a relative path is resolved against. Default `process.cwd()`. */
  readonly cwd?: string;
  /** The extra command-line arguments handed to a default-exported function. Default none. */
  readonly args?: readonly string[];
}

/**
 * Imports the pipeline module at `file` (resolved against the cwd): a `.js`/`.mjs` file, or
 * a `.ts`/`.mts` file through tsx when tsx can be found from the module's folder (or the
 * cwd); tsx is registered in this process once, then. Its default export must be a pipeline
 * or a function `(args: string[]) => Pipeline | Promise<Pipeline>`. Pipelines are recognised
 * by shape (`run` and `withSpecs`), so one built by another copy of sluice (the module's own,
 * loaded through tsx) is accepted. Runs the module's top-level code; calls no function yet.
 *
 * Rejects with a {@link PipelineModuleError} naming the problem and how to fix it.
 */
export async function loadPipelineModule(
  file: string,
  options: LoadPipelineModuleOptions = {},
): Promise<PipelineModule> {
  let path = resolve(options.cwd ?? process.cwd(), file);
  const args = [...(options.args ?? [])];
  let found = await stat(path).catch(() => undefined);
  if (found?.isDirectory() === true) {
    // A folder (an example's, say) runs its index module.
    const index = await findIndex(path);
    if (index === undefined) {
      throw new PipelineModuleError(
        "not-found",
        path,
        `Cannot load the pipeline module ${file}: the folder has no ${INDEX_FILES.join(", ")} (${path})`,
      );
    }
    path = index;
    found = await stat(path).catch(() => undefined);
  }
  if (found === undefined || !found.isFile()) {
    throw new PipelineModuleError(
      "not-found",
      path,
      `Cannot load the pipeline module ${file}: ${found === undefined ? "no such file" : "not a file"} (${path})`,
    );
  }
  const url = pathToFileURL(path).href;
  if (isTypeScriptUrl(url)) await registerTypeScript(file, path, options.cwd);
  let namespace: { default?: unknown };
  try {
    namespace = (await import(url)) as { default?: unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PipelineModuleError(
      "load-failed",
      path,
      `Cannot load the pipeline module ${file}: ${loadedAsCommonJs(path, error, reason) ? `${reason.replace(/\.$/, "")}${COMMONJS_HINT}` : reason}`,
      error,
    );
  }
  const exported = namespace.default;
  if (exported === undefined) {
    throw new PipelineModuleError(
      "no-default",
      path,
      `The pipeline module ${file} has no default export: \`export default\` a pipeline, or a function (args) => pipeline`,
    );
  }
  if (typeof exported === "function") {
    const factory = exported as (args: string[]) => unknown;
    return {
      path,
      kind: "factory",
      build: async () => {
        let built: unknown;
        try {
          built = await factory([...args]);
        } catch (error) {
          throw new PipelineModuleError(
            "build-failed",
            path,
            `The default export of ${file} threw: ${error instanceof Error ? error.message : String(error)}`,
            error,
          );
        }
        return checkPipeline(built, file, path, "The default export function of", "returned");
      },
    };
  }
  const pipeline = checkPipeline(exported, file, path, "The default export of", "is");
  return { path, kind: "pipeline", build: () => Promise.resolve(pipeline) };
}

/** The modules a folder given as the pipeline module may hold, in the order looked for. */
const INDEX_FILES = ["index.js", "index.mjs", "index.ts", "index.mts"];

async function findIndex(folder: string): Promise<string | undefined> {
  for (const name of INDEX_FILES) {
    const candidate = join(folder, name);
    if ((await stat(candidate).catch(() => undefined))?.isFile() === true) return candidate;
  }
  return undefined;
}

/** Whether `value` has the shape of a pipeline (from any copy of sluice). */
export function isPipelineLike(value: unknown): value is Pipeline<unknown> {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { run?: unknown; withSpecs?: unknown };
  return typeof candidate.run === "function" && typeof candidate.withSpecs === "function";
}

function checkPipeline(
  value: unknown,
  file: string,
  path: string,
  subject: string,
  verb: string,
): Pipeline<unknown> {
  if (isPipelineLike(value)) return value;
  throw new PipelineModuleError(
    "not-a-pipeline",
    path,
    `${subject} ${file} ${verb} ${describeValue(value)}, not a pipeline: export default from(...)...; or a function (args) => pipeline`,
  );
}

/** What a `.ts` pipeline that loaded as CommonJS is told. */
const COMMONJS_HINT =
  '. A .ts file loads as CommonJS unless the nearest package.json says "type": "module": name it .mts, or set "type": "module"';

/**
 * Whether a `.ts` module failed because it was loaded as CommonJS (tsx follows the nearest
 * package.json) while it imports ES modules, sluice's own included.
 */
function loadedAsCommonJs(path: string, error: unknown, message: string): boolean {
  if (!path.endsWith(".ts")) return false;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("ERR_REQUIRE_")) return true;
  return /require\(\) ES Module|outside a module/.test(message);
}

/** Registers tsx in this process, or explains how to make a `.ts` module loadable. */
async function registerTypeScript(
  file: string,
  path: string,
  cwd: string | undefined,
): Promise<void> {
  // tsx is looked up from the module (the user's project) first, then from the cwd.
  const from = tsxApiUrl(path) === undefined ? resolve(cwd ?? process.cwd(), "index.js") : path;
  if (tsxApiUrl(from) === undefined) {
    throw new PipelineModuleError(
      "no-tsx",
      path,
      `Cannot load the TypeScript module ${file}: tsx is not installed where ${file} or the current directory can find it. Install it in the module's project (npm i -D tsx), or point sluice at the built .js file`,
    );
  }
  await registerTsx(from);
}
