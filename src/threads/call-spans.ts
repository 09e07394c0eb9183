import type { CallSpan, StageCallHook } from "../contract/call-tracer.js";

/** A batch's spans by position; `undefined` where the hook left a call untraced. */
export type BatchSpans = (CallSpan | undefined)[];

/** The call a hook is told of; one object, rewritten for each call (the hook reads it in `start`). */
interface ThreadCall {
  index: number;
  attempt: number;
  slot: number;
  threadId: number;
}

/**
 * A traced thread stage's side of its calls (`run({ trace })`): a span starts on the main
 * thread for each item as its batch is sent, and ends when the batch answers or is lost. The
 * calls run elsewhere, so `span.run` is never called.
 *
 * A hook that throws fails the run, not the item, and never mid-batch: the first error is
 * kept and {@link flush} fails the run with it once the stage has settled its counters, so
 * that the stop the failure causes finds the batch held (its spans then end as cancelled) or
 * already accounted for.
 *
 * Costs: a stage without a tracer makes none of this (one check per batch); a traced one,
 * a start and an end per item and an array of spans per batch.
 */
export class CallSpans {
  readonly #hook: StageCallHook;
  readonly #fail: (error: unknown) => void;
  readonly #call: ThreadCall = { index: 0, attempt: 1, slot: 0, threadId: 0 };
  /** Whether a hook threw since the last {@link flush}; `#error` is the first it threw. */
  #threw = false;
  #error: unknown;

  constructor(hook: StageCallHook, fail: (error: unknown) => void) {
    this.#hook = hook;
    this.#fail = fail;
  }

  /**
   * Starts a span for each item of a batch just sent to the thread `slot`/`threadId`: item i
   * has index `indices?.[i] ?? first + i` and attempt `attempts?.[i] ?? 1`. Returns the spans,
   * or `undefined` if the hook traced none.
   */
  start(
    items: readonly unknown[],
    first: number,
    indices: readonly number[] | undefined,
    attempts: readonly number[] | undefined,
    slot: number,
    threadId: number,
  ): BatchSpans | undefined {
    const hook = this.#hook;
    const call = this.#call;
    call.slot = slot;
    call.threadId = threadId;
    let spans: BatchSpans | undefined;
    for (let i = 0; i < items.length; i++) {
      call.index = indices === undefined ? first + i : indices[i]!;
      call.attempt = attempts === undefined ? 1 : attempts[i]!;
      let span: CallSpan | undefined;
      try {
        span = hook.start(items[i], call);
      } catch (error) {
        this.#keep(error);
      }
      if (span !== undefined) (spans ??= new Array<CallSpan | undefined>(items.length))[i] = span;
    }
    return spans;
  }

  /** Ends the call at `position`: it returned or resolved `value`. */
  ok(spans: BatchSpans, position: number, value: unknown): void {
    const span = spans[position];
    if (span === undefined) return;
    try {
      span.ok(value);
    } catch (error) {
      this.#keep(error);
    }
  }

  /** Ends the call at `position`: it failed with `error` (thrown, timed out, lost, cancelled). */
  failed(spans: BatchSpans, position: number, error: unknown): void {
    const span = spans[position];
    if (span === undefined) return;
    try {
      span.failed(error);
    } catch (thrown) {
      this.#keep(thrown);
    }
  }

  /** Ends every call of a batch that answered without a failure, with its value. */
  okAll(spans: BatchSpans, values: readonly unknown[] | undefined): void {
    for (let i = 0; i < spans.length; i++) this.ok(spans, i, values?.[i]);
  }

  /** Ends every call of a batch with `error` (its stage stopped: the calls were cancelled). */
  failAll(spans: BatchSpans, error: unknown): void {
    for (let i = 0; i < spans.length; i++) this.failed(spans, i, error);
  }

  /** Fails the run with the first error a hook threw since the last flush, if any. */
  flush(): void {
    if (!this.#threw) return;
    const error = this.#error;
    this.#threw = false;
    this.#error = undefined;
    this.#fail(error);
  }

  #keep(error: unknown): void {
    if (this.#threw) return;
    this.#threw = true;
    this.#error = error;
  }
}
