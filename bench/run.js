#!/usr/bin/env node
/**
 * Benchmark runner: `node bench/run.js [--quick] [--scenario S1,S3] [--reps N]
 * [--contender NAME] [--timeout SECONDS]`.
 *
 * Every contender runs in a fresh child process (under `/usr/bin/time -v` for the kernel's
 * peak RSS); repetitions go round-robin over the contenders. A full, unfiltered run writes
 * `bench/RESULTS.md` (keeping its hand-written notes); `--quick` runs each contender once on
 * small inputs, prints the tables and writes only `bench/out/quick.md`. The exit code is 1
 * when any run failed its correctness check (or crashed, or timed out), so `--quick` works as
 * a smoke test; missed targets never change the exit code.
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import {
  evaluateTargets,
  scenarioTable,
  summarize,
  targetsTable,
  writePreservingNotes,
} from "./lib/report.js";
import { distUrl, sluiceBuilt } from "./lib/sluice.js";
import { runInChild } from "./lib/spawn.js";
import { fmtCount, fmtMb, fmtRate } from "./lib/stats.js";
import { scenario as s1 } from "./scenarios/s1-unordered.js";
import { scenario as s2 } from "./scenarios/s2-ordered-chain.js";
import { scenario as s3 } from "./scenarios/s3-io.js";
import { scenario as s4 } from "./scenarios/s4-cpu.js";
import { scenario as s5 } from "./scenarios/s5-memory.js";
import { scenario as s6 } from "./scenarios/s6-sync.js";
import { scenario as s7 } from "./scenarios/s7-signal.js";
import { scenario as s8a } from "./scenarios/s8a-heavy-sha256.js";
import { scenario as s8b } from "./scenarios/s8b-heavy-json.js";
import { runAdaptive, writeChart } from "./adaptive/report.js";
import { runResilience } from "./resilience/report.js";
import { runBrokers } from "./brokers/report.js";
import { runTenants } from "./tenants/report.js";
import { runStealing } from "./stealing/report.js";

const ALL = [s1, s2, s3, s4, s5, s6, s7, s8a, s8b];
const PEERS = [
  "p-map",
  "p-limit",
  "p-queue",
  "rxjs",
  "effect",
  "async",
  "fastq",
  "piscina",
  "tinypool",
  "bullmq",
];
const here = new URL(".", import.meta.url);

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    scenario: { type: "string", multiple: true },
    contender: { type: "string", multiple: true },
    reps: { type: "string" },
    timeout: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (args.help) {
  console.log(`usage: node bench/run.js [--quick] [--scenario S1[,S2…]] [--contender NAME] [--reps N] [--timeout SECONDS]
  --quick       each contender once on small inputs (smoke test; writes bench/out/quick.md only)
  --scenario    only these scenarios (${ALL.map((s) => s.id).join(", ")}, S9, R1, R2, B1, T1, W1; S8 = S8a and S8b); repeatable or comma-separated
  --contender   only contenders whose name contains this text; repeatable
  --reps        repetitions per contender (default 5; 1 with --quick)
  --timeout     seconds before a child is killed (default 120; 30 with --quick)`);
  process.exit(0);
}

const quick = args.quick;
const reps = Number(args.reps ?? (quick ? 1 : 5));
const timeoutMs = Number(args.timeout ?? (quick ? 30 : 120)) * 1000;
const wanted = args.scenario?.flatMap((s) => s.toUpperCase().split(","));
/** `S8` selects `S8a` and `S8b` (a letter suffix), but `S1` does not select a future `S10`. */
const picks = (id) =>
  wanted.some(
    (w) =>
      id.toUpperCase() === w ||
      (id.toUpperCase().startsWith(w) && /^[A-Z]$/.test(id.slice(w.length).toUpperCase())),
  );
