/**
 * The runner of the benchmarks whose variants are one script each (R1, R2, T1, W1): every
 * variant `reps` times, round-robin, each run a fresh process printing one JSON line last.
 * @module
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Runs `node <script> <name> ...args` for each of `names`, `reps` times, round-robin. A run
 * whose process fails, or whose result `describe` throws on, counts as a failure.
 * @param {string} id the scenario, for the log lines
 * @param {string} script the script's path
 * @param {string[]} names the variants
 * @param {string[]} args what follows the variant on the command line
 * @param {{ reps: number, timeoutMs: number, log: (line: string) => void }} opts
 * @param {(result: any) => string} describe a run's log line
 * @returns {Promise<{ results: Map<string, any[]>, failures: number }>}
 */
export async function runVariants(id, script, names, args, { reps, timeoutMs, log }, describe) {
  const results = new Map(names.map((n) => [n, []]));
  let failures = 0;
  const width = Math.max(10, ...names.map((n) => n.length));
  for (let rep = 0; rep < reps; rep++) {
    const k = rep % names.length;
    for (const name of [...names.slice(k), ...names.slice(0, k)]) {
      try {
        const { stdout } = await run(process.execPath, [script, name, ...args], {
          timeout: timeoutMs,
          maxBuffer: 16 * 1024 * 1024,
        });
        const result = JSON.parse(stdout.trim().split("\n").at(-1));
        const line = describe(result);
        results.get(name).push(result);
        log(`[${id} ${rep + 1}/${reps}] ${name.padEnd(width)} ${line}`);
      } catch (error) {
        failures++;
        const why = String(error.stderr || error.message)
          .trim()
          .split("\n")
          .slice(-3)
          .join(" | ");
        log(`[${id} ${rep + 1}/${reps}] ${name.padEnd(width)} FAIL ${why}`);
      }
    }
  }
  return { results, failures };
}
