import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import type { StageSpec } from "../contract/stage-spec.js";
import { DeadLetterFileError, isDeadLetterFileError } from "../errors/dead-letter-file-error.js";
import { readRecords } from "../dead-letter/replay.js";
import { from, type Pipeline, type RunSummary } from "../index.js";
import { formatCount, formatMs } from "../internal/format.js";
import type { CommandIo } from "./demo.js";
import { exitCodes } from "./exit-codes.js";
import { onInterrupt } from "./interrupt.js";
import { loadPipelineModule, PipelineModuleError } from "./pipeline-module.js";
import { summaryToJson } from "./summary-json.js";
import { renderSummary } from "./summary-table.js";

/** `sluice replay`'s parsed options. */
export interface ReplayFlags {
  /** Replay only this stage's dead letters. */
  readonly stage?: string;
  /** Print the summaries as JSON instead of tables. */
  readonly json?: boolean;
}

/** What the file holds for one stage, and where that stage starts in the module's pipeline. */
interface StagePlan {
  readonly stage: string;
  readonly items: number;
  readonly position: number;
}

/** One stage's replay, as `--json` prints it. */
interface ReplayReport {
  readonly stage: string;
  readonly items: number;
  readonly summary: RunSummary;
}

/** A problem found before anything ran: exit 2 with `message`. */
class ReplayUsageError extends Error {}

/**
 * Adds `sluice replay <file> <module> [args...]`: feeds each stage's dead letters back into
 * the module's pipeline at that stage (the stages before it already ran on those items) and
 * prints one summary per stage. Reports `done(exitCode)`: 0 every replayed item went through,
 * 1 some failed again (or a run failed), 2 a missing or malformed file, an unusable module or
 * a stage the module does not have (nothing ran), 128 + n when stopped by a signal.
 */
export function registerReplay(program: Command, done: (exitCode: number) => void): Command {
  return program
    .command("replay")
    .description(
      "Feed the items of a dead-letter file (written by deadLetterFile()) back into a pipeline module: each stage's items go into that stage and the stages after it. Prints a summary per stage; exits 0 when every item went through.",
    )
    .argument("<file>", "the dead-letter file (NDJSON, one dead letter per line)")
    .argument(
      "<module>",
      "a pipeline module (.js/.mjs, or .ts with tsx installed): its default export is a pipeline or a function (args) => pipeline",
    )
    .argument("[args...]", "arguments for the module's default-export function (after --)")
    .option("--stage <name>", "replay only the dead letters of this stage")
    .option("--json", "print the summaries as JSON instead of tables")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice replay dead.ndjson ./pipeline.mjs\n  sluice replay dead.ndjson ./pipeline.ts --stage charge --json -- --env staging",
    )
    .action(async (file: string, module: string, args: string[], flags: ReplayFlags) => {
      done(
        await runReplay(file, module, args, flags, {
          stdout: process.stdout,
          stderr: process.stderr,
        }),
      );
    });
}

/**
 * Runs `sluice replay` and resolves with its exit code; summaries go to `io.stdout`, errors
 * to `io.stderr`. The whole file is read once first (its stages counted, every line
 * checked) and every replay then reads only those bytes, so the replayed runs' own dead
 * letters, appended to the same file, are not replayed again. Stages replay one after
 * another, in pipeline order; one that fails does not stop the next. The first
 * SIGINT/SIGTERM cancels the replay under way and skips the rest.
 */
export async function runReplay(
  file: string,
  modulePath: string,
  args: readonly string[],
  flags: ReplayFlags,
  io: CommandIo,
): Promise<number> {
  const interrupt = onInterrupt();
  try {
    const path = resolve(file);
    const { counts, end } = await countStages(path);
    const module = await loadPipelineModule(modulePath, { args });
    const pipeline = await module.build();
    const specs = specsOf(pipeline, modulePath);
    const plans = planReplays(file, modulePath, counts, specs, flags);
    const reports: ReplayReport[] = [];
    for (const plan of plans) {
      const source = () => itemsOf(path, plan.stage, end);
      const replayed = from(source).withSpecs<unknown>(specs.slice(plan.position));
      const run = replayed.run({ signal: interrupt.signal });
      // A failed run rejects drain(); its outcome and error are in the summary.
      await run.drain().catch(() => undefined);
      const summary = await run.settled;
      reports.push({ stage: plan.stage, items: plan.items, summary });
      if (flags.json !== true) io.stdout.write(lines(renderReport(file, plan, summary)));
      if (summary.outcome === "cancelled") break;
    }
    if (flags.json === true) io.stdout.write(`${reportsToJson(path, reports)}\n`);
    const last = reports.at(-1);
    if (last?.summary.outcome === "cancelled") {
      io.stderr.write(
        `sluice: the replay of stage "${last.stage}" was cancelled by ${interrupt.received ?? "request"} after ${formatCount(last.summary.pulled)} of ${formatCount(last.items)} items (${formatMs(last.summary.durationMs)}); its summary is partial${reports.length < plans.length ? ", and the later stages were not replayed" : ""}.\n`,
      );
      return interrupt.exitCode ?? exitCodes.interrupted;
    }
    const problems = reports.flatMap(describeProblem);
    for (const problem of problems) io.stderr.write(`error: ${problem}\n`);
    if (plans.length === 0) {
      io.stderr.write(
        `sluice: nothing to replay: ${file} holds no dead letters${flags.stage === undefined ? "" : ` of stage "${flags.stage}"`}.\n`,
      );
    }
    return problems.length === 0 ? exitCodes.ok : exitCodes.failed;
  } catch (error) {
    const [message, code] = describeFailure(error);
    io.stderr.write(`error: ${message}\n`);
    return code;
  } finally {
    interrupt.dispose();
  }
}

