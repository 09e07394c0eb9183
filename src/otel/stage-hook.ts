import {
  type Attributes,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { CallSpan, StageCallHook, TracedCall, TracedStage } from "../contract/call-tracer.js";
import type { ItemLinks } from "./item-links.js";
import type { OtelSettings } from "./otel-options.js";
import { StageSpan } from "./stage-span.js";

/** The name of the span that roots an item's trace. */
export const ITEM_SPAN = "sluice item";

/**
 * One function stage's hook: starts a span per traced call, named for the stage, as a child
 * of the span that passed the item on (see {@link ItemLinks}).
 *
 * The run's first traced stage (`first`) decides, for each item, whether it is traced
 * (`sampleRatio`) and roots its trace in a `sluice item` span that ends as it starts: the first stage's
 * attempts are its children, so a retry there is a sibling of the attempt before it, as it
 * is at every later stage. A later stage traces only the items linked to a span, so an
 * untraced item costs it one WeakMap lookup.
 */
export class StageHook implements StageCallHook {
  readonly #tracer: Tracer;
  readonly #stage: TracedStage;
  readonly #settings: OtelSettings;
  readonly #links: ItemLinks;
  readonly #first: boolean;

  constructor(
    tracer: Tracer,
    stage: TracedStage,
    settings: OtelSettings,
    links: ItemLinks,
    first: boolean,
  ) {
    this.#tracer = tracer;
    this.#stage = stage;
    this.#settings = settings;
    this.#links = links;
    this.#first = first;
  }

  start(item: unknown, call: TracedCall): CallSpan | undefined {
    if (!this.#first || (call.attempt > 1 && this.#links.canLink(item))) {
      // A later stage, or a retry of an object at the first stage: traced when the item is
      // linked (for a retry, to the root its first attempt had, a failed call links nothing).
      const parent = this.#links.parentOf(item);
      return parent === undefined ? undefined : this.#span(item, call, parent);
    }
    // The first stage's first attempt starts a trace, even for an object seen before (a
    // duplicate in the source); so does a retry of a primitive, which has no link back.
    const ratio = this.#settings.sampleRatio;
    if (ratio < 1 && !(Math.random() < ratio)) return undefined;
    const root = this.#root(call);
    if (root === undefined) return undefined;
    this.#links.link(item, root);
    return this.#span(item, call, root);
  }

  /**
   * Starts and at once ends the root span of one item's trace: its context, or
   * `undefined` when the SDK's own sampler dropped it (then none of the trace is recorded).
   */
  #root(call: TracedCall): SpanContext | undefined {
    const attributes: Attributes = { "sluice.index": call.index };
    if (this.#settings.pipeline !== undefined) {
      attributes["sluice.pipeline"] = this.#settings.pipeline;
    }
    // `root: true`: an item's trace is its own, even when the run started inside a span.
    const span = this.#tracer.startSpan(ITEM_SPAN, {
      kind: SpanKind.INTERNAL,
      root: true,
      attributes,
    });
    // Asked before end(): an ended span records nothing more, so it says it is not recording.
    const recording = span.isRecording();
    span.end();
    return recording ? span.spanContext() : undefined;
  }

  #span(item: unknown, call: TracedCall, parent: SpanContext): StageSpan {
    const stage = this.#stage;
    // Read the call now: the slot reuses the object for its next call.
    const attributes: Attributes = {
      "sluice.stage": stage.name,
      "sluice.stage.kind": stage.kind,
      "sluice.index": call.index,
      "sluice.attempt": call.attempt,
      "sluice.slot": call.slot,
    };
    if (call.threadId !== undefined) attributes["sluice.thread_id"] = call.threadId;
    if (this.#settings.pipeline !== undefined) {
      attributes["sluice.pipeline"] = this.#settings.pipeline;
    }
    const extra = this.#settings.attributes?.(item, stage);
    const span = this.#tracer.startSpan(
      stage.name,
      {
        kind: SpanKind.INTERNAL,
        attributes: extra === undefined ? attributes : { ...extra, ...attributes },
      },
      trace.setSpanContext(ROOT_CONTEXT, parent),
    );
    return new StageSpan(span, stage.kind, item, this.#links);
  }
}
