import uPlot from "uplot";
import type { WireFrame, WireStage, WireStageFrame } from "../wire.js";

/** How much of the run the charts keep: the last five minutes. */
const WINDOW_SECONDS = 300;
const HEIGHT = 150;

/** One line on a chart: its label, colour and the number it reads from a stage's frame. */
interface Line {
  readonly label: string;
  readonly stroke: string;
  readonly dash?: number[];
  readonly value: (stage: WireStageFrame) => number | null;
}

/** The charts drawn for every stage, in order. */
const CHARTS: readonly { id: string; title: string; lines: readonly Line[] }[] = [
  {
    id: "throughput",
    title: "throughput (items/s out)",
    lines: [{ label: "out/s", stroke: "#2563eb", value: (s) => s.outPerSecond }],
  },
  {
    id: "queue",
    title: "queue depth",
    lines: [{ label: "queued", stroke: "#d97706", value: (s) => s.queueDepth }],
  },
  {
    id: "in-flight",
    title: "in flight vs limit",
    lines: [
      { label: "in flight", stroke: "#059669", value: (s) => s.inFlight },
      { label: "limit", stroke: "#64748b", dash: [4, 4], value: (s) => s.limit },
    ],
  },
  {
    id: "latency",
    title: "processing time (ms)",
    lines: [
      { label: "p50", stroke: "#7c3aed", value: (s) => s.p50Ms },
      { label: "p99", stroke: "#db2777", value: (s) => s.p99Ms },
    ],
  },
  {
    id: "errors",
    title: "errors (failed/s)",
    lines: [{ label: "failed/s", stroke: "#dc2626", value: (s) => s.failedPerSecond }],
  },
];

/**
 * A stage's live charts (throughput, queue depth, in flight vs limit, p50/p99, errors), drawn
 * with uPlot over the last five minutes of frames. Each frame appends one point per line and
 * drops the points that fell out of the window, so memory stays bounded however long the
 * run goes.
 */
export class StageCharts {
  readonly #index: number;
  /** Seconds since the epoch (uPlot's time axis), one per frame kept. */
  readonly #times: number[] = [];
  /** Per chart, per line, the values matching #times. */
  readonly #values: (number | null)[][][] = CHARTS.map((chart) => chart.lines.map(() => []));
  readonly #plots: uPlot[] = [];
  readonly #holders: HTMLElement[] = [];
  readonly #resize: ResizeObserver;

  constructor(container: HTMLElement, stage: WireStage, index: number) {
    this.#index = index;
    const section = document.createElement("section");
    section.className = "stage-charts";
    section.dataset.testid = "stage-charts";
    section.dataset.stage = stage.name;
    const heading = document.createElement("h2");
    heading.textContent = stage.name;
    const row = document.createElement("div");
    row.className = "chart-row";
    section.append(heading, row);
    container.append(section);
    this.#resize = new ResizeObserver(() => this.#fit());
    CHARTS.forEach((chart, c) => {
      const holder = document.createElement("div");
      holder.className = "chart";
      holder.dataset.testid = `chart-${chart.id}`;
      holder.dataset.points = "0";
      row.append(holder);
      this.#holders.push(holder);
      this.#plots.push(
        new uPlot(options(chart.title, chart.lines, width(holder)), this.#data(c), holder),
      );
      this.#resize.observe(holder);
    });
  }

  /** Adds `frames` (oldest first) and redraws once. */
  push(frames: readonly WireFrame[]): void {
    for (const frame of frames) {
      const stage = frame.stages[this.#index];
      if (stage === undefined) continue;
      this.#times.push(frame.at / 1_000);
      CHARTS.forEach((chart, c) =>
        chart.lines.forEach((line, l) => this.#values[c]![l]!.push(line.value(stage))),
      );
    }
    // Drop what fell out of the window: the oldest points are at the front.
    const newest = this.#times.at(-1) ?? 0;
    let drop = 0;
    while (drop < this.#times.length && this.#times[drop]! < newest - WINDOW_SECONDS) drop++;
    if (drop > 0) {
      this.#times.splice(0, drop);
      for (const lines of this.#values) for (const values of lines) values.splice(0, drop);
    }
    this.#plots.forEach((plot, c) => {
      plot.setData(this.#data(c));
      this.#holders[c]!.dataset.points = String(this.#times.length);
    });
  }

  /** Removes the charts and their observers. */
  destroy(): void {
    this.#resize.disconnect();
    for (const plot of this.#plots) plot.destroy();
  }

  #data(chart: number): uPlot.AlignedData {
    return [this.#times, ...this.#values[chart]!] as uPlot.AlignedData;
  }

  #fit(): void {
    this.#plots.forEach((plot, c) => {
      const w = width(this.#holders[c]!);
      if (w !== plot.width) plot.setSize({ width: w, height: HEIGHT });
    });
  }
}

function width(holder: HTMLElement): number {
  return Math.max(200, Math.floor(holder.clientWidth));
}

/** `20:36:27` for a time in epoch seconds. */
function clock(seconds: number): string {
  const date = new Date(seconds * 1_000);
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");
}

function options(title: string, lines: readonly Line[], chartWidth: number): uPlot.Options {
  const axis: uPlot.Axis = {
    stroke: "#475569",
    grid: { stroke: "#e2e8f0", width: 1 },
    ticks: { stroke: "#cbd5e1", width: 1 },
    font: "11px system-ui, sans-serif",
  };
  return {
    title,
    width: chartWidth,
    height: HEIGHT,
    // Counts and times are never negative: start the axis at 0, and give a flat-zero line
    // some room instead of a zero-height range.
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    // Clock times on the x axis (uPlot's default adds a date line under every chart).
    axes: [
      { ...axis, space: 55, values: (_u, splits) => splits.map(clock) },
      { ...axis, size: 52 },
    ],
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    series: [
      {},
      ...lines.map((line): uPlot.Series => ({
        label: line.label,
        stroke: line.stroke,
        width: 1.5,
        ...(line.dash === undefined ? {} : { dash: line.dash }),
        spanGaps: false,
        points: { show: false },
      })),
    ],
  };
}
