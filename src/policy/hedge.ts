import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { checkOptionsObject, hasMethods, integerOption, invalid } from "../internal/validate.js";
import { type Clock, clockOption } from "./clock.js";
import { HedgeBudget } from "./hedge-budget.js";
import { type HedgeAfter, HedgeTrigger, parseHedgeAfter } from "./hedge-trigger.js";
import type { ExecuteOptions, Policy, PolicyFunction } from "./policy.js";
import { QuantileSketch, quantileSketchDefaults } from "./quantile-sketch.js";

export { HedgeBudget } from "./hedge-budget.js";
export { type HedgeAfter, HedgeTrigger, parseHedgeAfter } from "./hedge-trigger.js";

/** Defaults for {@link hedge}. */
export const hedgeDefaults = Object.freeze({
  /** Hedges allowed per call, on top of 10 per 10 s window. */
  budget: 0.05,
  /** Latencies observed before a `"pNN"` hedge starts hedging. */
  minSamples: quantileSketchDefaults.minSamples,
});

/** Options of {@link hedge}. */
export interface HedgeOptions {
  /**
   * How long a call runs before a second attempt is started: ms or a string such as `"50ms"`
   * (> 0), or a percentile of this policy's own observed latencies, `"p95"`, `"p99.9"` (from
   * p0 to p100, exclusive). Required.
   */
  readonly after: HedgeAfter;
  /**
   * The hedge budget: a ratio from 0 to 1 allows hedges up to `10 + ratio × calls` in a
   * sliding 10 s window; a {@link HedgeBudget} can be shared by several policies. Default 0.05.
   */
  readonly budget?: number | HedgeBudget;
  /**
   * With a `"pNN"` `after`: latencies observed before it starts hedging. Default 20; integer
   * from 1 to 1,000. Refused with a fixed `after`.
   */
  readonly minSamples?: number;
  /** The clock the hedge delay runs on and latencies are read from. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * A policy that hedges slow calls ("The Tail at Scale", Dean and Barroso, 2013): it runs the
 * call, and if it has not settled after `after` it starts one more attempt of it (with the
 * same `ctx.attempt`) and settles with whichever succeeds first. Use it for idempotent reads
 * whose latency has a long tail, inside a `retry()` and outside a `timeout()`.
 *
 * - Each attempt gets its own signal, aborted when the caller's signal aborts. When one
 *   succeeds, `execute` resolves with its value and the other attempt's signal aborts with a
 *   `DOMException` named `"AbortError"`; its late result is dropped.
 * - When one fails while the other still runs, it waits for the other. When both fail, it
 *   rejects with the error of the attempt that failed last, unchanged. A call that fails
 *   before the hedge is due rejects at once and is not hedged: hedging is not retrying.
 * - When the caller's signal aborts, both attempts' signals abort with its reason and
 *   `execute` rejects with it at once.
 * - With `after: "p95"`, the delay is the current p95 of the latencies of this policy's
 *   successful calls (a {@link QuantileSketch} over the last 1,000 to 2,000). A call's latency
 *   runs from its start to its first success, so a hedged call counts at least the hedge
 *   delay and the tail stays in the estimate. Until `minSamples` are observed it does not
 *   hedge.
 * - The budget (a {@link HedgeBudget}) caps hedges at `10 + budget × calls` per sliding 10 s
 *   window, so a dependency that is slow for everyone sees at most that many extra calls; a
 *   hedge the budget refuses is skipped and the call keeps waiting for its first attempt.
 *
 * Waits for: the first success, or both attempts to fail. Cost per call: one AbortController
 * per attempt, one timer (none while a `"pNN"` policy is learning), one listener on the
 * caller's signal, removed when the call settles.
 */
export function hedge(options: HedgeOptions): Policy {
  const raw = checkOptionsObject("hedge", options, ["after", "budget", "minSamples", "clock"]);
  const after = parseHedgeAfter("hedge.after", raw.after);
  if (typeof after === "number" && raw.minSamples !== undefined) {
    throw new InvalidOptionError(
      'Option `hedge.minSamples` applies only to a percentile `hedge.after` such as "p95"; leave it out with a fixed delay',
      "hedge.minSamples",
      raw.minSamples,
    );
  }
  const minSamples = integerOption(
    "hedge.minSamples",
    raw.minSamples,
    hedgeDefaults.minSamples,
    1,
    quantileSketchDefaults.window,
  );
  const clock = clockOption("hedge.clock", raw.clock);
  const budget = budgetOption(raw.budget, clock);
  const trigger =
    typeof after === "number"
      ? new HedgeTrigger(after)
      : new HedgeTrigger(after, new QuantileSketch({ minSamples }));
  return new HedgePolicy(trigger, budget, clock);
}

function budgetOption(value: unknown, clock: Clock): HedgeBudget {
  if (value === undefined) return new HedgeBudget(hedgeDefaults.budget, clock);
  if (typeof value === "number" && value >= 0 && value <= 1) return new HedgeBudget(value, clock);
  if (hasMethods(value, ["recordCall", "tryHedge"])) return value as HedgeBudget;
  throw invalid("hedge.budget", "a number from 0 to 1 or a HedgeBudget", value);
}

/** The reason the losing attempt's signal aborts with. */
function lostRace(): DOMException {
  return new DOMException("Another attempt of the hedged call succeeded first", "AbortError");
}

class HedgePolicy implements Policy {
  readonly #trigger: HedgeTrigger;
  readonly #budget: HedgeBudget;
  readonly #clock: Clock;

