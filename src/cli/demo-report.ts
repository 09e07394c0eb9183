import type { Pipeline, RunSummary } from "../index.js";
import { type DemoChaos, type DemoTally, demoShape } from "./demo-pipeline.js";
import { formatCount, formatCountOf } from "../internal/format.js";
import { alignRows } from "../internal/text-table.js";

type StageSettings = Pipeline<unknown>["stages"][number];

const shape = demoShape;
const NOTES: Readonly<Record<string, string>> = Object.freeze({
  fetch: `1 in ${shape.slowEvery} records waits 1–5 ms (simulated I/O); 1 in ${formatCount(shape.failEvery)} fails and is skipped to a dead letter`,
  validate: `drops about 1 in ${shape.dropEvery} records`,
  enrich: `1 in ${formatCount(shape.enrichSlowEvery)} records waits 1–2 ms; output stays in input order`,
  batch: `groups ${shape.batchSize} records, or what arrived within ${shape.batchMaxWait}`,
  write: "one writer: checks the order and sums each batch",
});

/**
 * The lines printed before the run: what the pipeline is, stage by stage, with the
 * settings the library validated (so `--concurrency cpus` shows the number it became), and
 * with `--chaos` the policies `fetch` runs under.
 */
export function renderIntro(
  items: number,
  stages: readonly StageSettings[],
  chaos?: DemoChaos,
): string[] {
  const rows = stages.map((stage) => [
    stage.name,
    stage.kind,
    "concurrency" in stage
      ? `concurrency ${stage.concurrency}, ${stage.ordered ? "ordered" : "unordered"}`
      : "",
    NOTES[stage.name] ?? "",
  ]);
  const table = alignRows(["left", "left", "left", "left"], rows);
  return [
    `sluice demo: ${formatCount(items)} generated records through ${stages.length} stages. Ctrl-C cancels; --help lists the options.`,
    "",
    ...table.map((line) => `  ${line}`),
    ...(chaos === undefined ? [] : ["", `  chaos: fetch runs under ${describePolicies(chaos)}`]),
    "",
  ];
}

/** The `wrap(...)` expression `fetch` runs under, as it would be written in code. */
function describePolicies(chaos: DemoChaos): string {
  const [min, max] = chaos.latency;
  const latency = min === max ? `${min}` : `[${min}, ${max}]`;
  return `wrap(retry({ attempts: ${chaos.attempts}, backoff: ${chaos.backoffMs} }), timeout(${chaos.timeoutMs}), chaos({ failRate: ${chaos.failRate}, hangRate: ${chaos.hangRate}, latency: ${latency}, seed: ${chaos.seed} }))`;
}

/**
 * The lines after the summary table: what the data itself proves. Order is checked by the
 * writer against enrich's input positions; the checksum is the same for every run with
 * the same `--items`, whatever the concurrency (but not with `--chaos`, where which records
 * are skipped depends on the order calls reach the chaos policy). With `--chaos`, a line
 * says what it injected and how many records it cost.
 */
export function renderChecks(summary: RunSummary, tally: DemoTally, chaos?: DemoChaos): string[] {
  const stage = (name: string) => summary.stages.find((s) => s.name === name);
  const fetch = stage("fetch");
  const enrich = stage("enrich");
  const lines: string[] = [];
  if (fetch !== undefined) {
    lines.push(
      `fan-out:  fetch peaked at ${fetch.maxInFlight} of ${formatCountOf(fetch.concurrency, "record")} in flight; ${formatCountOf(tally.overtaken, "record")} arrived after a later one (unordered: completion order)`,
    );
  }
  if (enrich !== undefined) {
    lines.push(
      tally.orderBroken === undefined
        ? `order:    ✓ order verified: enrich emitted ${formatCountOf(enrich.emitted, "record")} in input order, though ${formatCount(tally.finishedLate)} finished after a later one`
        : `order:    ✗ order broken: ${tally.orderBroken}`,
    );
  }
  if (chaos !== undefined) lines.push(renderChaos(chaos));
  lines.push(
    tally.deadLetters === 0
      ? "dead letters: none"
      : `dead letters: ${formatCountOf(tally.deadLetters, "record")} skipped by fetch (first: ${tally.firstDeadLetter})`,
    `written:  ${formatCountOf(tally.batches, "batch", "batches")}, ${formatCountOf(tally.written, "record")}, checksum ${tally.checksum.toString(16).padStart(8, "0")}`,
  );
  return lines;
}

/** What chaos did to fetch: calls, retries, injected failures and hangs, records lost. */
function renderChaos(chaos: DemoChaos): string {
  const { policy } = chaos;
  const retries = policy.calls - chaos.records;
  return `chaos:    fetch made ${formatCountOf(policy.calls, "call")} for ${formatCountOf(chaos.records, "record")} (${formatCountOf(retries, "retry", "retries")}): ${formatCount(policy.failures)} failed on purpose, ${formatCount(policy.hangs)} hung until the ${chaos.timeoutMs} ms timeout; ${formatCountOf(chaos.skipped, "record")} failed all ${chaos.attempts} attempts that way and ${chaos.skipped === 1 ? "was" : "were"} skipped`;
}
