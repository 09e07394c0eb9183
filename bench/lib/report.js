/**
 * Turns the runs into per-contender statistics, Markdown tables and the Targets section,
 * and writes RESULTS.md while keeping its hand-written notes.
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fmtCount, fmtPct, fmtRate, fmtRatio, fmtSeconds, median } from "./stats.js";

/** Everything from this line on in RESULTS.md is hand-written and kept on rewrite. */
export const NOTES_MARKER = "<!-- notes -->";

/**
 * A target: a throughput ratio (`vs` is a contender name or `"fastest-peer"`, `min` the
 * least ratio of items/s), a time ratio (`vs` a contender, `maxTime` the most the
 * contender's median run time may be as a multiple of `vs`'s, whatever their item counts)
 * or a memory figure (`metric` with a `max`).
 * @typedef {object} Target
 * @property {string} label
 * @property {string} contender
 * @property {string} [vs]
 * @property {number} [min]
 * @property {number} [maxTime]
 * @property {"rssGrowthMb" | "peakRssMb"} [metric]
 * @property {number} [max]
 * @property {boolean} [strict] `max` is exclusive (`<` rather than `≤`)
 */

/**
 * @typedef {object} Stats
 * @property {import("./child.js").Contender} contender
 * @property {number} items
 * @property {number} ok runs that passed
 * @property {string[]} errors
 * @property {number} ips median items/s
 * @property {number} minIps
 * @property {number} maxIps
 * @property {number} peakRssMb median kernel peak RSS
 * @property {number} rss10Mb median RSS at 10% of the items
 * @property {number} rss100Mb median RSS at 100%
 * @property {number} rssGrowthMb median of (RSS at 100% − RSS at 10%)
 * @property {number} maxRssGrowthMb worst growth over the runs
 * @property {number} newSpaceGrowthMb median growth of V8's new space over the same interval
 * @property {import("./child.js").Info[]} infos what the successful runs reported, one per run
 */

/**
 * Summarizes one contender's runs (failed runs count in `errors` only).
 * @param {import("./child.js").Contender} contender
 * @param {import("./spawn.js").ChildRun[]} runs
 * @returns {Stats}
 */
export function summarize(contender, runs) {
  const good = runs.filter((r) => !r.error);
  const ips = good.map((r) => (r.result.items / r.result.ms) * 1000);
  const growth = good.map((r) => (r.result.rss100 - r.result.rss10) / 1048576);
  return {
    contender,
    items: runs[0]?.n ?? NaN,
    ok: good.length,
    errors: runs.filter((r) => r.error).map((r) => r.error),
    ips: median(ips),
    minIps: Math.min(...ips),
    maxIps: Math.max(...ips),
    peakRssMb: median(good.map((r) => r.peakRssKb / 1024)),
    rss10Mb: median(good.map((r) => r.result.rss10 / 1048576)),
    rss100Mb: median(good.map((r) => r.result.rss100 / 1048576)),
    rssGrowthMb: median(growth),
    maxRssGrowthMb: Math.max(...growth),
    newSpaceGrowthMb: median(
      good.map((r) => (r.result.newSpace100 - r.result.newSpace10) / 1048576),
    ),
    infos: good.map((r) => r.result.info).filter((i) => i && typeof i === "object"),
  };
}

/**
 * One line per contender that reported something about its runs (see `Contender.run`),
 * e.g. `sluice thread stage: batch = 256, 512, 256 (one value per run)`.
 * @param {Stats} s
 */
function infoLine(s) {
  if (s.infos.length === 0) return undefined;
  const keys = [...new Set(s.infos.flatMap((i) => Object.keys(i)))];
  const show = (v) => (typeof v === "string" ? v : JSON.stringify(v));
  const facts = keys.map((k) => `${k} = ${s.infos.map((i) => show(i[k])).join(", ")}`);
  return `${s.contender.label}: ${facts.join("; ")} (one value per run)`;
}

/**
 * The peer with the highest median throughput, if any ran.
 * @param {Stats[]} stats
 */
export function fastestPeer(stats) {
  const peers = stats.filter((s) => s.contender.kind === "peer" && s.ok > 0);
  return peers.reduce((a, b) => (b.ips > a.ips ? b : a), peers[0]);
}

/** Escapes a table cell. */
const cell = (s) => String(s).replaceAll("|", "\\|").replaceAll("\n", " ");

/**
 * One Markdown table (plus footnotes) for a scenario.
 * @param {import("./child.js").Scenario} scenario
 * @param {Stats[]} stats
 */
