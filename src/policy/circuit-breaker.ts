import { BrokenCircuitError } from "../errors/broken-circuit-error.js";
import { type BreakerSettings, breakerDefaults, type CircuitState } from "./breaker-settings.js";
import type { Clock } from "./clock.js";
import { OutcomeWindow } from "./outcome-window.js";

export {
  breakerDefaults,
  breakerSettings,
  type BreakerSettings,
  type CircuitBreakerOptions,
  type CircuitState,
  type CircuitStateChange,
} from "./breaker-settings.js";

/** Idle keys looked at per `admit` by the amortised sweep. */
const SWEEP_PER_ADMIT = 2;
/** Keys looked at, least recently used first, for one to evict when `maxKeys` are held. */
const EVICTION_SCAN = 64;

/** One key's circuit. */
interface Circuit {
  state: CircuitState;
  /** Consecutive-failure mode: failures since the last success. */
  consecutive: number;
  /** Failure-rate mode: the outcomes in the window. */
  readonly outcomes: OutcomeWindow | undefined;
  /** Open: when it may half-open. */
  reopenAt: number;
  /** Half-open: probes admitted whose outcome has not come back. */
  probes: number;
  /** Half-open: when the last probe was admitted. */
  probeAt: number;
  /** When `admit` last saw the key. */
  lastUsed: number;
  /** Open: why it opened, and the failure that did it. */
  reason: string;
  cause: unknown;
}

/**
 * Circuits, one per key, each failing calls fast after too many failures (Nygard, "Release
 * It!", 2007): the core of `breaker()` and of a stage's `breaker` option. The caller asks
 * `admit(key)` before each call and tells `record(key, ok)` its outcome.
 *
 * - **Closed** lets calls through and counts outcomes: `failures` consecutive failures, or (rate
 *   mode) a failure rate of at least `rate` over at least `minCalls` calls in the sliding
 *   `window`, open it.
 * - **Open** refuses calls: `admit` returns a {@link BrokenCircuitError} (not thrown) with the
 *   ms left. After `halfOpenAfter` the next `admit` half-opens it.
 * - **Half-open** lets `halfOpenProbes` calls through and refuses the rest. The first probe
 *   outcome decides: a success closes the circuit (counts start afresh), a failure reopens it
 *   for a fresh `halfOpenAfter`. A probe that never reports (or is `release`d) frees its slot:
 *   after `halfOpenAfter` without an outcome, the next `admit` lets a new probe through.
 *
 * Late outcomes: calls admitted while closed may report after the circuit opened. Outcomes
 * recorded while open are ignored, and so are outcomes recorded in half-open before any probe
 * was admitted, so they cannot reopen or close it. One that arrives while a probe is out is
 * taken as that probe's (with calls bounded by a timeout shorter than `halfOpenAfter`, none
 * can). An outcome for a key held in no state (evicted, or admitted without state) is ignored.
 *
 * Bounded state: at most `maxKeys` keys. A key unused (not admitted) for `idle` ms is dropped,
 * lazily: each `admit` looks at the 2 least recently used keys, with no timer per key. An open
 * circuit is never dropped before it may half-open (the sweep waits behind it). A new key at
 * `maxKeys` evicts the least recently used closed (or idle) key among the 64 least recently
 * used; when there is none (they are all open or half-open), the call is admitted without
 * state — it fails open, and its outcome is not counted. A dropped key starts closed afresh.
 *
 * Cost: one small object per key (plus 20 counts in rate mode); `admit` and `record` are O(1)
 * (`admit` moves the key to the back of a `Map` to keep it in least-recently-used order). A
 * refused call costs one error object.
 */
export class CircuitBreakers {
  readonly #s: BreakerSettings;
  readonly #clock: Clock;
  readonly #circuits = new Map<unknown, Circuit>();

  constructor(settings: BreakerSettings, clock: Clock) {
    this.#s = settings;
    this.#clock = clock;
  }

  /** Keys whose state is held. */
  get size(): number {
    return this.#circuits.size;
  }

