import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository's root (this file runs from build/test/examples/). */
export const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The built CLI: the examples import "sluice", which resolves to the package's own `dist/`
 * (`npm test` builds it first), so the CLI that runs them is that build too.
 */
const cli = `${root}dist/cli/main.js`;

/** How an example's run ended. */
export interface ExampleRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `sluice run examples/<name> --json --no-progress -- ...args` from the repository's
 * root; `onSpawn` gets the child (to kill it). Killed after `timeoutMs`.
 */
export function runExample(
  name: string,
  args: readonly string[],
  options: { timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<ExampleRun> {
  if (!existsSync(cli)) throw new Error(`The built CLI is missing at ${cli}: run npm run build`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cli, "run", `examples/${name}`, "--json", "--no-progress", "--", ...args],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"], timeout: options.timeoutMs ?? 60_000 },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    options.onSpawn?.(child);
  });
}

/** Runs `node examples/<script> ...args` from the repository's root; rejects on a non-zero exit. */
export function runScript(script: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`examples/${script}`, ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${script} exited ${code}: ${output}`)),
    );
  });
}
