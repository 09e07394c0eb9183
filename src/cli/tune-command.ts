import type { Command } from "commander";
import {
  type Duration,
  formatTune,
  isCancelledError,
  isInvalidOptionError,
  tune,
  type TuneOptions,
  type TuneResult,
  type TuneRow,
} from "../index.js";
import { tuneDefaults, tuneSettings } from "../tune/tune-options.js";
import type { CommandIo } from "./demo.js";
import { exitCodes } from "./exit-codes.js";
import { formatCount, formatRate } from "../internal/format.js";
import { onInterrupt } from "./interrupt.js";
import { parseDurationFlag, parseInteger, parseNumber } from "./option-parsers.js";
import { loadPipelineModule, PipelineModuleError } from "./pipeline-module.js";

/** `sluice tune`'s parsed options. */
export interface TuneFlags {
  readonly stage?: string;
  readonly sample?: number;
  /** Ms (a bare number on the command line) or a duration string for the library to check. */
  readonly slo?: number | string;
  readonly max?: number;
  readonly utilisation?: number;
  readonly rate?: number;
  /** Print the result as JSON instead of the table. */
  readonly json?: boolean;
}

/** The flag that sets each `tune()` option, so a refused value is reported against it. */
const FLAG_FOR_OPTION: Readonly<Record<string, string>> = Object.freeze({
  "tune.stage": "--stage <name>",
  "tune.sample": "--sample <n>",
  "tune.slo": "--slo <duration>",
  "tune.max": "--max <n>",
  "tune.utilisation": "--utilisation <u>",
  "tune.rate": "--rate <n>",
});

/**
 * Adds `sluice tune <module> [args...]` to `program`: loads the pipeline module, runs
 * `tune()` on it and prints `formatTune()`'s table (or, with `--json`, the `TuneResult`).
 * Reports `done(exitCode)`: 0 tuned, 1 a trial or the module's own code failed, 2 a bad
 * flag or an unusable module (nothing ran), 128 + n when stopped by a signal.
 */
export function registerTune(program: Command, done: (exitCode: number) => void): Command {
  return program
    .command("tune")
    .description(
      "Find a stage's width: run a pipeline module at concurrency 1, 2, 4, ... over a sample, measure throughput and p99, stop at the plateau (< 5% gain) or the SLO, and print the table, the knee and the Little's-law estimate.",
    )
    .argument(
      "<module>",
      "a pipeline module (.js/.mjs, or .ts with tsx installed): its default export is a pipeline or a function (args) => pipeline",
    )
    .argument("[args...]", "arguments for the module's default-export function (after --)")
    .option(
      "--stage <name>",
      "the stage to tune (default: the only map/filter/flatMap/tap/forEach)",
    )
    .option(
      "--sample <n>",
      "source items per trial",
      (value) => parseInteger(value, 1),
      tuneDefaults.sample,
    )
    .option(
      "--slo <duration>",
      'the p99 bound on a call: ms, or a duration such as "250ms", "1s"',
      parseDurationFlag,
    )
    .option(
      "--max <n>",
      "the largest concurrency tried",
      (value) => parseInteger(value, 1),
      tuneDefaults.max,
    )
    .option(
      "--utilisation <u>",
      "the busy share the estimate sizes for, in (0, 1]",
      parseNumber,
      tuneDefaults.utilisation,
    )
    .option(
      "--rate <n>",
      "the arrival rate for the estimate, items/s (default: the best measured)",
      parseNumber,
    )
    .option("--json", "print the result as JSON instead of the table")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice tune ./pipeline.mjs --stage fetch --sample 500 --slo 250ms\n  sluice tune ./pipeline.ts --json -- --input data.csv",
    )
    .action(async (module: string, args: string[], flags: TuneFlags) => {
      done(await runTune(module, args, flags, { stdout: process.stdout, stderr: process.stderr }));
    });
}

/**
 * Runs `sluice tune` and resolves with its exit code; writes the result to `io.stdout` and
 * errors (and, on a terminal, one progress line per trial) to `io.stderr`. The flags are
 * checked before the module is loaded, so a bad flag runs none of its code. The first
 * SIGINT/SIGTERM cancels the trial under way. Never rejects for a failed trial (exit 1).
 */
export async function runTune(
  file: string,
  args: readonly string[],
  flags: TuneFlags,
  io: CommandIo,
): Promise<number> {
  const interrupt = onInterrupt();
  try {
    const options: TuneOptions = {
      ...(flags.stage === undefined ? {} : { stage: flags.stage }),
      ...(flags.sample === undefined ? {} : { sample: flags.sample }),
      ...(flags.slo === undefined ? {} : { slo: flags.slo as Duration }),
      ...(flags.max === undefined ? {} : { max: flags.max }),
      ...(flags.utilisation === undefined ? {} : { utilisation: flags.utilisation }),
      ...(flags.rate === undefined ? {} : { rate: flags.rate }),
      signal: interrupt.signal,
      ...(flags.json !== true && io.stderr.isTTY === true
        ? { onTrial: (row: TuneRow) => io.stderr.write(`${progressLine(row)}\n`) }
        : {}),
    };
    tuneSettings(options);
    const module = await loadPipelineModule(file, { args });
    const result = await tune(() => module.build(), options);
    io.stdout.write(
      flags.json === true ? `${tuneToJson(result)}\n` : `${formatTune(result).join("\n")}\n`,
    );
    return exitCodes.ok;
  } catch (error) {
    if (isCancelledError(error) && interrupt.received !== undefined) {
      io.stderr.write(`sluice: tuning cancelled by ${interrupt.received}; no result.\n`);
      return interrupt.exitCode ?? exitCodes.interrupted;
    }
    const [message, code] = describeFailure(error);
    io.stderr.write(`error: ${message}\n`);
    return code;
  } finally {
    interrupt.dispose();
  }
}

/** The message and exit code for what stopped a tune. */
function describeFailure(error: unknown): [string, number] {
  if (error instanceof PipelineModuleError) {
    return [error.message, error.usage ? exitCodes.usage : exitCodes.failed];
  }
  if (isInvalidOptionError(error)) {
    const flag = FLAG_FOR_OPTION[error.option];
    if (flag === undefined) return [error.message, exitCodes.usage];
    if (error.value !== undefined) {
      return [
        `option '${flag}' argument '${String(error.value)}' is invalid. ${error.message}`,
        exitCodes.usage,
      ];
    }
    // An option that was not given but is needed (`--stage` with several stages): name the flag.
    const needed = / is required /.test(error.message) ? ` (${flag})` : "";
    return [`${error.message}${needed}`, exitCodes.usage];
  }
  return [error instanceof Error ? error.message : String(error), exitCodes.failed];
}

/** One trial as a progress line: `concurrency 8: 1.52k/s, p99 5.70 ms`. */
function progressLine(row: TuneRow): string {
  return `tune: concurrency ${formatCount(row.concurrency)}: ${formatRate(row.itemsPerSecond)}, p99 ${row.p99Ms.toPrecision(3)} ms`;
}

/** The result as pretty-printed JSON; a knee that is `undefined` is written as `null`. */
export function tuneToJson(result: TuneResult): string {
  return JSON.stringify(result, (_key, value: unknown) => (value === undefined ? null : value), 2);
}
