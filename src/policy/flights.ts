/** One shared execution and the callers waiting for it. */
interface Flight {
  readonly controller: AbortController;
  readonly promise: Promise<unknown>;
  /** Waiters that have not aborted (a waiter with no signal never does). */
  waiters: number;
}

/**
 * Executions in flight by key, shared among the concurrent callers of one key (Go's
 * `singleflight.Group`): the core of `singleflight()`, reusable by a stage. The first `run` of
 * a key starts the execution; every `run` of that key until it settles waits for the same one
 * and gets the same value or the same error (the same object, not a copy). Once it settles the
 * key is free, and the next `run` starts afresh: results are not cached.
 *
 * Abort: a caller whose `signal` aborts rejects at once with its reason and stops waiting; the
 * execution runs on for the others. Only when every waiter has aborted does the execution's
 * signal abort (with the last waiter's reason), and the key is freed at once, so a later `run`
 * starts a new execution rather than joining the abandoned one. A waiter with no signal never
 * aborts, so it keeps the execution's signal from aborting.
 *
 * Keys are compared as `Map` keys (SameValueZero); `undefined` is no key: that `run` starts an
 * execution of its own, shared with nobody.
 *
 * Cost: per execution one `Map` entry, one AbortController and one promise; per waiter with a
 * signal one promise and one listener, removed when it settles.
 */
export class Flights {
  readonly #flights = new Map<unknown, Flight>();

  /** Executions in flight that callers may join. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * Runs `start` for `key`, or joins the execution already in flight for it; settles with its
   * value or error, or with `signal`'s reason when `signal` aborts first. `start` gets the
   * execution's signal, which aborts only when every waiter has aborted. A `start` that throws
   * counts as an execution that rejected.
   */
  run<T>(
    key: unknown,
    start: (signal: AbortSignal) => T | PromiseLike<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason as unknown);
    let flight = key === undefined ? undefined : this.#flights.get(key);
    if (flight === undefined) flight = this.#start(key, start);
    flight.waiters++;
    const shared = flight.promise as Promise<T>;
    if (signal === undefined) return shared;
    const joined = flight;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        joined.waiters--;
        if (joined.waiters === 0) {
          // Freed before the abort, so code that reacts to the abort and runs the key again
          // starts a new execution.
          if (this.#flights.get(key) === joined) this.#flights.delete(key);
          joined.controller.abort(signal.reason);
        }
        reject(signal.reason as unknown);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      shared.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  #start<T>(key: unknown, start: (signal: AbortSignal) => T | PromiseLike<T>): Flight {
    const controller = new AbortController();
    let promise: Promise<T>;
    try {
      promise = Promise.resolve(start(controller.signal));
    } catch (error) {
      promise = Promise.reject(error as unknown);
    }
    const flight: Flight = { controller, promise, waiters: 0 };
    if (key === undefined) return flight;
    this.#flights.set(key, flight);
    // Registered before any waiter's handlers, so the key is free by the time a waiter hears
    // the outcome: a caller that awaits a run and runs the key again starts a new execution.
    // It also handles the rejection, so one no waiter is left to hear is not unhandled.
    const free = (): void => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    promise.then(free, free);
    return flight;
  }
}
