import type { StageCallHook } from "../contract/call-tracer.js";
import type { BatchStageSpec, FunctionStageSpec, StageSpec } from "../contract/stage-spec.js";
import type { DeadLetter } from "../contract/types.js";
import type { ResilienceSpec } from "../stage/resilience/resilience-spec.js";
import { ShedItemError } from "../errors/shed-item-error.js";
import { type Lineage, Tracked } from "./lineage.js";

/**
 * The stages of a run fed by an acknowledged source: each stage passes {@link Tracked}
 * items, so every function the user gave (the stage's own, and `weight`, rate and breaker
 * keys, `dedupe`, `onShed`, `deadLetter`) is called with the item's value instead, and the
 * stages account for each item's lineage where its fate is decided (`tracked` on the spec).
 */
export function trackSpecs(specs: readonly StageSpec[]): StageSpec[] {
  return specs.map((spec) => {
    switch (spec.kind) {
      case "batch":
        return Object.freeze<BatchStageSpec>({ ...spec, tracked: true });
      case "take":
      case "drop":
        return Object.freeze({ ...spec, tracked: true });
      case "distinct": {
        const key = spec.key;
        return Object.freeze({
          ...spec,
          tracked: true,
          key: key === undefined ? valueOf : (item: unknown) => key(valueOf(item)),
        });
      }
      case "scan": {
        const fn = spec.fn;
        // The accumulator travels as the current item's envelope: what the stage emits.
        return Object.freeze({
          ...spec,
          fn: (accumulator: unknown, item: unknown, index: number) =>
            new Tracked(fn(valueOf(accumulator), valueOf(item), index), lineageOf(item)),
        });
      }
      case "route":
      case "loop":
        // Refused when the pipeline is built (see Pipeline.route, .loop): a spec made by hand.
        throw new TypeError(`A ${spec.kind} (${spec.name}) cannot follow an acknowledged source`);
      default:
        return trackFunctionStage(spec);
    }
  });
}

function trackFunctionStage(spec: FunctionStageSpec): FunctionStageSpec {
  const fn = spec.fn;
  const weight = spec.weight;
  const onShed = spec.onShed;
  const rateKey = spec.rateLimit?.key;
  return Object.freeze<FunctionStageSpec>({
    ...spec,
    tracked: true,
    fn: (item, ctx) => fn(valueOf(item), ctx),
    weight: weight === undefined ? undefined : (item) => weight(valueOf(item)),
    rateLimit:
      spec.rateLimit === undefined || rateKey === undefined
        ? spec.rateLimit
        : Object.freeze({ ...spec.rateLimit, key: (item: unknown) => rateKey(valueOf(item)) }),
    key:
      spec.key === undefined
        ? undefined
        : Object.freeze({ ...spec.key, keyOf: keyOfValue(spec.key.keyOf) }),
    tenants:
      spec.tenants === undefined
        ? undefined
        : Object.freeze({ ...spec.tenants, key: keyOfValue(spec.tenants.key) }),
    resilience: trackResilience(spec.resilience),
    deadLetter: trackDeadLetter(spec.deadLetter),
    onShed: (item) => {
      try {
        onShed?.(valueOf(item));
      } finally {
        lineageOf(item).fail(new ShedItemError(spec.name));
      }
    },
  });
}

function keyOfValue(keyOf: (item: unknown) => unknown): (item: unknown) => unknown {
  return (item) => keyOf(valueOf(item));
}

function trackResilience(resilience: ResilienceSpec | undefined): ResilienceSpec | undefined {
  if (resilience === undefined) return undefined;
  const breakerKey = resilience.breaker?.key;
  const dedupe = resilience.dedupe;
  return Object.freeze<ResilienceSpec>({
    ...resilience,
    breaker:
      resilience.breaker === undefined || breakerKey === undefined
        ? resilience.breaker
        : Object.freeze({
            ...resilience.breaker,
            key: (item: unknown) => breakerKey(valueOf(item)),
          }),
    dedupe: dedupe === undefined ? undefined : (item) => dedupe(valueOf(item)),
  });
}

function trackDeadLetter(
  deadLetter: DeadLetter<unknown> | undefined,
): DeadLetter<unknown> | undefined {
  if (deadLetter === undefined) return undefined;
  return (item, error, ctx) => deadLetter(valueOf(item), error, ctx);
}

/** The value a tracked item carries (an item that is not one is its own value). */
export function valueOf(item: unknown): unknown {
  return item instanceof Tracked ? item.value : item;
}

/** The lineage of a tracked item. */
export function lineageOf(item: unknown): Lineage {
  return (item as Tracked).lineage;
}

/**
 * A stage's call hook as a tracked stage feeds it: the tracer sees each item's value (what
 * the user's function gets), not its envelope.
 */
export function tracedValues(
  hook: StageCallHook | undefined,
  tracked: boolean,
): StageCallHook | undefined {
  if (hook === undefined || !tracked) return hook;
  return { start: (item, call) => hook.start(valueOf(item), call) };
}