  constructor(trigger: HedgeTrigger, budget: HedgeBudget, clock: Clock) {
    this.#trigger = trigger;
    this.#budget = budget;
    this.#clock = clock;
  }

  execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T> {
    const outer = options?.signal;
    if (outer?.aborted) return Promise.reject(outer.reason as unknown);
    const attempt = options?.attempt ?? 1;
    const clock = this.#clock;
    const trigger = this.#trigger;
    const budget = this.#budget;
    budget.recordCall();
    const start = clock.now();
    return new Promise<T>((resolve, reject) => {
      const controllers: AbortController[] = [];
      let running = 0;
      let settled = false;
      let handle: unknown;
      let timerSet = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        if (timerSet) clock.clearTimeout(handle);
        outer?.removeEventListener("abort", onOuterAbort);
        return true;
      };
      const onOuterAbort = (): void => {
        if (!finish()) return;
        for (const controller of controllers) controller.abort(outer!.reason);
        reject(outer!.reason as unknown);
      };
      const launch = (): void => {
        const controller = new AbortController();
        controllers.push(controller);
        running++;
        let result: T | PromiseLike<T>;
        try {
          result = fn({ signal: controller.signal, attempt });
        } catch (error) {
          result = Promise.reject(error as unknown);
        }
        // Both handlers are attached even after the call settled, so a loser's late rejection
        // is not reported as unhandled.
        Promise.resolve(result).then(
          (value) => {
            running--;
            if (!finish()) return;
            trigger.observe(clock.now() - start);
            for (const other of controllers) if (other !== controller) other.abort(lostRace());
            resolve(value);
          },
          (error: unknown) => {
            running--;
            // The other attempt still runs: its outcome decides. Otherwise this failure is the
            // last one, whether or not a hedge was made (a pending hedge timer is cleared).
            if (running > 0) return;
            if (finish()) reject(error);
          },
        );
      };
      outer?.addEventListener("abort", onOuterAbort, { once: true });
      const delay = trigger.delay();
      if (delay !== Number.POSITIVE_INFINITY) {
        timerSet = true;
        handle = clock.setTimeout(() => {
          timerSet = false;
          // The budget is asked only when a hedge is due, so calls that finish in time cost none.
          if (!settled && budget.tryHedge()) launch();
        }, delay);
      }
      launch();
    });
  }
}
