import { type Command, InvalidArgumentError } from "commander";
import { isInvalidOptionError, type RunSummary } from "../index.js";
import { chaos, type ChaosOptions } from "../testing/chaos.js";
import { brokenHandoffs, isStageConserved } from "./conservation.js";
import {
  type Demo,
  demoChaosDefaults,
  type DemoSettings,
  type DemoTally,
  demoPipeline,
} from "./demo-pipeline.js";
import type { DashboardServer } from "../dashboard/dashboard-server.js";
import {
  addDashboardOptions,
  checkDashboardFlags,
  type DashboardFlags,
  startDashboard,
} from "./dashboard-option.js";
import { renderChecks, renderIntro } from "./demo-report.js";
import { exitCodes } from "./exit-codes.js";
import { formatCount, formatMs } from "../internal/format.js";
import { onInterrupt } from "./interrupt.js";
import { parseConcurrency, parseInteger } from "./option-parsers.js";
import { startProgress } from "./progress-reporter.js";
import { summaryToJson } from "./summary-json.js";
import { renderSummary } from "./summary-table.js";
import type { TerminalOutput } from "./terminal.js";

/** The demo's parsed command line. */
export interface DemoFlags extends Omit<DemoSettings, "chaos">, DashboardFlags {
  /** `--chaos` alone is `true` (the demo's defaults); with a spec, the options it gives. */
  readonly chaos?: ChaosOptions | true;
  /** Show the live progress view (`--no-progress` turns it off). */
  readonly progress: boolean;
  /** Print the summary as JSON on stdout instead of the table. */
  readonly json?: boolean;
}

/** The streams a command writes to. */
export interface CommandIo {
  readonly stdout: TerminalOutput;
  readonly stderr: TerminalOutput;
}

/**
 * Which command-line flag sets which library option, so a value the library refuses is
 * reported against the flag the user typed, with the library's own explanation.
 */
const FLAG_FOR_OPTION: Readonly<Record<string, string>> = Object.freeze({
  "map.concurrency": "--concurrency <n>",
});

/**
 * Adds `sluice demo` to `program`: runs the embedded pipeline and reports `done(exitCode)`
 * (0 completed, 1 failed, 130 interrupted). A value the library refuses becomes a usage
 * error (exit 2) naming the flag, before anything runs.
 */
export function registerDemo(program: Command, done: (exitCode: number) => void): Command {
  const command = program
    .command("demo")
    .description(
      "Run an embedded pipeline over generated records: fan-out, ordering, batching, a dead letter, live progress and a summary.",
    )
    .option("--items <n>", "records to generate", (value) => parseInteger(value, 1), 200_000)
    .option(
      "--concurrency <n>",
      'width of the I/O-bound fetch stage: an integer >= 1, or "cpus"',
      parseConcurrency,
      64,
    )
    .option("--no-progress", "do not show the live progress view")
    .option("--json", "print the run summary as JSON instead of the table")
    .option("--fail-at <id>", "make record <id> fail in the fail-fast validate stage", (value) =>
      parseInteger(value, 0),
    )
    .option(
      "--chaos [spec]",
      `inject failures, latency and hangs into fetch, retried and timed out; spec: comma-separated ${CHAOS_KEYS.join(", ")} (default ${defaultChaosSpec()})`,
      parseChaosSpec,
    );
  return addDashboardOptions(command)
    .addHelpText(
      "after",
      "\nExamples:\n  sluice demo\n  sluice demo --items 1000000 --concurrency 256\n  sluice demo --json --no-progress | jq .stages\n  sluice demo --chaos\n  sluice demo --chaos fail=0.2,hang=0.01,latency=0-5,seed=7 --items 20000",
    )
    .action(async (flags: DemoFlags, command: Command) => {
      checkDashboardFlags(flags, command);
      if (flags.failAt !== undefined && flags.failAt >= flags.items) {
        command.error(
          `error: option '--fail-at <id>' argument '${flags.failAt}' is invalid. Expected an id below --items (${flags.items}).`,
          { exitCode: exitCodes.usage, code: "sluice.invalidOption" },
        );
      }
      let demo: Demo;
      try {
        demo = demoPipeline({
          ...flags,
          chaos: flags.chaos === true ? demoChaosDefaults : flags.chaos,
        });
      } catch (error) {
        if (!isInvalidOptionError(error)) throw error;
        const flag = FLAG_FOR_OPTION[error.option];
        if (flag === undefined) throw error;
        command.error(
          `error: option '${flag}' argument '${String(error.value)}' is invalid. ${error.message}`,
          { exitCode: exitCodes.usage, code: "sluice.invalidOption" },
        );
      }
      done(await runDemo(demo, flags, { stdout: process.stdout, stderr: process.stderr }));
    });
}

/**
 * Runs a built demo to its end and reports it: the intro, the live progress view on
 * stderr, then the summary table and the data checks (or the summary as JSON) on stdout.
 * The first SIGINT/SIGTERM cancels the run; its partial summary is still printed.
 *
 * Resolves with the exit code once the run has settled and the progress timer, the dashboard
 * (`--dashboard`) and the signal listeners are gone; never rejects for a failed run (that is
 * exit code 1).
 */
