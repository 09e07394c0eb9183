import { type Exception, type Span, SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { CallSpan } from "../contract/call-tracer.js";
import type { FunctionKind } from "../contract/stage-spec.js";
import type { ItemLinks } from "./item-links.js";

/**
 * One traced call's span: the user's function runs in its context, and it ends when the
 * call settles, with an ERROR status and the exception when the call failed. When the call
 * succeeds, what it passes on is linked to this span, so the item's next stage is its child.
 */
export class StageSpan implements CallSpan {
  readonly #span: Span;
  readonly #kind: FunctionKind;
  readonly #item: unknown;
  readonly #links: ItemLinks;

  constructor(span: Span, kind: FunctionKind, item: unknown, links: ItemLinks) {
    this.#span = span;
    this.#kind = kind;
    this.#item = item;
    this.#links = links;
  }

  run<R>(call: () => R): R {
    // With no context manager registered, `context.with` just calls `call`: the span is
    // still recorded, but work the function starts cannot find it as its parent.
    return context.with(trace.setSpan(context.active(), this.#span), call);
  }

  ok(result: unknown): void {
    if (this.#kind === "filter") this.#span.setAttribute("sluice.filter.kept", Boolean(result));
    this.#links.passOn(this.#kind, this.#item, result, this.#span.spanContext());
    this.#span.end();
  }

  failed(error: unknown): void {
    // No link: a retry of the item stays a sibling of this attempt, under the same parent.
    this.#span.recordException(asException(error));
    this.#span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
    this.#span.end();
  }
}

function asException(error: unknown): Exception {
  return error instanceof Error ? error : messageOf(error);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    // An object whose toString throws (or a null-prototype one): its tag will do.
    return Object.prototype.toString.call(error);
  }
}
