/**
 * The parent side of the harness: runs one contender in a fresh `node` process under
 * `/usr/bin/time -v`, so peak RSS is the kernel's "Maximum resident set size".
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const TIME = "/usr/bin/time";
const hasTime = existsSync(TIME);

/**
 * Reads the peak RSS in kB from GNU time's `-v` report.
 * @param {string} stderr
 * @returns {number | undefined}
 */
export function parseMaxRssKb(stderr) {
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

/**
 * @typedef {object} ChildRun
 * @property {number} n items asked for
 * @property {any} [result] the child's JSON line, when it printed one
 * @property {number | undefined} peakRssKb kernel peak RSS of the node process
 * @property {number} code exit code (or -1 when killed)
 * @property {string} [error] why the run does not count, when it does not
 */

/**
 * Runs `node <scenario file> <contender> <n>` and collects its result.
 * @param {string} fileUrl the scenario file's `import.meta.url`
 * @param {string} contender
 * @param {number} n
 * @param {number} timeoutMs the child (and `time`) are killed after this
 * @returns {Promise<ChildRun>}
 */
export function runInChild(fileUrl, contender, n, timeoutMs) {
  // --expose-gc: the child collects what preparing left behind before it starts timing.
  const nodeArgs = ["--expose-gc", fileURLToPath(fileUrl), contender, String(n)];
  const [cmd, args] = hasTime
    ? [TIME, ["-v", process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  return new Promise((resolve) => {
    // detached: the child leads its own process group, so a timeout ends `time` and node.
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").at(-1);
      let result;
      try {
        result = line ? JSON.parse(line) : undefined;
      } catch {
        result = undefined;
      }
      const peakRssKb = parseMaxRssKb(stderr) ?? result?.maxRssKb;
      const out = { n, result, peakRssKb, code: code ?? -1 };
      const tail = stderr
        .split("\n")
        .filter((l) => l && !l.startsWith("\t"))
        .slice(-3)
        .join(" | ");
      if (timedOut) out.error = `killed after ${timeoutMs / 1000} s`;
      else if (!result) out.error = `no result (exit ${code ?? signal}): ${tail}`;
      else if (!result.ok) out.error = result.problems.join("; ");
      else if (code !== 0) out.error = `exit ${code}: ${tail}`;
      resolve(out);
    });
  });
}
