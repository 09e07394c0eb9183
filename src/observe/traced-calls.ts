import type { CallSpan, StageCallHook } from "../contract/call-tracer.js";
import type { StageContext, StageFn } from "../contract/types.js";
import { onSettled } from "./on-settled.js";

/**
 * `fn`, reporting each call to `hook`: its start (with the item, index, attempt and slot),
 * and its end, when a sync call returns or throws or an async one settles. A call the hook
 * leaves untraced runs bare. A hook that throws fails the run (`fail`), not the item: the
 * call runs, or settles, as if untraced.
 */
export function traceCalls(
  fn: StageFn<unknown, unknown>,
  hook: StageCallHook,
  fail: (error: unknown) => void,
): StageFn<unknown, unknown> {
  return (item: unknown, ctx: StageContext): unknown => {
    let span: CallSpan | undefined;
    try {
      span = hook.start(item, ctx);
    } catch (error) {
      fail(error);
    }
    if (span === undefined) return fn(item, ctx);
    const traced = span;
    return onSettled(
      traced.run === undefined ? () => fn(item, ctx) : () => traced.run!(() => fn(item, ctx)),
      (ok, outcome) => report(traced, ok, outcome, fail),
    );
  };
}

function report(
  span: CallSpan,
  ok: boolean,
  outcome: unknown,
  fail: (error: unknown) => void,
): void {
  try {
    if (ok) span.ok(outcome);
    else span.failed(outcome);
  } catch (error) {
    fail(error);
  }
}

/** One tracer made of several: each stage's hook starts a span in each, in order. */
export function joinHooks(hooks: readonly StageCallHook[]): StageCallHook {
  if (hooks.length === 1) return hooks[0]!;
  return {
    start(item, call) {
      let spans: CallSpan[] | undefined;
      for (const hook of hooks) {
        const span = hook.start(item, call);
        if (span !== undefined) (spans ??= []).push(span);
      }
      if (spans === undefined) return undefined;
      if (spans.length === 1) return spans[0];
      const all = spans;
      return {
        run<R>(call: () => R): R {
          let inner = call;
          for (const span of all) {
            if (span.run !== undefined) {
              const next = inner;
              const run = span.run.bind(span);
              inner = () => run(next);
            }
          }
          return inner();
        },
        ok(result) {
          for (const span of all) span.ok(result);
        },
        failed(error) {
          for (const span of all) span.failed(error);
        },
      };
    },
  };
}
