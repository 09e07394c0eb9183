import type { SpanContext } from "@opentelemetry/api";
import type { FunctionKind } from "../contract/stage-spec.js";

/**
 * Where each traced item of one run goes on from: the span context of the call that passed
 * it on, keyed by the item itself. The core carries no id with an item, so the link is the
 * object's identity, held weakly: an item nobody holds any more drops out of the map with
 * it. Primitives (numbers, strings, ...) cannot be keys, so they are never linked.
 */
export class ItemLinks {
  readonly #spans = new WeakMap<object, SpanContext>();

  /** Whether `item` can be linked at all: an object (or function), not a primitive. */
  canLink(item: unknown): boolean {
    return isObject(item);
  }

  /** The span context the traced call of `item` should be a child of, if any. */
  parentOf(item: unknown): SpanContext | undefined {
    return isObject(item) ? this.#spans.get(item) : undefined;
  }

  /** Makes `span` the parent of `item`'s next call (a retry of it, at the first stage). */
  link(item: unknown, span: SpanContext): void {
    if (isObject(item)) this.#spans.set(item, span);
  }

  /**
   * A call of a `kind` stage settled ok with `result`: links what goes on to the next stage
   * to the call's span. A map passes on its result, a filter or tap its item (a filter only
   * when it keeps it), a flatMap the elements of the array it returned; a forEach passes on
   * nothing. A flatMap's other iterables are left unread (reading one here would consume
   * it): their values go on unlinked.
   */
  passOn(kind: FunctionKind, item: unknown, result: unknown, span: SpanContext): void {
    switch (kind) {
      case "map":
        this.link(result, span);
        break;
      case "filter":
        if (result) this.link(item, span);
        break;
      case "tap":
        this.link(item, span);
        break;
      case "flatMap":
        if (Array.isArray(result)) for (const value of result) this.link(value, span);
        break;
      case "forEach":
        break;
    }
  }
}

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}
