// The dashboard page: listens to the server's event stream and draws the run: the stage
// graph, per-stage charts and the controls. Bundled with uPlot and its CSS by
// scripts/build-dashboard.mjs into dashboard.js and dashboard.css; no request leaves the
// server it came from.
import "uplot/dist/uPlot.min.css";
import "./dashboard.css";
import type { WireFrame, WireHello } from "../wire.js";
import { StageCharts } from "./charts.js";
import { sendControl } from "./controls.js";
import { formatCount, formatDuration } from "./format.js";
import { StageGraph } from "./graph.js";

const token = new URLSearchParams(location.search).get("token");
const query = token === null ? "" : `?token=${encodeURIComponent(token)}`;

const view = {
  pipeline: byTestId("pipeline"),
  status: byTestId("status"),
  duration: byTestId("duration"),
  pulled: byTestId("pulled"),
  pause: byTestId("pause") as HTMLButtonElement,
  message: byTestId("message"),
  graph: byTestId("graph"),
  charts: byTestId("charts"),
};

let graph: StageGraph | undefined;
let charts: StageCharts[] = [];
let paused = false;
let ended = false;

const events = new EventSource(`events${query}`);
events.addEventListener("hello", (event) => start(JSON.parse(event.data as string) as WireHello));
events.addEventListener("frame", (event) => show([JSON.parse(event.data as string) as WireFrame]));
// The run settled and the server is closing: stay on the last frame, do not reconnect.
events.addEventListener("end", () => {
  events.close();
  ended = true;
  graph?.disable();
  view.pause.disabled = true;
});
events.addEventListener("error", () => {
  if (!ended) setStatus("disconnected", "disconnected: retrying…");
});

view.pause.addEventListener("click", () => {
  view.pause.disabled = true;
  void sendControl(paused ? "resume" : "pause", {}, token).then((answer) => {
    view.pause.disabled = ended;
    if (answer.error !== undefined) return say(answer.error);
    say(undefined);
    if (answer.paused !== undefined) setPaused(answer.paused);
  });
});

/** A (re)connection: draw the pipeline afresh and replay the frames the server kept. */
function start(hello: WireHello): void {
  document.title = `sluice · ${hello.pipeline}`;
  view.pipeline.textContent = hello.pipeline;
  for (const chart of charts) chart.destroy();
  view.charts.replaceChildren();
  graph = new StageGraph(view.graph, hello.stages, token, say);
  charts = hello.stages.map((stage, i) => new StageCharts(view.charts, stage, i));
  view.pause.disabled = false;
  setStatus("running", "running");
  show(hello.frames);
}

function show(frames: readonly WireFrame[]): void {
  const last = frames.at(-1);
  if (last === undefined) return;
  graph?.update(last);
  for (const chart of charts) chart.push(frames);
  view.duration.textContent = formatDuration(last.durationMs);
  view.pulled.textContent = `${formatCount(last.pulled)} pulled`;
  setPaused(last.paused);
  if (last.outcome !== "running") {
    setStatus(last.outcome, `${last.outcome} in ${formatDuration(last.durationMs)}`);
  } else setStatus(last.paused ? "paused" : "running", last.paused ? "paused" : "running");
}

function setPaused(value: boolean): void {
  paused = value;
  view.pause.textContent = paused ? "Resume run" : "Pause run";
  view.pause.setAttribute("aria-pressed", String(paused));
}

function setStatus(outcome: string, text: string): void {
  view.status.dataset.outcome = outcome;
  view.status.textContent = text;
}

function say(text: string | undefined): void {
  view.message.hidden = text === undefined;
  view.message.textContent = text ?? "";
}

function byTestId(id: string): HTMLElement {
  const node = document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (node === null) throw new Error(`The page has no [data-testid="${id}"]`);
  return node;
}