const scenarios = wanted ? ALL.filter((s) => picks(s.id)) : ALL;
/** S9 (adaptive concurrency over HTTP) has its own runner: see bench/adaptive/. */
const adaptive = (!wanted || picks("S9")) && !args.contender;
/** R1 (hedging) and R2 (retry budget) have their own runner too: see bench/resilience/. */
const resilience = ["R1", "R2"].filter((id) => (!wanted || picks(id)) && !args.contender);
/** B1 (workers across processes through Redis Streams and JetStream): see bench/brokers/. */
const brokers = (!wanted || picks("B1")) && !args.contender;
/** T1 (tenant fairness under a flooding tenant): see bench/tenants/. */
const tenants = (!wanted || picks("T1")) && !args.contender;
/** W1 (work stealing: high-variance items on threads): see bench/stealing/. */
const stealing = (!wanted || picks("W1")) && !args.contender;
const contenderFilter = args.contender;
const filtered = Boolean(wanted || contenderFilter);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be an integer >= 1`);
if (
  scenarios.length === 0 &&
  !adaptive &&
  resilience.length === 0 &&
  !brokers &&
  !tenants &&
  !stealing
)
  throw new Error(`no scenario matches ${wanted}`);

const built = sluiceBuilt();
const distMtime = () => (sluiceBuilt() ? statSync(distUrl).mtime.toISOString() : "missing");
const distAtStart = distMtime();
const loadAtStart = os.loadavg()[0];
if (!built)
  console.error(
    "WARNING: dist/index.js is missing (run `npm run build`): sluice contenders are skipped and the run will exit 1.",
  );

/** @param {import("./lib/child.js").Contender} c */
const selected = (c) => !contenderFilter || contenderFilter.some((f) => c.name.includes(f));
/** @param {import("./lib/child.js").Scenario} s @param {import("./lib/child.js").Contender} c */
const itemsFor = (s, c) => (quick ? (c.quickN ?? s.quickN) : (c.n ?? s.n));

const started = Date.now();
let failures = 0;
let skipped = 0;
const sections = [];
const targetResults = [];
const raw = [];

for (const scenario of scenarios) {
  const contenders = scenario.contenders.filter(selected);
  /** @type {Map<string, import("./lib/spawn.js").ChildRun[]>} */
  const runs = new Map(contenders.map((c) => [c.name, []]));
  for (let rep = 0; rep < reps; rep++) {
    // Round-robin, starting one further along each repetition so no contender always goes first.
    const k = rep % contenders.length;
    for (const c of [...contenders.slice(k), ...contenders.slice(0, k)]) {
      const n = itemsFor(scenario, c);
      const skip =
        c.kind === "sluice" && !built ? "skipped: dist/index.js not built" : c.unavailable?.();
      if (skip) {
        runs.get(c.name).push({ n, error: skip, code: -1 });
        if (rep === 0) console.error(`[${scenario.id}] ${c.name.padEnd(18)} ${skip}`);
        continue;
      }
      const run = await runInChild(scenario.file, c.name, n, timeoutMs);
      runs.get(c.name).push(run);
      raw.push({ scenario: scenario.id, rep, contender: c.name, ...run });
      const rate = run.result ? fmtRate((run.result.items / run.result.ms) * 1000) : "–";
      const status = run.error ? `FAIL ${run.error}` : "ok";
      console.error(
        `[${scenario.id} ${rep + 1}/${reps}] ${c.name.padEnd(18)} ${fmtCount(n).padStart(5)} items ${rate.padStart(11)} items/s  peak ${fmtMb((run.peakRssKb ?? NaN) * 1024).padStart(6)} MB  ${status}`,
      );
    }
  }
  const stats = contenders.map((c) => summarize(c, runs.get(c.name)));
  for (const s of stats) {
    const skips = s.errors.filter((e) => e.startsWith("skipped")).length;
    skipped += skips;
    failures += s.errors.length - skips;
  }
  const table = scenarioTable(scenario, stats);
  sections.push(`## ${scenario.id} — ${scenario.title}\n\n${table}`);
  targetResults.push(...evaluateTargets(scenario, stats));
  console.log(`\n## ${scenario.id} — ${scenario.title}\n\n${table}\n`);
}

let chartSvg;
if (adaptive && built) {
  const s9 = await runAdaptive({ reps, quick, timeoutMs, log: (line) => console.error(line) });
  failures += s9.failures;
  sections.push(s9.section);
  targetResults.push(...s9.targets);
  chartSvg = s9.svg;
  console.log(`\n${s9.section}\n`);
}

if (resilience.length > 0 && built) {
  const r = await runResilience({
    reps,
    quick,
    timeoutMs,
    log: (line) => console.error(line),
    only: resilience,
  });
  failures += r.failures;
  sections.push(...r.sections);
  targetResults.push(...r.targets);
  for (const section of r.sections) console.log(`\n${section}\n`);
}