export async function runDemo(demo: Demo, flags: DemoFlags, io: CommandIo): Promise<number> {
  const interrupt = onInterrupt();
  try {
    if (flags.json !== true) {
      io.stdout.write(lines(renderIntro(flags.items, demo.pipeline.stages, demo.chaos)));
    }
    const run = demo.pipeline.run({
      signal: interrupt.signal,
      metrics: flags.progress || flags.dashboard !== undefined,
    });
    let dashboard: DashboardServer | undefined;
    try {
      dashboard = await startDashboard(run, "sluice demo", flags, io);
    } catch (error) {
      io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      return exitCodes.failed;
    }
    const progress = flags.progress ? startProgress(() => run.metrics(), io.stderr) : undefined;
    try {
      await run.drain();
    } catch {
      // The outcome and its error are in the summary; report them from there.
    } finally {
      progress?.stop();
    }
    const summary = await run.settled;
    await dashboard?.close();
    io.stdout.write(
      flags.json === true
        ? `${summaryToJson(summary)}\n`
        : lines([...renderSummary(summary), "", ...renderChecks(summary, demo.tally, demo.chaos)]),
    );
    if (summary.outcome === "cancelled") {
      io.stderr.write(
        `sluice: cancelled by ${interrupt.received ?? "request"} after ${formatCount(summary.pulled)} source items (${formatMs(summary.durationMs)}); the summary is partial.\n`,
      );
      return interrupt.exitCode ?? exitCodes.interrupted;
    }
    const problem = describeProblem(summary, demo.tally);
    if (problem !== undefined) {
      io.stderr.write(`error: ${problem}\n`);
      return exitCodes.failed;
    }
    return exitCodes.ok;
  } finally {
    interrupt.dispose();
  }
}

/** Why a settled demo run counts as a failure, or undefined when it does not. */
function describeProblem(summary: RunSummary, tally: DemoTally): string | undefined {
  if (summary.outcome === "failed") {
    const error = summary.error;
    return `the run failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  const unbalanced = summary.stages.filter((stage) => !isStageConserved(stage));
  if (unbalanced.length > 0) {
    return `counts do not balance in ${unbalanced.map((stage) => stage.name).join(", ")}`;
  }
  const broken = brokenHandoffs(summary);
  if (broken.length > 0) return `counts do not balance: ${broken.join("; ")}`;
  if (tally.orderBroken !== undefined) return `order broken: ${tally.orderBroken}`;
  return undefined;
}

function lines(text: readonly string[]): string {
  return `${text.join("\n")}\n`;
}

/** The keys of a `--chaos` spec, and the `chaos()` option each one sets. */
const CHAOS_OPTION_FOR_KEY = Object.freeze({
  fail: "failRate",
  hang: "hangRate",
  latency: "latency",
  seed: "seed",
} as const);
const CHAOS_KEYS = Object.keys(CHAOS_OPTION_FOR_KEY) as (keyof typeof CHAOS_OPTION_FOR_KEY)[];

/** The `--chaos` defaults written as a spec, for the help. */
function defaultChaosSpec(): string {
  const { failRate, hangRate, latency, seed } = demoChaosDefaults;
  return `fail=${failRate},hang=${hangRate},latency=${latency[0]}-${latency[1]},seed=${seed}`;
}

/**
 * Parses a `--chaos` spec such as `fail=0.1,hang=0.01,latency=1-20,seed=7` into `chaos()`
 * options: the keys given replace the demo's defaults, the others keep them. `latency` is ms
 * or a duration string, or a `min-max` range of them. The values are then checked by `chaos()`
 * itself, so the flag takes exactly what the library takes, and its message names the option.
 *
 * @throws {InvalidArgumentError} which commander reports as
 *   ``error: option '--chaos [spec]' argument 'fail=2' is invalid. Expected `chaos.failRate` …``
 */
export function parseChaosSpec(spec: string): ChaosOptions {
  const options: Record<string, unknown> = { ...demoChaosDefaults };
  for (const pair of spec.split(",")) {
    if (pair.trim() === "") continue;
    const match = /^\s*([a-z]+)\s*=\s*(\S+)\s*$/.exec(pair);
    const key = match?.[1];
    if (match === null || !isChaosKey(key)) {
      throw new InvalidArgumentError(
        `Expected comma-separated key=value pairs with keys ${CHAOS_KEYS.join(", ")}, such as fail=0.1,hang=0.01,latency=1-20,seed=7; got \`${pair}\`.`,
      );
    }
    const value = match[2]!;
    options[CHAOS_OPTION_FOR_KEY[key]] =
      key === "latency" ? parseLatency(value) : parseChaosNumber(key, value);
  }
  try {
    chaos(options);
  } catch (error) {
    if (isInvalidOptionError(error)) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return options as ChaosOptions;
}

function isChaosKey(key: string | undefined): key is keyof typeof CHAOS_OPTION_FOR_KEY {
  return key !== undefined && Object.hasOwn(CHAOS_OPTION_FOR_KEY, key);
}

/** A number for `chaos()` to check; only text that is not a number at all is refused here. */
function parseChaosNumber(key: string, value: string): number {
  const parsed = Number(value);
  if (Number.isNaN(parsed)) throw new InvalidArgumentError(`Expected ${key} to be a number.`);
  return parsed;
}

/** `20`, `"20ms"` or a `min-max` range of them; a bare number is ms, as the library's are. */
function parseLatency(value: string): unknown {
  const parts = value.split("-").map((part) => (/^\d+(\.\d+)?$/.test(part) ? Number(part) : part));
  return parts.length === 1 ? parts[0] : parts;
}
