import type { KeyStats } from "../contract/summary.js";
import { previewValue } from "../internal/describe-value.js";

/** An item that took its place in a stage and waits for its key's turn. */
export interface KeyWaiting {
  readonly item: unknown;
  /** The index it took. */
  readonly index: number;
  /** Its weight, when the stage weighs items. */
  readonly weight: number;
}

/** What {@link KeyGate.admit} decides for the item at the head of a stage's input. */
export const KeyAdmission = {
  /** Its key has room: start it. */
  Start: 0,
  /** Its key is full: it waits in its key's line (it took its index and place). */
  Parked: 1,
  /** Its key could not be read (`key` threw): fail it. */
  Fail: 2,
} as const;

/** One of {@link KeyAdmission}'s answers. */
export type KeyAdmission = (typeof KeyAdmission)[keyof typeof KeyAdmission];

/** One key's items in the stage. */
interface KeyLine {
  /** Items of the key running (or whose turn came): at most `perKey`. */
  running: number;
  /** Items of the key waiting for their turn, oldest first. */
  readonly waiting: KeyWaiting[];
}

/**
 * A function stage's `perKey` bulkhead: at most `perKey` items of one key run at once, and
 * the others wait in their key's line, in arrival order, without holding up other keys. An
 * item's key is released when it leaves the stage for good (emitted, filtered, failed after
 * its retries), and the next item of its key gets its turn. A key's line exists only while
 * it has items in the stage, so a million keys leave memory where it started.
 */
export class KeyGate {
  readonly #keyOf: (item: unknown) => unknown;
  readonly #perKey: number;
  readonly #lines = new Map<unknown, KeyLine>();
  /** The key of each item admitted and not yet released, by index. */
  readonly #keys = new Map<number, unknown>();
  /** Items whose key's turn came, in the order it came: the stage starts them first. */
  readonly ready: KeyWaiting[] = [];
  #waiting = 0;
  #maxWaiting = 0;
  /** Why the last {@link KeyAdmission.Fail} failed. */
  failure: unknown = undefined;

  constructor(keyOf: (item: unknown) => unknown, perKey: number) {
    this.#keyOf = keyOf;
    this.#perKey = perKey;
  }

  /** Items that took their place in the stage and wait for their key (or to start). */
  get held(): number {
    return this.#waiting + this.ready.length;
  }

  /**
   * Admits `item`, the head of the input, which would take index `index` (and weighs
   * `weight`, kept for when it waits). Asked again for the same head (a later gate made it
   * wait), it answers Start again without counting it twice.
   */
  admit(item: unknown, index: number, weight: number): KeyAdmission {
    if (this.#keys.has(index)) return KeyAdmission.Start;
    let key: unknown;
    try {
      key = this.#keyOf(item);
    } catch (error) {
      this.failure = error;
      return KeyAdmission.Fail;
    }
    let line = this.#lines.get(key);
    if (line === undefined) {
      line = { running: 0, waiting: [] };
      this.#lines.set(key, line);
    }
    if (line.running < this.#perKey && line.waiting.length === 0) {
      line.running++;
      this.#keys.set(index, key);
      return KeyAdmission.Start;
    }
    line.waiting.push({ item, index, weight });
    this.#waiting++;
    if (line.waiting.length > this.#maxWaiting) this.#maxWaiting = line.waiting.length;
    return KeyAdmission.Parked;
  }

  /**
   * The item of `index` left the stage for good: its key's next waiting item (if any) gets
   * its turn in {@link ready}; a key with nothing left in the stage is forgotten.
   */
  release(index: number): void {
    const keys = this.#keys;
    if (keys.size === 0) return;
    const key = keys.get(index);
    if (key === undefined && !keys.has(index)) return;
    keys.delete(index);
    const line = this.#lines.get(key)!;
    const next = line.waiting.shift();
    if (next !== undefined) {
      this.#waiting--;
      keys.set(next.index, key);
      this.ready.push(next);
      return;
    }
    if (--line.running === 0) this.#lines.delete(key);
  }

  /** Drops every waiting item (the stage stopped); returns how many were held. */
  clear(): number {
    const held = this.held;
    this.#lines.clear();
    this.#keys.clear();
    this.ready.length = 0;
    this.#waiting = 0;
    return held;
  }

  /** Keys with items in the stage (for tests of eviction). */
  get size(): number {
    return this.#lines.size;
  }

  /** The gate's figures; the hottest key is looked for only here, never per item. */
  stats(): KeyStats {
    let hottest: KeyStats["hottest"];
    if (this.#waiting > 0) {
      let most = 0;
      for (const [key, line] of this.#lines) {
        if (line.waiting.length <= most) continue;
        most = line.waiting.length;
        hottest = { key: keyText(key), inFlight: line.running, waiting: most };
      }
    }
    return {
      active: this.#lines.size,
      waiting: this.#waiting,
      maxWaiting: this.#maxWaiting,
      ...(hottest === undefined ? {} : { hottest }),
    };
  }
}

/** A key as the stats show it: a string as it is, anything else as a preview; 60 characters at most. */
function keyText(key: unknown): string {
  const text = typeof key === "string" ? key : previewValue(key).slice(1, -1);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
