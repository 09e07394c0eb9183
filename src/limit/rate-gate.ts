/**
 * A stage's token bucket (`rateLimit`): `rate` starts per `per` ms, up to `burst` at once,
 * one bucket for the stage or one per key. The stage asks before it starts an item; an item
 * whose key has no token waits in that key's line without holding up other keys, and one
 * timer for the whole stage wakes it at the earliest moment some waiting line earns a token.
 * A key's bucket is dropped once it has refilled and nothing waits on it (a full bucket is
 * the same as none), so a million distinct keys leave memory where it started.
 * @module
 */

/** A validated `rateLimit` option. */
export interface RateLimitSpec {
  /** Tokens earned per `per` ms. */
  readonly rate: number;
  /** The window `rate` counts over, in ms. */
  readonly per: number;
  /** Most tokens a bucket holds: how many items may start at once after a quiet spell. */
  readonly burst: number;
  /** One bucket per key, when set. */
  readonly key: ((item: unknown) => unknown) | undefined;
}

/** One bucket: its tokens as of `at` (ms). */
interface Bucket {
  tokens: number;
  at: number;
  /** Items waiting for this bucket's next token, oldest first (keyed gates only). */
  line: Waiting[] | undefined;
}

/** An item that took its place (and index) in the stage but waits for a token. */
export interface Waiting {
  readonly item: unknown;
  readonly index: number;
  /** Its weight, when the stage weighs items (0 otherwise): it starts only where it fits. */
  readonly weight: number;
}

/** Sweeps run when the number of buckets has doubled since the last one (at least this many). */
const SWEEP_FROM = 1024;

export class RateGate {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #key: ((item: unknown) => unknown) | undefined;
  readonly #global: Bucket;
  readonly #buckets = new Map<unknown, Bucket>();
  #sweepAt = SWEEP_FROM;
  /** Lines of waiting items, by key, in the order they started waiting. */
  readonly #waitingKeys = new Set<unknown>();
  /** Items whose token has come: the stage starts them before new input. */
  readonly ready: Waiting[] = [];
  /** Items waiting in lines now. */
  waiting = 0;

  constructor(spec: RateLimitSpec, now: number) {
    this.#perMs = spec.rate / spec.per;
    this.#burst = spec.burst;
    this.#key = spec.key;
    this.#global = { tokens: spec.burst, at: now, line: undefined };
  }

  /** Whether this gate keeps a line per key (items wait without blocking other keys). */
  get keyed(): boolean {
    return this.#key !== undefined;
  }

  /** The key of `item`; a throw is the item's failure (the caller catches it). */
  keyOf(item: unknown): unknown {
    return this.#key!(item);
  }

  /** Takes a token of the stage's one bucket: 0 if taken now, else the ms until one comes. */
  tryTake(now: number): number {
    const bucket = this.#global;
    return this.#take(bucket, now) ? 0 : this.#waitFor(bucket, now);
  }

  /**
   * Takes a token of `key`'s bucket for an item if there is one now and no earlier item of
   * that key is waiting (0); otherwise the item joins the key's line, and the answer is the ms
   * until the line's next token.
   */
  takeOrWait(key: unknown, waiting: Waiting, now: number): number {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now, line: undefined };
      this.#buckets.set(key, bucket);
      if (this.#buckets.size >= this.#sweepAt) this.#sweep(now);
    }
    if (bucket.line === undefined && this.#take(bucket, now)) return 0;
    (bucket.line ??= []).push(waiting);
    this.#waitingKeys.add(key);
    this.waiting++;
    return Math.max(1, this.#waitFor(bucket, now));
  }

  /**
   * Moves the waiting items whose token has come to {@link ready}; returns the ms until the
   * next one will (`Infinity`: nothing waits).
   */
  refill(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const key of this.#waitingKeys) {
      const bucket = this.#buckets.get(key)!;
      const line = bucket.line!;
      while (line.length > 0 && this.#take(bucket, now)) {
        this.ready.push(line.shift()!);
        this.waiting--;
      }
      if (line.length === 0) {
        bucket.line = undefined;
        this.#waitingKeys.delete(key);
      } else {
        next = Math.min(next, this.#waitFor(bucket, now));
      }
    }
    return next;
  }

  /** Drops every waiting item (the stage stopped); returns how many there were. */
  clear(): number {
    const dropped = this.waiting + this.ready.length;
    for (const key of this.#waitingKeys) this.#buckets.get(key)!.line = undefined;
    this.#waitingKeys.clear();
    this.ready.length = 0;
    this.waiting = 0;
    return dropped;
  }

  /** Buckets held now (for tests of eviction). */
  get buckets(): number {
    return this.#buckets.size;
  }

  #take(bucket: Bucket, now: number): boolean {
    const tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    if (tokens >= 1) {
      bucket.tokens = tokens - 1;
      return true;
    }
    bucket.tokens = tokens;
    return false;
  }

  /** Ms until `bucket` holds a whole token (0 when it does). */
  #waitFor(bucket: Bucket, now: number): number {
    const tokens = bucket.tokens + (now - bucket.at) * this.#perMs;
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.#perMs);
  }

  /** Drops the buckets that are full again with nothing waiting: they hold no state. */
  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (
        bucket.line === undefined &&
        bucket.tokens + (now - bucket.at) * this.#perMs >= this.#burst
      ) {
        this.#buckets.delete(key);
      }
    }
    this.#sweepAt = Math.max(SWEEP_FROM, this.#buckets.size * 2);
  }
}
