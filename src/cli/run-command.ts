import { basename } from "node:path";
import type { Command } from "commander";
import type { Run, RunSummary } from "../index.js";
import { formatCount, formatMs } from "../internal/format.js";
import {
  addDashboardOptions,
  checkDashboardFlags,
  type DashboardFlags,
  startDashboard,
} from "./dashboard-option.js";
import type { CommandIo } from "./demo.js";
import { exitCodes } from "./exit-codes.js";
import { type Interrupt, onInterrupt } from "./interrupt.js";
import { serveMetrics } from "./metrics-server.js";
import { parseInteger } from "./option-parsers.js";
import { loadPipelineModule, PipelineModuleError } from "./pipeline-module.js";
import { startProgress } from "./progress-reporter.js";
import { summaryToJson } from "./summary-json.js";
import { renderSummary } from "./summary-table.js";

/** `sluice run`'s parsed options. */
export interface RunFlags extends DashboardFlags {
  /** Print the summary as JSON instead of a table. */
  readonly json?: boolean;
  /** Show the live progress view (`--no-progress` turns it off). */
  readonly progress?: boolean;
  /** Serve Prometheus metrics on this loopback port while the run goes (0: a free one). */
  readonly metricsPort?: number;
  /**
   * A worker (a pipeline whose source is acknowledged) stopped by SIGTERM/SIGINT finishes
   * what it read for up to this many ms, then is cancelled. Default 30,000.
   */
  readonly drainTimeout?: number;
}

/**
 * Adds `sluice run <module> [args...]`: runs a pipeline module with live progress on stderr
 * and prints its summary. Reports `done(exitCode)`: 0 the run completed, 1 it failed (or the
 * module threw while loading or building), 2 an unusable module (nothing ran), 128 + n when
 * stopped by a signal.
 */
export function registerRun(program: Command, done: (exitCode: number) => void): Command {
  const command = program
    .command("run")
    .description(
      "Run a pipeline module: live per-stage progress on stderr, the summary at the end. Ctrl-C (or SIGTERM) cancels the run, waits for it to settle and prints what it did.",
    )
    .argument(
      "<module>",
      "a pipeline module (.js/.mjs, or .ts with tsx installed): its default export is a pipeline or a function (args) => pipeline",
    )
    .argument("[args...]", "arguments for the module's default-export function (after --)")
    .option("--json", "print the summary as JSON instead of a table")
    .option(
      "--metrics-port <port>",
      "serve Prometheus metrics at http://127.0.0.1:<port>/metrics while the run goes (0 picks a free port; the URL is printed on stderr)",
      (value: string) => parseInteger(value, 0),
    )
    .option("--no-progress", "do not show the live progress view")
    .option(
      "--drain-timeout <ms>",
      "a worker (a pipeline reading a broker) stopped by SIGTERM/SIGINT stops fetching and finishes what it holds for up to <ms> ms, then is cancelled (default 30000)",
      (value: string) => parseInteger(value, 0),
    );
  return addDashboardOptions(command)
    .addHelpText(
      "after",
      "\nExamples:\n  sluice run ./pipeline.mjs\n  sluice run ./pipeline.mjs --metrics-port 9464\n  sluice run ./pipeline.mjs --dashboard\n  sluice run ./pipeline.mjs --dashboard 8080 --host 0.0.0.0\n  sluice run ./pipeline.ts --json -- --input data.csv",
    )
    .action(async (module: string, args: string[], flags: RunFlags, self: Command) => {
      checkDashboardFlags(flags, self);
      done(
        await runModule(module, args, flags, { stdout: process.stdout, stderr: process.stderr }),
      );
    });
}

/**
 * Runs `sluice run` and resolves with its exit code: the summary goes to `io.stdout`, the
 * progress view and errors to `io.stderr`. The run records metrics (`run({ metrics: true })`).
 * The first SIGINT/SIGTERM cancels it; the command waits for it to settle, prints its
 * partial summary and says so. The metrics and dashboard servers close once it has settled.
 */
