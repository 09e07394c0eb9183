import type { Delivery } from "../contract/acknowledged.js";

/**
 * Where a tracked item came from: one delivery, or (after a `batch`) several. Counts the
 * items derived from it that are still in the pipeline; the last to leave settles it.
 */
export interface Lineage {
  /** `count` more items derive from it (a flatMap's outputs beyond the first). */
  add(count: number): void;
  /** One derived item left the pipeline: emitted, filtered, sunk or dead-lettered. */
  done(): void;
  /** One derived item failed: the delivery is nacked once the others have left too. */
  fail(error: unknown): void;
}

/** Nothing failed. */
const kNoFailure: unique symbol = Symbol("no failure");

/** Who counts a run's settled deliveries, and hears of an ack or nack that threw. */
export interface Settlements {
  /** A delivery was acked (`true`) or nacked. */
  settled(acked: boolean): void;
  /** An ack or nack threw `error` (the run fails with it). */
  settleFailed(error: unknown): void;
}

/** One delivery's lineage: acks it (or nacks it, after a failure) when the count drops to 0. */
export class Origin implements Lineage {
  readonly #delivery: Delivery<unknown>;
  readonly #settlements: Settlements;
  #pending = 1;
  #failure: unknown = kNoFailure;

  constructor(delivery: Delivery<unknown>, settlements: Settlements) {
    this.#delivery = delivery;
    this.#settlements = settlements;
  }

  add(count: number): void {
    this.#pending += count;
  }

  done(): void {
    if (--this.#pending === 0) this.#settle();
  }

  fail(error: unknown): void {
    if (this.#failure === kNoFailure) this.#failure = error;
    this.done();
  }

  #settle(): void {
    const acked = this.#failure === kNoFailure;
    this.#settlements.settled(acked);
    try {
      if (acked) this.#delivery.ack();
      else this.#delivery.nack(this.#failure);
    } catch (error) {
      this.#settlements.settleFailed(error);
    }
  }
}

/** A batch's lineage: each of its items' lineages, settled together. */
export class LineageGroup implements Lineage {
  readonly #members: readonly Lineage[];

  constructor(members: readonly Lineage[]) {
    this.#members = members;
  }

  add(count: number): void {
    for (const member of this.#members) member.add(count);
  }

  done(): void {
    for (const member of this.#members) member.done();
  }

  fail(error: unknown): void {
    for (const member of this.#members) member.fail(error);
  }
}

/**
 * An item of a tracked run as the stages pass it: the value the user's functions see, and
 * its lineage. A map reuses it for its result (one object per message through a chain of
 * maps); a flatMap makes one per output.
 */
export class Tracked {
  value: unknown;
  readonly lineage: Lineage;

  constructor(value: unknown, lineage: Lineage) {
    this.value = value;
    this.lineage = lineage;
  }
}

/** A batch of tracked items as one tracked item: their values, their lineages together. */
export function trackedBatch(batch: readonly unknown[]): Tracked {
  const values = new Array<unknown>(batch.length);
  const lineages = new Array<Lineage>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const item = batch[i] as Tracked;
    values[i] = item.value;
    lineages[i] = item.lineage;
  }
  return new Tracked(values, new LineageGroup(lineages));
}

/** `onError: "collect"`'s `{ ok: true, value }` for a tracked item: the result, tracked. */
export function collectedOk(item: Tracked): Tracked {
  return new Tracked({ ok: true, value: item.value }, item.lineage);
}

/** `onError: "collect"`'s `{ ok: false, error, item }` for a tracked item, tracked. */
export function collectedFailure(failure: { ok: false; error: unknown; item: unknown }): Tracked {
  const item = failure.item as Tracked;
  return new Tracked({ ok: false, error: failure.error, item: item.value }, item.lineage);
}
