import type { Attributes, Tracer } from "@opentelemetry/api";
import type { TracedStage } from "../contract/call-tracer.js";
import {
  checkOptionsObject,
  invalid,
  optionalFunction,
  stringOption,
} from "../internal/validate.js";

/** Options of {@link otel}. */
export interface OtelOptions {
  /**
   * The tracer to start spans with, used as given. Default: the registered SDK's tracer
   * named `"sluice"` with sluice's version; with no SDK registered, no stage is traced.
   */
  readonly tracer?: Tracer;
  /**
   * The fraction of source items traced, from 0 to 1. Default 1: every item. Decided once
   * per item, at the first traced stage, so an item's trace is whole or absent; 0 traces
   * nothing and leaves every stage bare.
   */
  readonly sampleRatio?: number;
  /** Put on every span as `sluice.pipeline`. Default: no such attribute. */
  readonly pipeline?: string;
  /**
   * Extra attributes for the span of a call of `item` in `stage`, called once per traced
   * call (never for an untraced one). Default none. If it throws, the run fails.
   */
  readonly attributes?: (item: unknown, stage: TracedStage) => Attributes | undefined;
}

/** {@link OtelOptions}, checked, with their defaults. */
export interface OtelSettings {
  readonly tracer: Tracer | undefined;
  readonly sampleRatio: number;
  readonly pipeline: string | undefined;
  readonly attributes: ((item: unknown, stage: TracedStage) => Attributes | undefined) | undefined;
}

const DEFAULTS = Object.freeze({ sampleRatio: 1 });

/** Checks `otel()`'s options: each bad one throws an `InvalidOptionError` naming it. */
export function otelSettings(options: OtelOptions | undefined): OtelSettings {
  const raw = checkOptionsObject("otel", options, [
    "tracer",
    "sampleRatio",
    "pipeline",
    "attributes",
  ]);
  return {
    tracer: tracerOption(raw["tracer"]),
    sampleRatio: ratioOption("otel.sampleRatio", raw["sampleRatio"], DEFAULTS.sampleRatio),
    pipeline:
      raw["pipeline"] === undefined
        ? undefined
        : stringOption("otel.pipeline", raw["pipeline"], ""),
    attributes: optionalFunction("otel.attributes", raw["attributes"]),
  };
}

function tracerOption(value: unknown): Tracer | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as Partial<Tracer>).startSpan !== "function"
  ) {
    throw invalid("otel.tracer", "an OpenTelemetry Tracer (with startSpan())", value);
  }
  return value as Tracer;
}

function ratioOption(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw invalid(path, "a number from 0 to 1", value);
  }
  return value;
}