  /**
   * Asks whether a call for `key` may go ahead: `undefined` when it may (report its outcome
   * with `record` or `release`), or a {@link BrokenCircuitError} to fail it with (returned,
   * not thrown) when its circuit is open, or half-open with every probe out. A refusal
   * changes nothing.
   */
  admit(key: unknown): BrokenCircuitError | undefined {
    const now = this.#clock.now();
    this.#sweep(now);
    let circuit = this.#circuits.get(key);
    if (circuit === undefined) {
      if (this.#circuits.size >= this.#s.maxKeys && !this.#evictOne(now)) return undefined;
      circuit = this.#newCircuit(now);
    } else {
      // Delete and set moves the key to the back: the Map's order is least recently used first.
      this.#circuits.delete(key);
    }
    this.#circuits.set(key, circuit);
    circuit.lastUsed = now;
    this.#refresh(key, circuit, now);
    switch (circuit.state) {
      case "closed":
        return undefined;
      case "open":
        return this.#refusal(key, circuit, circuit.reopenAt - now);
      case "half-open": {
        // Probes out for a whole halfOpenAfter since the last one are taken as lost (a caller
        // that never reports), so a circuit cannot stay half-open with no probe running.
        if (circuit.probes > 0 && now - circuit.probeAt >= this.#s.halfOpenAfter) {
          circuit.probes = 0;
        }
        if (circuit.probes >= this.#s.halfOpenProbes) {
          return this.#refusal(key, circuit, circuit.probeAt + this.#s.halfOpenAfter - now);
        }
        circuit.probes++;
        circuit.probeAt = now;
        return undefined;
      }
    }
  }

  /**
   * Reports the outcome of a call admitted for `key`: `ok` false counts a failure, and
   * `error`, when given, becomes the `cause` of the refusals if it opens the circuit. See the
   * class notes for outcomes that arrive late.
   */
  record(key: unknown, ok: boolean, error?: unknown): void {
    const circuit = this.#circuits.get(key);
    if (circuit === undefined) return;
    const now = this.#clock.now();
    this.#refresh(key, circuit, now);
    if (circuit.state === "open") return;
    if (circuit.state === "half-open") {
      if (circuit.probes === 0) return;
      circuit.probes--;
      if (ok) this.#close(key, circuit);
      else this.#open(key, circuit, now, "a half-open probe failed", error);
      return;
    }
    const s = this.#s;
    if (circuit.outcomes === undefined) {
      circuit.consecutive = ok ? 0 : circuit.consecutive + 1;
      if (circuit.consecutive >= (s.failures ?? breakerDefaults.failures)) {
        this.#open(key, circuit, now, `${circuit.consecutive} consecutive failures`, error);
      }
      return;
    }
    circuit.outcomes.record(ok, now);
    if (ok) return;
    const calls = circuit.outcomes.calls(now);
    const failed = circuit.outcomes.failures;
    if (calls >= s.minCalls && failed >= s.rate! * calls) {
      this.#open(key, circuit, now, `${failed} failures in ${calls} calls`, error);
    }
  }

  /**
   * Reports that a call admitted for `key` ended with no outcome to count (its caller gave up
   * on it): frees the probe slot it may hold in half-open; changes nothing else.
   */
  release(key: unknown): void {
    const circuit = this.#circuits.get(key);
    if (circuit?.state === "half-open" && circuit.probes > 0) circuit.probes--;
  }

  /** The state of `key`'s circuit (of the one circuit when not keyed); `"closed"` when none is held. */
  state(key?: unknown): CircuitState {
    const circuit = this.#circuits.get(key);
    if (circuit === undefined) return "closed";
    this.#refresh(key, circuit, this.#clock.now());
    return circuit.state;
  }

  #newCircuit(now: number): Circuit {
    return {
      state: "closed",
      consecutive: 0,
      outcomes: this.#s.rate === undefined ? undefined : new OutcomeWindow(this.#s.window, now),
      reopenAt: 0,
      probes: 0,
      probeAt: 0,
      lastUsed: now,
      reason: "",
      cause: undefined,
    };
  }

  #refusal(key: unknown, circuit: Circuit, retryAfter: number): BrokenCircuitError {
    return new BrokenCircuitError(key, Math.max(0, retryAfter), {
      reason: circuit.reason,
      cause: circuit.cause,
    });
  }

  /** Half-opens an open circuit whose time has come; the only transition made on reading. */
  #refresh(key: unknown, circuit: Circuit, now: number): void {
    if (circuit.state !== "open" || now < circuit.reopenAt) return;
    circuit.probes = 0;
    circuit.probeAt = now;
    this.#change(key, circuit, "half-open");
  }

  #open(key: unknown, circuit: Circuit, now: number, reason: string, cause: unknown): void {
    circuit.reopenAt = now + this.#s.halfOpenAfter;
    circuit.reason = reason;
    circuit.cause = cause;
    circuit.probes = 0;
    this.#change(key, circuit, "open");
  }

  #close(key: unknown, circuit: Circuit): void {
    circuit.consecutive = 0;
    circuit.outcomes?.clear();
    circuit.reason = "";
    circuit.cause = undefined;
    this.#change(key, circuit, "closed");
  }

  /** Sets the state, then tells the listener, whose error cannot leave a change half-made. */
  #change(key: unknown, circuit: Circuit, to: CircuitState): void {
    const from = circuit.state;
    circuit.state = to;
    const listener = this.#s.onStateChange;
    if (listener === undefined) return;
    try {
      listener({ key, from, to });
    } catch (error) {
      // Thrown from admit() or record() it would fail an unrelated call or go unhandled; as an
      // uncaught exception it is still loud, and the circuit's state stays whole.
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /** Whether a key's state may be dropped for being unused: never an open circuit before its time. */
  #idle(circuit: Circuit, now: number): boolean {
    if (now - circuit.lastUsed < this.#s.idle) return false;
    return circuit.state !== "open" || now >= circuit.reopenAt;
  }

  /** Drops up to 2 idle keys from the least recently used end. */
  #sweep(now: number): void {
    let looked = 0;
    for (const [key, circuit] of this.#circuits) {
      if (looked++ === SWEEP_PER_ADMIT || !this.#idle(circuit, now)) return;
      this.#circuits.delete(key);
    }
  }

  /** Evicts the least recently used closed or idle key among the first 64; false if none. */
  #evictOne(now: number): boolean {
    let looked = 0;
    for (const [key, circuit] of this.#circuits) {
      if (looked++ === EVICTION_SCAN) return false;
      if (circuit.state === "closed" || this.#idle(circuit, now)) {
        this.#circuits.delete(key);
        return true;
      }
    }
    return false;
  }
}
