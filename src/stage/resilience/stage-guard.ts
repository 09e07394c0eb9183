import type { AttemptFailure, StageContext, StageFn } from "../../contract/types.js";
import { fullJitterDelay } from "../../policy/backoff.js";
import { CircuitBreakers } from "../../policy/circuit-breaker.js";
import type { Clock } from "../../policy/clock.js";
import { HedgeBudget } from "../../policy/hedge-budget.js";
import { HedgeTrigger } from "../../policy/hedge-trigger.js";
import { type RetryBudget, retryBudget } from "../../policy/retry-budget.js";
import type { CallContext } from "../call-context.js";
import { CallWatch, type HedgeSource } from "./call-watch.js";
import { type CallOwner, GuardedCall } from "./guarded-call.js";
import type { ResilienceSpec, StageRetrySpec } from "./resilience-spec.js";
import { RetryWaits } from "./retry-waits.js";

/** An item that failed at least once and will be tried again (or just was). */
interface RetryState {
  /** The attempt it makes next (or makes now). */
  attempt: number;
  readonly history: AttemptFailure[];
}

/** What the guard does to its stage. */
export interface GuardHost {
  /** Calls that outlived their attempt hold `delta` more (or, negative, fewer) places. */
  heldChanged(delta: number): void;
  /** A retry became due, or a held place came free: dispatch again. */
  wake(): void;
}

/** Observed latencies between two recomputations of a `"pNN"` hedge delay. */
const HEDGE_DELAY_EVERY = 64;

/**
 * A stage's resilience options at run time, in their documented order around the function:
 * breaker → retry → dedupe → hedge → timeout → function. It gives the stage a function to call
 * in place of the user's ({@link call}) and decides, when an item's attempt fails, whether it
 * backs off for another ({@link retry}).
 *
 * - The breaker sees items, not attempts: it admits an item's first attempt (an open circuit
 *   fails it at once with a `BrokenCircuitError`, which is never retried) and hears of the
 *   item's final outcome.
 * - Retries hold no slot: a failed item waits in {@link waits}, keeping its place in the stage
 *   (and in an ordered stage, its turn), and the stage starts it again before new input.
 * - Dedupe shares one attempt among items with the same key that are in flight together; each
 *   of them still has its own retries.
 * - A timeout bounds an attempt, both of its calls when it was hedged. Timeouts and hedges
 *   share one timer per stage ({@link CallWatch}); a call that outlives its attempt (timed out
 *   and ignoring its signal, or a hedge's loser) keeps a place of the stage's width until it
 *   settles, so a stuck dependency cannot make the calls in flight grow without bound.
 */
export class StageGuard implements CallOwner, HedgeSource {
  readonly stage: string;
  readonly fn: StageFn<unknown, unknown>;
  readonly timeoutMs: number;
  /**
   * Whether the stage calls {@link call} in place of its function: it retries, hedges, has a
   * breaker or dedupes. A stage with only a `timeout` does not: its slots time the calls.
   */
  readonly wraps: boolean;
  /** Items backing off, when the stage retries. */
  readonly waits: RetryWaits | undefined;
  /** Attempts that went async, when the stage has a timeout or a hedge. */
  readonly #watch: CallWatch | undefined;
  readonly #clock: Clock;
  readonly #host: GuardHost;
  readonly #retry: StageRetrySpec | undefined;
  readonly #budget: RetryBudget | undefined;
  readonly #breakers: CircuitBreakers | undefined;
  readonly #breakerKey: ((item: unknown) => unknown) | undefined;
  readonly #dedupe: ((item: unknown) => unknown) | undefined;
  readonly #flights = new Map<unknown, Promise<unknown>>();
  readonly #trigger: HedgeTrigger | undefined;
  readonly #hedgeBudget: HedgeBudget | undefined;
  #hedgeAfter = Infinity;
  #observed = 0;
  readonly #states = new Map<number, RetryState>();
  /** Errors the guard made itself (an open circuit, a key function's throw): never retried. */
  readonly #refusals = new WeakSet<object>();
  /** Decided attempts whose calls still run. */
  readonly #lingering = new Set<GuardedCall>();
  #history: readonly AttemptFailure[] | undefined = undefined;
  #stopped = false;
  abandonedCalls = 0;
  retried = 0;
  hedged = 0;

