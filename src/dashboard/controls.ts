import type { IncomingMessage } from "node:http";
import { describeValue } from "../internal/describe-value.js";
import type { RunMetrics } from "../observe/run-metrics.js";
import type { WireControlAnswer } from "./wire.js";

/** What the controls steer: `Run` has all of it. */
export interface SteeredRun {
  metrics(): RunMetrics;
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  setConcurrency(stageName: string, concurrency: number): void;
}

/** The controls, by path: `POST /control/<name>`. */
export type ControlName = "pause" | "resume" | "concurrency";

/** A control's answer: an HTTP status and a JSON body. */
export interface ControlResult {
  readonly status: 200 | 400;
  readonly body: WireControlAnswer;
}

/** A control's request body is a small JSON object; anything longer is refused unread. */
const MAX_BODY_BYTES = 4_096;

/** Whether `name` (the path after `/control/`) is a control. */
export function isControlName(name: string): name is ControlName {
  return name === "pause" || name === "resume" || name === "concurrency";
}

/**
 * Carries out one control request on `run`: `pause` and `resume` pause or resume the whole
 * run (`run.pause()`, `run.resume()`); `concurrency` takes `{ "stage": name, "concurrency":
 * n }` and calls `run.setConcurrency(stage, n)`. Bad input, and anything the run refuses
 * (such as a stage whose width an adaptive limiter sets), is a 400 whose `error` names the
 * problem; nothing here throws, so no request can break the run.
 */
export async function runControl(
  run: SteeredRun,
  name: ControlName,
  request: IncomingMessage,
): Promise<ControlResult> {
  let body: unknown;
  try {
    body = await readJson(request);
  } catch (error) {
    return refuse(error instanceof Error ? error.message : String(error));
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return refuse(`Expected the request body to be a JSON object, got ${describeValue(body)}`);
  }
  try {
    if (name === "pause") run.pause();
    else if (name === "resume") run.resume();
    else return setConcurrency(run, body as Record<string, unknown>);
    return { status: 200, body: { paused: run.paused } };
  } catch (error) {
    return refuse(error instanceof Error ? error.message : String(error));
  }
}

function setConcurrency(run: SteeredRun, body: Record<string, unknown>): ControlResult {
  const { stage, concurrency } = body;
  const names = run.metrics().stages.map((s) => s.name);
  if (typeof stage !== "string" || !names.includes(stage)) {
    return refuse(
      `Expected \`stage\` to be the name of one of the pipeline's stages (${names.join(", ")}), got ${describeValue(stage)}`,
    );
  }
  if (typeof concurrency !== "number" || !Number.isSafeInteger(concurrency) || concurrency < 1) {
    return refuse(
      `Expected \`concurrency\` to be an integer >= 1, got ${describeValue(concurrency)}`,
    );
  }
  // The run checks the rest (a stage that calls no function, an adaptive limiter) and says why.
  run.setConcurrency(stage, concurrency);
  const limit = run.metrics().stages.find((s) => s.name === stage)?.limit ?? concurrency;
  return { status: 200, body: { stage, limit } };
}

function refuse(error: string): ControlResult {
  return { status: 400, body: { error } };
}

/** The request's body as JSON (an empty body is `{}`), at most {@link MAX_BODY_BYTES}. */
async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even past the limit (keeping nothing more): leaving the loop early would
  // destroy the request, and its socket with it, before the 400 could be sent.
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new Error(`The request body is over ${MAX_BODY_BYTES} bytes`);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`The request body is not JSON: ${(error as Error).message}`, { cause: error });
  }
}
