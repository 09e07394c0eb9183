import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type CliResult, runCli } from "../cli/run-cli.js";

/** The repository's root (this file runs from build/test/examples/). */
export const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The built CLI: the examples import "sluice", which resolves to the package's own `dist/`
 * (`npm test` builds it first), so the CLI that runs them is that build too.
 */
const cli = `${root}dist/cli/main.js`;

/**
 * Runs `sluice run examples/<name> --json --no-progress -- ...args` from the repository's
 * root; `onSpawn` gets the child (to kill it). Killed after `timeoutMs` (default 60 s).
 */
export function runExample(
  name: string,
  args: readonly string[],
  options: { timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<CliResult> {
  if (!existsSync(cli)) throw new Error(`The built CLI is missing at ${cli}: run npm run build`);
  return runCli(["run", `examples/${name}`, "--json", "--no-progress", "--", ...args], {
    script: cli,
    cwd: root,
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.onSpawn === undefined ? {} : { onSpawn: options.onSpawn }),
  });
}

/** Runs `node examples/<script> ...args` from the repository's root; rejects on a non-zero exit. */
export async function runScript(script: string, args: readonly string[]): Promise<string> {
  const run = await runCli(args, { script: `examples/${script}`, cwd: root, timeoutMs: 120_000 });
  const output = run.stdout + run.stderr;
  if (run.code !== 0) throw new Error(`${script} exited ${run.code}: ${output}`);
  return output;
}