export async function runModule(
  modulePath: string,
  args: readonly string[],
  flags: RunFlags,
  io: CommandIo,
): Promise<number> {
  const interrupt = onInterrupt();
  try {
    const module = await loadPipelineModule(modulePath, { args });
    const pipeline = await module.build();
    // A worker drains on the first signal (no new message, the ones held finished and
    // acked); any other run is cancelled by it.
    const worker = pipeline.acknowledged;
    const run = pipeline.run(
      worker ? { metrics: true } : { signal: interrupt.signal, metrics: true },
    );
    const draining = worker
      ? drainOnInterrupt(run, interrupt, flags.drainTimeout ?? 30_000, io)
      : undefined;
    const server =
      flags.metricsPort === undefined
        ? undefined
        : await serveMetrics(run, basename(modulePath), flags.metricsPort).catch(
            async (error: unknown) => {
              await run.cancel();
              throw new Error(
                `Cannot serve metrics on 127.0.0.1:${flags.metricsPort}: ${error instanceof Error ? error.message : String(error)}`,
              );
            },
          );
    if (server !== undefined) io.stderr.write(`metrics: ${server.url}\n`);
    const dashboard = await startDashboard(run, basename(modulePath), flags, io).catch(
      async (error: unknown) => {
        await server?.close();
        throw error;
      },
    );
    const progress =
      flags.progress === false || flags.json === true
        ? undefined
        : startProgress(() => run.metrics(), io.stderr);
    // A failed or cancelled run rejects drain(); its outcome and error are in the summary.
    await run.drain().catch(() => undefined);
    const summary = await run.settled;
    draining?.dispose();
    progress?.stop();
    await Promise.all([server?.close(), dashboard?.close()]);
    io.stdout.write(
      flags.json === true
        ? `${summaryToJson(summary)}\n`
        : `${renderSummary(summary).join("\n")}\n`,
    );
    return report(summary, modulePath, interrupt.received, interrupt.exitCode, io);
  } catch (error) {
    const usage = error instanceof PipelineModuleError && error.usage;
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return usage ? exitCodes.usage : exitCodes.failed;
  } finally {
    interrupt.dispose();
  }
}

/**
 * A worker's graceful stop: on the first SIGINT/SIGTERM, `run.finish()` (fetch nothing more,
 * finish and ack what is held), and after `timeoutMs` a cancel. A second signal kills the
 * process (Node's default, once the first took the listeners).
 */
function drainOnInterrupt(
  run: Run<unknown>,
  interrupt: Interrupt,
  timeoutMs: number,
  io: CommandIo,
): { dispose(): void } {
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    io.stderr.write(
      `sluice: ${interrupt.received ?? "a signal"}: fetching no more, finishing what is in flight (up to ${formatMs(timeoutMs)}; again to kill)\n`,
    );
    run.finish();
    timer = setTimeout(() => {
      io.stderr.write(`sluice: still not drained after ${formatMs(timeoutMs)}: cancelling\n`);
      void run.cancel(new Error(`not drained within ${timeoutMs} ms of ${interrupt.received}`));
    }, timeoutMs);
    timer.unref();
  };
  interrupt.signal.addEventListener("abort", onAbort, { once: true });
  return {
    dispose() {
      clearTimeout(timer);
      interrupt.signal.removeEventListener("abort", onAbort);
    },
  };
}

/** Says how the run ended when it did not complete; returns the exit code. */
function report(
  summary: RunSummary,
  modulePath: string,
  received: NodeJS.Signals | undefined,
  signalExitCode: number | undefined,
  io: CommandIo,
): number {
  if (summary.outcome === "completed") {
    if (received !== undefined) {
      io.stderr.write(
        `sluice: ${modulePath} stopped on ${received}: it fetched no more and finished what it held (${formatCount(summary.pulled)} items in all).\n`,
      );
    }
    return exitCodes.ok;
  }
  if (summary.outcome === "cancelled") {
    io.stderr.write(
      `sluice: the run of ${modulePath} was cancelled by ${received ?? "request"} after ${formatCount(summary.pulled)} source items (${formatMs(summary.durationMs)}); it settled, and its summary is partial.\n`,
    );
    return signalExitCode ?? exitCodes.interrupted;
  }
  const error = summary.error;
  io.stderr.write(
    `error: the run of ${modulePath} failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  return exitCodes.failed;
}