  constructor(spec: ResilienceSpec, stage: string, fn: StageFn<unknown, unknown>, host: GuardHost) {
    this.stage = stage;
    this.fn = fn;
    this.timeoutMs = spec.timeoutMs;
    this.#clock = spec.clock;
    this.#host = host;
    this.#retry = spec.retry;
    const budget = spec.retry?.budget;
    this.#budget =
      typeof budget === "number" ? retryBudget({ ratio: budget, clock: spec.clock }) : budget;
    this.waits = spec.retry === undefined ? undefined : new RetryWaits(spec.clock, host.wake);
    this.#breakers =
      spec.breaker === undefined
        ? undefined
        : new CircuitBreakers(spec.breaker.settings, spec.clock);
    this.#breakerKey = spec.breaker?.key;
    this.#dedupe = spec.dedupe;
    if (spec.hedge !== undefined) {
      this.#trigger = new HedgeTrigger(spec.hedge.after);
      this.#hedgeBudget = new HedgeBudget(spec.hedge.budget, spec.clock);
      this.#hedgeAfter = this.#trigger.delay();
    }
    // With a hedge, the attempt times both of its calls; without, the stage's slots do.
    this.#watch =
      spec.hedge === undefined ? undefined : new CallWatch(spec.clock, spec.timeoutMs, this);
    this.wraps =
      spec.retry !== undefined ||
      spec.hedge !== undefined ||
      spec.breaker !== undefined ||
      spec.dedupe !== undefined;
  }

  /** The stage calls this in place of its function: `ctx` is the slot's own. */
  readonly call = (item: unknown, ctx: StageContext): unknown => {
    const slotCtx = ctx as CallContext;
    const index = slotCtx.index;
    const state = this.#states.size === 0 ? undefined : this.#states.get(index);
    const attempt = state === undefined ? 1 : state.attempt;
    const breakers = this.#breakers;
    let key: unknown;
    if (breakers !== undefined) {
      key = this.#refusing(this.#breakerKey, item);
      if (attempt === 1) {
        const refused = breakers.admit(key);
        if (refused !== undefined) {
          this.#refusals.add(refused);
          throw refused;
        }
      }
    }
    if (attempt === 1) this.#budget?.recordFirst();
    let flightKey: unknown;
    if (this.#dedupe !== undefined) {
      flightKey = this.#refusing(this.#dedupe, item);
      const shared = this.#flights.get(flightKey);
      if (shared !== undefined) return this.#succeeded(shared, key, index, attempt);
    }
    const result = this.#attempt(item, slotCtx, index, attempt);
    if (
      typeof result !== "object" ||
      result === null ||
      typeof (result as PromiseLike<unknown>).then !== "function"
    ) {
      breakers?.record(key, true);
      if (attempt > 1) this.#states.delete(index);
      return result;
    }
    const pending = Promise.resolve(result);
    if (this.#dedupe !== undefined) {
      const flights = this.#flights;
      flights.set(flightKey, pending);
      const land = (): void => {
        if (flights.get(flightKey) === pending) flights.delete(flightKey);
      };
      pending.then(land, land);
    }
    return this.#succeeded(pending, key, index, attempt);
  };

