import type { Tracer } from "@opentelemetry/api";
import type { CallTracer, StageCallHook, TracedStage } from "../contract/call-tracer.js";
import { packageVersion } from "../cli/package-version.js";
import { ItemLinks } from "./item-links.js";
import { type OtelOptions, type OtelSettings, otelSettings } from "./otel-options.js";
import { sdkTracer } from "./sdk-tracer.js";
import { StageHook } from "./stage-hook.js";

/**
 * OpenTelemetry tracing for a run: `pipeline.run({ trace: otel() })`. Each traced call of a
 * function stage (`map`, `filter`, `flatMap`, `tap`, `forEach`) is a span named for the
 * stage (kind INTERNAL) with `sluice.stage`, `sluice.stage.kind`, `sluice.index`,
 * `sluice.attempt`, `sluice.slot`, `sluice.thread_id` (thread stages) and `sluice.pipeline`
 * (when given); a filter's adds `sluice.filter.kept`. A failed call's span has status ERROR
 * with the error's message, and the exception as an event. The user's function runs in its
 * span's context (event-loop stages), so spans it starts are the call span's children when
 * a context manager is registered (an SDK's Node setup registers one).
 *
 * One trace per source item: the run's first function stage roots each sampled item's
 * trace in a `sluice item` span that ends as it starts (`sluice.index`, `sluice.pipeline`) and every
 * later span of the item is a child of the one before. Items carry no id, so the link is
 * the object itself: a map links its result, a filter (when it keeps the item) and a tap the
 * item, a flatMap each element of an array it returns, to the call's span, and the next
 * stage's call of that object is the span's child. Retries of an item are siblings under
 * the same parent. What cannot be linked is not traced after the first stage: a primitive
 * item (number, string, ...), a `batch` or `scan` output, a flatMap's values from a
 * generator or other non-array iterable. A primitive's traced calls at the first stage are
 * a trace each (retries included).
 *
 * Sampling (`sampleRatio`) is decided once per item at the first stage, so a trace is whole
 * or absent; a later stage traces only linked items, so an untraced item costs it a WeakMap
 * lookup. With no `tracer` and no SDK registered when the run starts, every stage runs
 * bare: a check per stage, nothing per item. A traced call costs its spans (one, plus the
 * root at the first stage), an attribute object each, and a WeakMap entry for an object.
 *
 * One `otel()` may serve many runs, at once or one after another: each run's items are
 * linked apart from the others'.
 *
 * @throws {InvalidOptionError} when an option is invalid (`otel.sampleRatio`, ...).
 * @example
 * import { otel } from "sluice/otel";
 * await from(urls).map(fetchPage, { name: "fetch" }).forEach(save).run({ trace: otel() });
 */
export function otel(options?: OtelOptions): CallTracer {
  return new OtelTracer(otelSettings(options));
}

class OtelTracer implements CallTracer {
  readonly #settings: OtelSettings;
  /** Each run's item links, which its stages share: the run's first stage asked makes them. */
  readonly #runs = new WeakMap<object, ItemLinks>();

  constructor(settings: OtelSettings) {
    this.#settings = settings;
  }

  forStage(stage: TracedStage): StageCallHook | undefined {
    if (this.#settings.sampleRatio === 0) return undefined;
    const tracer = this.#settings.tracer ?? defaultTracer();
    if (tracer === undefined) return undefined;
    let links = this.#runs.get(stage.run);
    const first = links === undefined;
    if (links === undefined) {
      links = new ItemLinks();
      this.#runs.set(stage.run, links);
    }
    return new StageHook(tracer, stage, this.#settings, links, first);
  }
}

/** sluice's version, read once; `null` when there is no package.json to read it from. */
let version: string | null | undefined;

/** The registered SDK's `"sluice"` tracer, or `undefined` when no SDK is registered. */
function defaultTracer(): Tracer | undefined {
  if (version === undefined) {
    try {
      version = packageVersion(import.meta.url);
    } catch {
      // Bundled without its package.json: a tracer without a version is still a tracer.
      version = null;
    }
  }
  return sdkTracer("sluice", version ?? undefined);
}