/**
 * Reads the file once: how many dead letters each stage has, in order of first appearance,
 * and how many bytes were read (the bound of every replay). A malformed line throws here,
 * before anything runs.
 */
async function countStages(path: string): Promise<{ counts: Map<string, number>; end: number }> {
  const found = await stat(path).catch((error: unknown) => {
    throw new DeadLetterFileError(
      `Cannot read the dead-letter file ${path}`,
      path,
      undefined,
      error,
    );
  });
  const counts = new Map<string, number>();
  for await (const record of readRecords(path, { end: found.size })) {
    counts.set(record.stage, (counts.get(record.stage) ?? 0) + 1);
  }
  return { counts, end: found.size };
}

/** The module pipeline's stage specs (the `@internal` accessor of `Pipeline`). */
function specsOf(pipeline: Pipeline<unknown>, modulePath: string): readonly StageSpec[] {
  const specs = (pipeline as { specs?: unknown }).specs;
  if (!Array.isArray(specs)) {
    throw new ReplayUsageError(
      `The pipeline of ${modulePath} does not list its stages: it was built by a sluice too old to replay into`,
    );
  }
  return specs as readonly StageSpec[];
}

/**
 * The replays to run, in pipeline order: each stage the file names (or only `--stage`),
 * found in the module's pipeline by name (the first stage of that name).
 */
function planReplays(
  file: string,
  modulePath: string,
  counts: ReadonlyMap<string, number>,
  specs: readonly StageSpec[],
  flags: ReplayFlags,
): StagePlan[] {
  const names = specs.map((spec) => spec.name);
  const wanted = flags.stage === undefined ? [...counts.keys()] : [flags.stage];
  const plans: StagePlan[] = [];
  for (const stage of wanted) {
    const position = names.indexOf(stage);
    if (position === -1) {
      const named = counts.has(stage)
        ? `${file} holds ${formatCount(counts.get(stage) ?? 0)} dead letter(s) of stage "${stage}"`
        : `--stage names "${stage}"`;
      throw new ReplayUsageError(
        `${named}, but the pipeline of ${modulePath} has no stage of that name; its stages: ${names.join(", ")}`,
      );
    }
    const items = counts.get(stage) ?? 0;
    if (items > 0) plans.push({ stage, items, position });
  }
  return plans.sort((a, b) => a.position - b.position);
}

/** One stage's items, read up to `end` (the bytes the first pass counted). */
async function* itemsOf(path: string, stage: string, end: number): AsyncGenerator<unknown> {
  for await (const record of readRecords(path, { stage, end })) yield record.item;
}

function renderReport(file: string, plan: StagePlan, summary: RunSummary): string[] {
  const stages = summary.stages.map((stage) => stage.name).join(" → ");
  return [
    `replay: ${formatCount(plan.items)} dead letter(s) of stage "${plan.stage}" from ${file} into ${stages}`,
    ...renderSummary(summary),
    "",
  ];
}

/** Why one replay counts as a failure: none, or one sentence. */
function describeProblem(report: ReplayReport): string[] {
  const { stage, summary } = report;
  if (summary.outcome === "failed") {
    const error = summary.error;
    return [
      `the replay of stage "${stage}" failed: ${error instanceof Error ? error.message : String(error)}`,
    ];
  }
  const lost = summary.stages.filter(
    (stats) => stats.failed > 0 || stats.cancelled > 0 || stats.shed > 0,
  );
  if (lost.length === 0) return [];
  const where = lost
    .map((stats) => {
      const counted = [
        stats.failed > 0 ? `${formatCount(stats.failed)} failed` : "",
        stats.cancelled > 0 ? `${formatCount(stats.cancelled)} cancelled` : "",
        stats.shed > 0 ? `${formatCount(stats.shed)} shed` : "",
      ].filter((text) => text !== "");
      return `${counted.join(", ")} in ${stats.name}`;
    })
    .join("; ");
  return [
    `not every dead letter of stage "${stage}" went through (${formatCount(report.items)} replayed): ${where}`,
  ];
}

/** The reports as pretty-printed JSON: `{ file, replays: [{ stage, items, summary }] }`. */
function reportsToJson(path: string, reports: readonly ReplayReport[]): string {
  const replays = reports.map(({ stage, items, summary }) => ({
    stage,
    items,
    // summaryToJson turns the summary's error into plain JSON; parsed back to nest it.
    summary: JSON.parse(summaryToJson(summary)) as unknown,
  }));
  return JSON.stringify({ file: path, replays }, null, 2);
}

/** The message and exit code for what stopped the replay before or between runs. */
function describeFailure(error: unknown): [string, number] {
  if (error instanceof PipelineModuleError) {
    return [error.message, error.usage ? exitCodes.usage : exitCodes.failed];
  }
  if (error instanceof ReplayUsageError || isDeadLetterFileError(error)) {
    return [error.message, exitCodes.usage];
  }
  return [error instanceof Error ? error.message : String(error), exitCodes.failed];
}

function lines(text: readonly string[]): string {
  return `${text.join("\n")}\n`;
}
