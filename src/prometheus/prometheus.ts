import { type Registry, register as defaultRegistry } from "prom-client";
import type { RunMetrics } from "../observe/run-metrics.js";
import { checkOptionsObject, invalid, stringOption } from "../internal/validate.js";
import { type ExposedRun, type Family, stageFamilies } from "./stage-families.js";

/** Options of {@link prometheus}. */
export interface PrometheusOptions {
  /** The registry to expose the run in. Default: prom-client's default `register`. */
  readonly registry?: Registry;
  /** The `pipeline` label of the run's series. Default `"pipeline"`. */
  readonly pipeline?: string;
}

/** What a run must offer to be exposed: its metrics snapshot. */
export interface MetricsSource {
  metrics(): RunMetrics;
}

/** The runs exposed in one registry, and the metric objects registered for them. */
interface Exposure {
  readonly runs: Set<ExposedRun>;
  readonly names: readonly string[];
}

const exposures = new WeakMap<Registry, Exposure>();

/**
 * Exposes a run's per-stage metrics in a prom-client `Registry`:
 * `sluice_stage_items_total{pipeline,stage,outcome}` (counter), `sluice_stage_in_flight`,
 * `sluice_stage_limit`, `sluice_stage_queue_depth` (gauges), and
 * `sluice_stage_duration_seconds` and `sluice_stage_queue_seconds` (histograms, 18 buckets
 * from 1 µs to ~4.8 h, each 4× the one below), and for a broker worker
 * `sluice_source_deliveries{pipeline,kind}` (its deliveries and the consumer's lag). Nothing
 * runs per item: each scrape takes one
 * `run.metrics()` snapshot per exposed run. The histograms are the run's sampled latencies
 * (`run({ metrics: true })`); without it they stay empty.
 *
 * Several runs may share a registry (give each its own `pipeline` label); a run stays
 * exposed, with its final numbers, after it settles, until the returned function is called.
 *
 * @example
 * const run = pipeline.run({ metrics: true });
 * const unexpose = prometheus(run, { registry, pipeline: "ingest" });
 */
export function prometheus(run: MetricsSource, options?: PrometheusOptions): () => void {
  if (typeof (run as { metrics?: unknown } | null)?.metrics !== "function") {
    throw invalid("prometheus(run)", "a run (an object with metrics())", run);
  }
  const raw = checkOptionsObject("prometheus", options, ["registry", "pipeline"]);
  const registry = (raw.registry ?? defaultRegistry) as Registry;
  if (typeof (registry as { registerMetric?: unknown }).registerMetric !== "function") {
    throw invalid("prometheus.registry", "a prom-client Registry", raw.registry);
  }
  const pipeline = stringOption("prometheus.pipeline", raw.pipeline, "pipeline");
  const exposed: ExposedRun = { pipeline, metrics: () => run.metrics() };
  const exposure = exposures.get(registry) ?? expose(registry);
  exposure.runs.add(exposed);
  return () => {
    if (!exposure.runs.delete(exposed) || exposure.runs.size > 0) return;
    for (const name of exposure.names) registry.removeSingleMetric(name);
    exposures.delete(registry);
  };
}

/** Registers the seven families in `registry`, each read from the runs exposed there. */
function expose(registry: Registry): Exposure {
  const runs = new Set<ExposedRun>();
  // One snapshot of every run per scrape, shared by the seven families: a registry asks each
  // family in the same turn, so the shared read is dropped once that turn's microtasks ran.
  let scrape: Promise<Family[]> | undefined;
  const families = (): Promise<Family[]> => {
    if (scrape === undefined) {
      scrape = Promise.resolve().then(() => stageFamilies(runs));
      void scrape.then(() => {
        scrape = undefined;
      });
    }
    return scrape;
  };
  const names = stageFamilies([]).map((family, position) => {
    registry.registerMetric({
      name: family.name,
      help: family.help,
      type: family.type,
      aggregator: family.aggregator,
      get: async () => (await families())[position]!,
      reset: () => {},
    } as unknown as Parameters<Registry["registerMetric"]>[0]);
    return family.name;
  });
  const exposure = { runs, names };
  exposures.set(registry, exposure);
  return exposure;
}