export function scenarioTable(scenario, stats) {
  const bares = stats.filter((s) => s.contender.kind === "bare" && s.ok > 0);
  const fastest = fastestPeer(stats);
  const head = ["contender", "kind", "items", "median items/s", "min–max items/s"];
  for (const b of bares) head.push(`vs ${b.contender.name}`);
  head.push("vs fastest peer");
  if (scenario.littleLimit) head.push("% of Little's law");
  head.push("peak RSS MB");
  if (scenario.memory) {
    head.push("RSS @10% MB", "RSS @100% MB", "growth MB (max)", "of which V8 new space MB");
  }

  const notes = [];
  const rows = stats.map((s) => {
    const c = s.contender;
    let label = c.label;
    if (c === fastest?.contender) label += " ★";
    if (c.note) {
      if (!notes.includes(c.note)) notes.push(c.note);
      label += ` [${notes.indexOf(c.note) + 1}]`;
    }
    if (s.ok === 0) {
      const why = (s.errors[0] ?? "not run").slice(0, 200);
      return [label, c.kind, fmtCount(s.items), why.startsWith("skipped") ? why : `FAILED: ${why}`];
    }
    const row = [label, c.kind, fmtCount(s.items), fmtRate(s.ips)];
    row.push(`${fmtRate(s.minIps)} – ${fmtRate(s.maxIps)}`);
    for (const b of bares) row.push(fmtRatio(s.ips / b.ips));
    row.push(fastest ? fmtRatio(s.ips / fastest.ips) : "–");
    if (scenario.littleLimit) row.push(fmtPct(s.ips / scenario.littleLimit));
    row.push(s.peakRssMb.toFixed(1));
    if (scenario.memory) {
      row.push(s.rss10Mb.toFixed(1), s.rss100Mb.toFixed(1));
      row.push(`${s.rssGrowthMb.toFixed(1)} (${s.maxRssGrowthMb.toFixed(1)})`);
      row.push(s.newSpaceGrowthMb.toFixed(1));
    }
    if (s.errors.length) row[0] += ` (${s.errors.length} failed run(s): ${s.errors[0]})`;
    return row;
  });

  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`];
  for (const r of rows) {
    while (r.length < head.length) r.push("");
    lines.push(`| ${r.map(cell).join(" | ")} |`);
  }
  lines.push("", "★ fastest peer (by median). Ratios are of medians from the same run.");
  notes.forEach((n, i) => lines.push(`[${i + 1}] ${n}`));
  for (const line of stats.map(infoLine)) if (line) lines.push(line);
  return lines.join("\n");
}

/**
 * Why a target cannot be measured on `s` (its contender or the one it is compared with),
 * if it cannot: "n/a" when the contender was not run (filtered out, or skipped because
 * dist/ is missing), "FAIL" when it ran and no run succeeded (crashed, wrong output, timed
 * out), since then the library did not do what the target asks.
 * @param {string} label
 * @param {string} name
 * @param {Stats | undefined} s
 */
function unmeasured(label, name, s) {
  if (s && s.ok > 0) return undefined;
  const errors = s?.errors.filter((e) => !e.startsWith("skipped")) ?? [];
  if (errors.length === 0) return { label, measured: `${name} not measured`, verdict: "n/a" };
  return { label, measured: `${name} failed: ${errors[0].slice(0, 200)}`, verdict: "FAIL" };
}

/**
 * Median time of one run in seconds (every run of a contender has the same item count).
 * @param {Stats} s
 */
const seconds = (s) => s.items / s.ips;

/**
 * Evaluates a scenario's targets.
 * @param {import("./child.js").Scenario} scenario
 * @param {Stats[]} stats
 * @returns {{ label: string, measured: string, verdict: "PASS" | "MISS" | "FAIL" | "n/a" }[]}
 */
export function evaluateTargets(scenario, stats) {
  const byName = new Map(stats.map((s) => [s.contender.name, s]));
  return (scenario.targets ?? []).map((t) => {
    const s = byName.get(t.contender);
    const missing = unmeasured(t.label, t.contender, s);
    if (missing) return missing;
    if (t.metric) {
      const v = s[t.metric];
      const pass = t.strict ? v < t.max : v <= t.max;
      const worst =
        t.metric === "rssGrowthMb"
          ? `, worst run ${s.maxRssGrowthMb.toFixed(1)}; V8 new space grew ${s.newSpaceGrowthMb.toFixed(1)} MB of it`
          : "";
      return {
        label: t.label,
        measured: `${v.toFixed(1)} MB (median${worst})`,
        verdict: pass ? "PASS" : "MISS",
      };
    }
    const other = t.vs === "fastest-peer" ? fastestPeer(stats) : byName.get(t.vs);
    const otherMissing = unmeasured(t.label, t.vs, other);
    if (otherMissing) return otherMissing;
    if (t.maxTime !== undefined) {
      const ratio = seconds(s) / seconds(other);
      const measured = `${fmtRatio(ratio)} the time: ${fmtSeconds(seconds(s))} for ${fmtCount(s.items)} items vs ${other.contender.label} ${fmtSeconds(seconds(other))} for ${fmtCount(other.items)} (${fmtRate(s.ips)} vs ${fmtRate(other.ips)} items/s)`;
      return { label: t.label, measured, verdict: ratio <= t.maxTime ? "PASS" : "MISS" };
    }
    const ratio = s.ips / other.ips;
    const measured = `${fmtRatio(ratio)} (${fmtPct(ratio)}): ${fmtRate(s.ips)} vs ${other.contender.label} ${fmtRate(other.ips)} items/s`;
    return { label: t.label, measured, verdict: ratio >= t.min ? "PASS" : "MISS" };
  });
}

/**
 * The Targets section as Markdown.
 * @param {ReturnType<typeof evaluateTargets>} results
 */
export function targetsTable(results) {
  const lines = ["| target | measured (medians, same run) | result |", "| --- | --- | --- |"];
  for (const r of results) lines.push(`| ${cell(r.label)} | ${cell(r.measured)} | ${r.verdict} |`);
  return lines.join("\n");
}

/**
 * Writes `path`, keeping everything from {@link NOTES_MARKER} on if the file has it.
 * @param {string} path
 * @param {string} generated the new generated part (without the marker)
 */
export function writePreservingNotes(path, generated) {
  let notes = `${NOTES_MARKER}\n\n## Notes\n\n_Hand-written notes: everything from the marker line above on is kept when \`node bench/run.js\` rewrites this file._\n`;
  if (existsSync(path)) {
    const old = readFileSync(path, "utf8");
    const at = old.indexOf(NOTES_MARKER);
    if (at >= 0) notes = old.slice(at);
  }
  writeFileSync(path, `${generated.trimEnd()}\n\n${notes}`);
}