  /**
   * After an item's attempt failed (the stage is running): parks it for another attempt and
   * answers true, or answers false when it has failed for good; {@link takeHistory} then
   * gives its attempts.
   */
  retry(item: unknown, index: number, error: unknown, weight: number): boolean {
    this.#history = undefined;
    if (typeof error === "object" && error !== null && this.#refusals.has(error)) return false;
    const now = this.#clock.now();
    const state = this.#states.get(index);
    const attempt = state === undefined ? 1 : state.attempt;
    const retry = this.#retry;
    if (
      retry !== undefined &&
      attempt < retry.attempts &&
      this.#retryable(retry, error, attempt) &&
      (this.#budget === undefined || this.#budget.tryRetry())
    ) {
      const next = state ?? { attempt, history: [] };
      next.history.push({ attempt, error, at: now });
      next.attempt = attempt + 1;
      if (state === undefined) this.#states.set(index, next);
      const delay = fullJitterDelay(attempt, retry.backoff, retry.maxDelay, retry.random);
      this.waits!.add({ item, index, weight, due: now + delay });
      this.retried++;
      return true;
    }
    if (this.#breakers !== undefined) {
      try {
        this.#breakers.record(this.#breakerKey?.(item), false);
      } catch {
        // The key function threw on this item before: the item failed with that error.
      }
    }
    if (retry !== undefined) {
      const failure = { attempt, error, at: now };
      this.#history = state === undefined ? [failure] : [...state.history, failure];
      if (state !== undefined) this.#states.delete(index);
    }
    return false;
  }

  /** The attempts of the item {@link retry} just gave up on; `undefined` without `retry`. */
  takeHistory(): readonly AttemptFailure[] | undefined {
    const history = this.#history;
    this.#history = undefined;
    return history;
  }

  /**
   * The stage stopped: aborts every running call with `reason`, drops the timers, and returns
   * how many items were backing off (they never start again: the stage counts them cancelled).
   */
  stop(reason: unknown): number {
    if (this.#stopped) return 0;
    this.#stopped = true;
    this.#watch?.stop();
    if (this.#watch !== undefined) for (const call of this.#watch.calls()) call.abort(reason);
    for (const call of this.#lingering) call.abort(reason);
    this.#states.clear();
    return this.waits?.clear() ?? 0;
  }

  /** The stage finished: no timer may outlive it. */
  finish(): void {
    this.#watch?.stop();
    this.waits?.clear();
  }

  // CallOwner: what an attempt with a timeout or a hedge reports.

  now(): number {
    return this.#clock.now();
  }

  decided(call: GuardedCall, latency: number): void {
    this.#watch?.remove(call);
    if (latency >= 0 && this.#trigger?.learns === true) {
      this.#trigger.observe(latency);
      if (++this.#observed % HEDGE_DELAY_EVERY === 0 || this.#hedgeAfter === Infinity) {
        this.#hedgeAfter = this.#trigger.delay();
      }
    }
    if (call.lingering) {
      this.#lingering.add(call);
      this.#host.heldChanged(1);
    }
  }

  abandoned(): void {
    this.abandonedCalls++;
  }

  released(call: GuardedCall): void {
    if (!this.#lingering.delete(call)) return;
    this.#host.heldChanged(-1);
    this.#host.wake();
  }

  // HedgeSource: when the watch may hedge.

  hedgeAfter(): number {
    return this.#hedgeAfter;
  }

  tryHedge(): boolean {
    if (this.#hedgeBudget === undefined || !this.#hedgeBudget.tryHedge()) return false;
    this.hedged++;
    return true;
  }

  #attempt(item: unknown, ctx: CallContext, index: number, attempt: number): unknown {
    const watch = this.#watch;
    if (watch === undefined) {
      ctx.attempt = attempt;
      return this.fn(item, ctx);
    }
    this.#hedgeBudget?.recordCall();
    const call = new GuardedCall(
      this,
      item,
      index,
      ctx.slot,
      attempt,
      this.#clock.now(),
      ctx.resource,
    );
    const sync = call.begin();
    if (sync !== undefined) return sync.value;
    watch.add(call);
    return call.promise;
  }

  /** An async attempt whose success the breaker and the retry state hear of. */
  #succeeded(pending: Promise<unknown>, key: unknown, index: number, attempt: number): unknown {
    const breakers = this.#breakers;
    if (breakers === undefined && attempt === 1) return pending;
    return pending.then((value) => {
      breakers?.record(key, true);
      if (attempt > 1) this.#states.delete(index);
      return value;
    });
  }

  /** Calls a key function; what it throws fails the item, never retried. */
  #refusing(fn: ((item: unknown) => unknown) | undefined, item: unknown): unknown {
    if (fn === undefined) return undefined;
    try {
      return fn(item);
    } catch (error) {
      if (typeof error === "object" && error !== null) this.#refusals.add(error);
      throw error;
    }
  }

  #retryable(retry: StageRetrySpec, error: unknown, attempt: number): boolean {
    try {
      return Boolean(retry.retryIf(error, attempt));
    } catch {
      // A predicate that throws cannot say yes: the item fails with its own error.
      return false;
    }
  }
}
