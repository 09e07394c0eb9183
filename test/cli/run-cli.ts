import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The CLI as `npm test` compiles it (tsconfig.test.json emits src/ into build/src/), so
 * the tests need no separate `npm run build`. This file runs from build/test/cli/.
 */
export const cliPath = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

if (!existsSync(cliPath)) throw new Error(`The compiled CLI is missing at ${cliPath}`);

/** How a CLI process ended and what it printed. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What the child printed so far. */
export interface CliOutput {
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** Options for {@link runCli}. */
export interface RunCliOptions {
  /** Called once with the child as soon as it is spawned (to signal it, say). */
  readonly onSpawn?: (child: ChildProcess, output: CliOutput) => void;
  /** Kills the child after this long, so a hung CLI fails its test instead of the suite: ms. */
  readonly timeoutMs?: number;
  /** The child's working directory. Default: this process's. */
  readonly cwd?: string;
  /** The script node runs. Default: the compiled CLI ({@link cliPath}). */
  readonly script?: string;
}

/** Runs `node build/src/cli/main.js ...args` (or `script`) and resolves when it exits. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.script ?? cliPath, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 10_000,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    options.onSpawn?.(child, { stdout: () => stdout, stderr: () => stderr });
  });
}

/** Sends `signal` to `child` once `ready()` holds, checking every 10 ms. */
export function signalWhen(
  child: ChildProcess,
  ready: () => boolean,
  signal: NodeJS.Signals,
): void {
  const poll = setInterval(() => {
    if (!ready()) return;
    clearInterval(poll);
    child.kill(signal);
  }, 10);
  child.on("exit", () => clearInterval(poll));
}