if (brokers && built) {
  const b1 = await runBrokers({ reps, quick, timeoutMs, log: (line) => console.error(line) });
  failures += b1.failures;
  sections.push(b1.section);
  targetResults.push(...b1.targets);
  console.log(`\n${b1.section}\n`);
}

if (tenants && built) {
  const t1 = await runTenants({ reps, quick, timeoutMs, log: (line) => console.error(line) });
  failures += t1.failures;
  sections.push(t1.section);
  targetResults.push(...t1.targets);
  console.log(`\n${t1.section}\n`);
}

if (stealing && built) {
  const w1 = await runStealing({ reps, quick, timeoutMs, log: (line) => console.error(line) });
  failures += w1.failures;
  sections.push(w1.section);
  targetResults.push(...w1.targets);
  console.log(`\n${w1.section}\n`);
}

const elapsed = (Date.now() - started) / 1000;
const header = environment();
const targets = `## Targets\n\n${quick ? "_Quick run: small inputs, one repetition — indicative only, not an assessment._\n\n" : ""}${targetsTable(targetResults)}`;
const verdict = failures ? `${failures} run(s) FAILED` : "all runs passed their correctness checks";
const skips = skipped
  ? `; ${skipped} run(s) SKIPPED (sluice contenders whose dist/ files are missing)`
  : "";
console.log(`${targets}\n\n${verdict}${skips} (${elapsed.toFixed(0)} s)`);

const doc = [
  `# sluice benchmark results${quick ? " (quick)" : ""}`,
  header,
  targets,
  ...sections,
].join("\n\n");
mkdirSync(new URL("out/", here), { recursive: true });
const stamp = new Date().toISOString().replaceAll(":", "-").slice(0, 19);
if (quick) {
  writeFileSync(new URL("out/quick.md", here), `${doc}\n`);
} else {
  writeFileSync(new URL(`out/raw-${stamp}.json`, here), JSON.stringify(raw, null, 1));
  if (filtered) {
    writeFileSync(new URL("out/results-partial.md", here), `${doc}\n`);
    console.error(
      "filtered run: wrote bench/out/results-partial.md (RESULTS.md is written by full runs only)",
    );
  } else {
    writePreservingNotes(new URL("RESULTS.md", here), doc);
    if (chartSvg) writeChart(new URL("adaptive-limit.svg", here), chartSvg);
    console.error("wrote bench/RESULTS.md");
  }
}
process.exitCode = failures || skipped || !built ? 1 : 0;

/** The run's context: date, machine, Node, library and peer versions, settings. */
function environment() {
  const version = (p) => {
    try {
      return JSON.parse(readFileSync(new URL(p, here), "utf8")).version;
    } catch {
      return "not installed";
    }
  };
  let commit = "unknown";
  try {
    const opts = {
      cwd: new URL("..", here),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    };
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], opts).trim();
    if (execFileSync("git", ["status", "--porcelain", "--", "src"], opts).trim())
      commit += " + uncommitted src/ changes";
  } catch {
    // not a git checkout
  }
  const peers = PEERS.map((p) => `${p} ${version(`node_modules/${p}/package.json`)}`).join(", ");
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${os.availableParallelism()} cores (\`os.availableParallelism()\`), ${os.cpus()[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    `- Node ${process.version}`,
    `- sluice ${version("../package.json")} (commit ${commit}; ${built ? `dist/ built ${distAtStart}` : "dist/ NOT BUILT"})`,
    ...(distMtime() === distAtStart
      ? []
      : [
          `- **WARNING: dist/ was rebuilt during the run (now ${distMtime()}): the sluice rows mix two builds.**`,
        ]),
    `- 1-minute load average: ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end (the benchmark itself keeps about 1 core busy, both in the thread scenarios S4 and S8)`,
    `- Peers: ${peers}`,
    `- Repetitions: ${reps} per contender, round-robin, each in a fresh \`node\` process${quick ? " (--quick: small inputs)" : ""}; runner wall time ${elapsed.toFixed(0)} s`,
    `- items/s = items ÷ time from the first item requested to the last one consumed, measured inside the child (library import and the input a scenario prepares, in S4 and S8, not included). Peak RSS = kernel "Maximum resident set size" of the child (\`/usr/bin/time -v\`).`,
  ].join("\n");
}
