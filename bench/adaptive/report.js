/**
 * S9 in the benchmark run: runs each contender of `http-limit.js` in fresh processes,
 * round-robin, takes medians, checks the targets and draws the limit over time as an SVG
 * chart (`bench/adaptive-limit.svg`, beside RESULTS.md).
 * @module
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fmtRate, median } from "../lib/stats.js";
import { CAPACITY, REQUESTS, SERVICE_MS, contenders } from "./http-limit.js";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("http-limit.js", import.meta.url));
const LABELS = {
  "static-64": "static `concurrency: 64`",
  "static-10": "static `concurrency: 10` (tuned by hand)",
  aimd: `\`aimd({ min: 1, max: 200, latency: ${Math.round(SERVICE_MS * 1.6 + 1)} })\``,
  gradient: "`gradient({ min: 1, max: 200 })`",
};

/**
 * Runs S9: `reps` runs of each contender (`quick`: fewer requests).
 * @returns {Promise<{ section: string, targets: { label: string, measured: string, verdict: string }[], svg: string | undefined, failures: number }>}
 */
export async function runAdaptive({ reps, quick, timeoutMs, log }) {
  const requests = quick ? 600 : REQUESTS;
  const names = Object.keys(contenders);
  /** @type {Map<string, any[]>} */
  const results = new Map(names.map((n) => [n, []]));
  let failures = 0;
  for (let rep = 0; rep < reps; rep++) {
    const k = rep % names.length;
    for (const name of [...names.slice(k), ...names.slice(0, k)]) {
      try {
        const { stdout } = await run(process.execPath, [SCRIPT, name, String(requests)], {
          timeout: timeoutMs,
          maxBuffer: 64 * 1024 * 1024,
        });
        const result = JSON.parse(stdout.trim().split("\n").at(-1));
        results.get(name).push(result);
        log(
          `[S9 ${rep + 1}/${reps}] ${name.padEnd(18)} ${fmtRate(result.throughput).padStart(8)} req/s  p99 ${result.p99.toFixed(1).padStart(6)} ms  in flight ${result.inFlight.toFixed(1)}`,
        );
      } catch (error) {
        failures++;
        log(`[S9 ${rep + 1}/${reps}] ${name.padEnd(18)} FAIL ${error.message}`);
      }
    }
  }
  const stat = (name) => {
    const rs = results.get(name);
    if (rs.length === 0) return undefined;
    return {
      throughput: median(rs.map((r) => r.throughput)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      inFlight: median(rs.map((r) => r.inFlight)),
      trace: rs[0].trace,
    };
  };
  const stats = Object.fromEntries(names.map((n) => [n, stat(n)]));
  const tuned = stats["static-10"];
  const unloaded = tuned?.p50;
  const rows = names.map((n) => {
    const s = stats[n];
    if (!s) return `| ${LABELS[n]} | – | – | – | – | – |`;
    return `| ${LABELS[n]} | ${fmtRate(s.throughput)} | ${tuned ? `${((s.throughput / tuned.throughput) * 100).toFixed(0)}%` : "–"} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.inFlight.toFixed(1)} |`;
  });
  const section = [
    `## S9 — adaptive concurrency against a loopback HTTP service (${CAPACITY} at once, ${SERVICE_MS} ms each, FIFO queue)`,
    "",
    `${requests.toLocaleString("en-US")} requests per run over keep-alive sockets, the service in its own process; medians of ${reps} runs. The limit over time (first run of each): [adaptive-limit.svg](adaptive-limit.svg).`,
    "",
    "| width | requests/s | vs tuned by hand | p50 ms | p99 ms | in flight (time-averaged) |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
  const targets = [];
  for (const n of ["aimd", "gradient"]) {
    const s = stats[n];
    const label = n === "aimd" ? "aimd()" : "gradient()";
    if (!s || !tuned) {
      targets.push({ label: `S9 ${label}`, measured: "not measured", verdict: "FAIL" });
      continue;
    }
    targets.push({
      label: `S9 ${label} holds 7–14 calls in flight (the service takes ${CAPACITY})`,
      measured: `${s.inFlight.toFixed(1)}`,
      verdict: s.inFlight >= 7 && s.inFlight <= 14 ? "PASS" : "MISS",
    });
    const share = s.throughput / tuned.throughput;
    targets.push({
      label: `S9 ${label} ≥ 85% of the width tuned by hand`,
      measured: `${(share * 100).toFixed(1)}%: ${fmtRate(s.throughput)} vs ${fmtRate(tuned.throughput)} requests/s`,
      verdict: share >= 0.85 ? "PASS" : "MISS",
    });
    // In real time the tuned width's own tail is ~1.4x its median (timer and scheduling
    // jitter on 2 cores), so the limiters' tail is held against that tail, not the median.
    targets.push({
      label: `S9 ${label} p99 ≤ 1.5× the p99 of the width tuned by hand`,
      measured: `${s.p99.toFixed(1)} ms vs 1.5 × ${tuned.p99.toFixed(1)} ms (${(s.p99 / unloaded).toFixed(2)}× the unloaded latency, ${unloaded.toFixed(1)} ms)`,
      verdict: s.p99 <= 1.5 * tuned.p99 ? "PASS" : "MISS",
    });
  }
  const wide = stats["static-64"];
  if (wide && unloaded) {
    targets.push({
      label: "S9 static 64: p99 > 4× the unloaded latency (what the limiters avoid)",
      measured: `${wide.p99.toFixed(1)} ms vs 4 × ${unloaded.toFixed(1)} ms`,
      verdict: wide.p99 > 4 * unloaded ? "PASS" : "MISS",
    });
  }
  const svg = stats.aimd && stats.gradient ? chart(stats) : undefined;
  return { section, targets, svg, failures };
}

/** Writes the chart beside RESULTS.md. */
export function writeChart(url, svg) {
  writeFileSync(url, svg);
}

/** The limit over time of aimd() and gradient(), with the service's capacity, as SVG. */
function chart(stats) {
  const W = 720;
  const H = 320;
  const left = 50;
  const bottom = 40;
  const top = 30;
  const right = 150;
  const series = [
    { name: "aimd()", color: "#d95f02", points: stats.aimd.trace },
    { name: "gradient()", color: "#1b9e77", points: stats.gradient.trace },
  ];
  const tMax = Math.max(...series.flatMap((s) => s.points.map(([t]) => t)), 1);
  const yMax = Math.max(2 * CAPACITY, ...series.flatMap((s) => s.points.map(([, l]) => l))) * 1.1;
  const x = (t) => left + (t / tMax) * (W - left - right);
  const y = (v) => H - bottom - (v / yMax) * (H - bottom - top);
  const lines = series.map(
    (s) =>
      `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.points.map(([t, l]) => `${x(t).toFixed(1)},${y(l).toFixed(1)}`).join(" ")}"/>`,
  );
  const ticksY = [];
  for (let v = 0; v <= yMax; v += 5) {
    ticksY.push(
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text><line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
    );
  }
  const ticksX = [];
  const step = tMax > 4000 ? 1000 : 500;
  for (let t = 0; t <= tMax; t += step) {
    ticksX.push(`<text x="${x(t)}" y="${H - bottom + 16}" text-anchor="middle">${t / 1000}</text>`);
  }
  const legend = [
    ...series.map(
      (s, i) =>
        `<line x1="${W - right + 15}" x2="${W - right + 40}" y1="${top + 10 + i * 20}" y2="${top + 10 + i * 20}" stroke="${s.color}" stroke-width="2"/><text x="${W - right + 46}" y="${top + 14 + i * 20}">${s.name}</text>`,
    ),
    `<line x1="${W - right + 15}" x2="${W - right + 40}" y1="${top + 50}" y2="${top + 50}" stroke="#555" stroke-dasharray="4 3"/><text x="${W - right + 46}" y="${top + 54}">capacity (${CAPACITY})</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="18" font-size="13">Limit over time against a ${CAPACITY}-wide, ${SERVICE_MS} ms loopback HTTP service (S9)</text>
${ticksY.join("\n")}
${ticksX.join("\n")}
<line x1="${left}" x2="${W - right}" y1="${y(CAPACITY)}" y2="${y(CAPACITY)}" stroke="#555" stroke-dasharray="4 3"/>
${lines.join("\n")}
<line x1="${left}" x2="${left}" y1="${top}" y2="${H - bottom}" stroke="#333"/>
<line x1="${left}" x2="${W - right}" y1="${H - bottom}" y2="${H - bottom}" stroke="#333"/>
<text x="${(left + W - right) / 2}" y="${H - 6}" text-anchor="middle">seconds</text>
<text x="14" y="${(top + H - bottom) / 2}" transform="rotate(-90 14 ${(top + H - bottom) / 2})" text-anchor="middle">limit</text>
${legend.join("\n")}
</svg>
`;
}
