/**
 * Results that view a batch's packed bytes get bytes of their own before they cross back.
 *
 * A thread sees each packed byte item as a view over the batch's one packing buffer. A
 * result that is such a view (the item itself, `item.subarray(0, 16)`), or holds one, would
 * be cloned with the whole buffer under it: 16 bytes of result carried 8.9 MB across, and
 * kept it alive on the main thread as long as the result lived (3,000 such results of 64 KiB
 * items held 311 MB). Copied out, each arrives with exactly its bytes, as if its item had
 * crossed alone, and the packing buffer can go back to be packed again.
 * @module
 */

import { MAX_DEPTH, SHALLOW, walkBudget } from "./value-walk.js";

/**
 * Replaces, in `values` and in the arrays, objects, `Map`s and `Set`s they hold, every view
 * over `packing` with a copy of its bytes, the same copy wherever the same view recurs.
 * Short copies share one new buffer of exactly their bytes, one allocation per batch as the
 * packing was, not one per result (200k results of 1 KiB each, copied one by one, took 1.8×
 * as long). True when nothing in `values` views `packing` any more. False when the views
 * cover half of it or more (`packing` itself among the results covers it all), and nothing
 * is copied; or when a view sits where it cannot be replaced (a frozen container, a property
 * that refuses the write). The packing then crosses whole, under the views, as structured
 * clone sends a view's buffer.
 */
export function ownBytes(values: unknown[], packing: ArrayBuffer): boolean {
  const search = new OwnBytesWalk(packing, undefined, values.length);
  search.walk(values);
  // Past its depth or its budget, a view may be left unseen: the packing stays here. Views
  // of half the packing or more cross with it, as they are (the walk stops there): copying
  // them would cost more than the bytes it saves (results returning their whole items: 1.2×
  // as long).
  if (search.exhausted || search.covered) return false;
  const found = search.found;
  if (found === undefined) return true;
  const replace = new OwnBytesWalk(packing, copiesOf(found, packing), values.length);
  replace.walk(values);
  return !replace.aliased && !replace.exhausted;
}

/**
 * One depth-first pass over a batch's values: finding the views of the packing (`copies`
 * undefined), or putting their copies in their place. Results are most often shallow trees
 * (a record, an array of them), walked without bookkeeping: a set of every container seen
 * cost 0.19 µs per result of three objects, a tenth of a 1 KiB hash. Deeper, each container
 * is entered once, so cycles end; shared containers near the top are entered once per path,
 * within a budget.
 */
class OwnBytesWalk {
  readonly #packing: ArrayBuffer;
  readonly #copies: Map<object, object> | undefined;
  #budget: number;
  #seen: Set<object> | undefined;
  /** The views of the packing met, in the finding pass. */
  found: Set<ArrayBuffer | ArrayBufferView> | undefined;
  /** Whether a view was left in place: its container refused the copy. */
  aliased = false;
  /** Whether the walk stopped short: too deep, or past its budget. */
  exhausted = false;
  /** Whether the views found (finding pass) cover half the packing or more: it stopped. */
  covered = false;
  /** Bytes of the packing the views found cover (overlaps counted twice). */
  #viewed = 0;

  constructor(packing: ArrayBuffer, copies: Map<object, object> | undefined, values: number) {
    this.#packing = packing;
    this.#copies = copies;
    this.#budget = walkBudget(values);
  }

  walk(values: unknown[]): void {
    for (let i = 0; i < values.length && !this.covered; i++) {
      const value = values[i];
      if (typeof value === "object" && value !== null) this.#child(values, i, value, 0);
    }
  }

  /** A view of the packing met in the finding pass. */
  #note(view: ArrayBuffer | ArrayBufferView): void {
    const found = (this.found ??= new Set());
    if (found.has(view)) return;
    found.add(view);
    this.#viewed += view.byteLength;
    if (this.#viewed * 2 >= this.#packing.byteLength) this.covered = true;
  }

  /** `value`, held by `container` under `key` at `depth`: replaced, noted, or looked into. */
  #child(container: object, key: string | number, value: object, depth: number): void {
    const buffer = bufferUnder(value);
    if (buffer !== undefined) {
      if (buffer !== this.#packing) return;
      // An inherited property does not cross: structured clone copies own ones.
      if (!Object.hasOwn(container, key)) return;
      if (this.#copies === undefined) {
        this.#note(value as ArrayBuffer | ArrayBufferView);
        return;
      }
      const own = this.#copies.get(value)!;
      try {
        (container as Record<string | number, unknown>)[key] = own;
      } catch {
        // A frozen container, a read-only property: strict-mode writes throw.
      }
      if ((container as Record<string | number, unknown>)[key] !== own) this.aliased = true;
      return;
    }
    this.#enter(value, depth);
  }

  /** Looks into a container at `depth`, unless too deep, past the budget, or seen already. */
  #enter(value: object, depth: number): void {
    if (this.covered) return;
    if (depth >= MAX_DEPTH || --this.#budget < 0) {
      this.exhausted = true;
      return;
    }
    if (depth >= SHALLOW) {
      const seen = (this.#seen ??= new Set());
      if (seen.has(value)) return;
      seen.add(value);
    }
    this.#visit(value, depth + 1);
  }

  #visit(container: object, depth: number): void {
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const value: unknown = container[i];
        if (typeof value === "object" && value !== null) this.#child(container, i, value, depth);
      }
      return;
    }
    const proto: unknown = Object.getPrototypeOf(container);
    // Records, the likeliest results, skip the class tests.
    if (proto !== Object.prototype && proto !== null) {
      if (container instanceof Map) return this.#visitMap(container, depth);
      if (container instanceof Set) return this.#visitSet(container, depth);
    }
    // What structured clone copies of an object: its own enumerable string-keyed properties
    // (`for…in` also meets inherited ones, skipped in #child; it allocates no key array).
    const record = container as Record<string, unknown>;
    for (const key in record) {
      const value = record[key];
      if (typeof value === "object" && value !== null) this.#child(record, key, value, depth);
    }
  }

  #visitMap(map: Map<unknown, unknown>, depth: number): void {
    let changed = false;
    const entries: [unknown, unknown][] = [];
    for (const [key, value] of map) {
      const ownKey = this.#inEntry(key, depth);
      const ownValue = this.#inEntry(value, depth);
      if (ownKey !== key || ownValue !== value) changed = true;
      entries.push([ownKey, ownValue]);
    }
    if (!changed) return;
    if (Object.isFrozen(map)) {
      this.aliased = true;
      return;
    }
    // Rebuilt in the same order: a key replaced in place would move to the end.
    map.clear();
    for (const [key, value] of entries) map.set(key, value);
  }

  #visitSet(set: Set<unknown>, depth: number): void {
    let changed = false;
    const members: unknown[] = [];
    for (const member of set) {
      const own = this.#inEntry(member, depth);
      if (own !== member) changed = true;
      members.push(own);
    }
    if (!changed) return;
    if (Object.isFrozen(set)) {
      this.aliased = true;
      return;
    }
    set.clear();
    for (const member of members) set.add(member);
  }

  /**
   * A `Map`'s or `Set`'s entry as it should be: its copy when it views the packing (noted, in
   * the finding pass); otherwise itself, looked into.
   */
  #inEntry(value: unknown, depth: number): unknown {
    if (typeof value !== "object" || value === null) return value;
    const buffer = bufferUnder(value);
    if (buffer !== undefined) {
      if (buffer !== this.#packing) return value;
      if (this.#copies !== undefined) return this.#copies.get(value)!;
      this.#note(value as ArrayBuffer | ArrayBufferView);
      return value;
    }
    this.#enter(value, depth);
    return value;
  }
}

/** The buffer `value` is, or views; `undefined` for any other object. */
function bufferUnder(value: object): ArrayBufferLike | undefined {
  if (value instanceof ArrayBuffer) return value;
  return ArrayBuffer.isView(value) ? value.buffer : undefined;
}

type ViewClass = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

/**
 * Views this long or longer get a buffer each: their copy costs more than an allocation, and
 * a short result kept alone then pins only the other short ones of its batch.
 */
const OWN_BUFFER_BYTES = 4096;

/**
 * A copy of each view's bytes, as the same kind of view structured clone would make on the
 * other side (a `Buffer` arrives as a `Uint8Array`): short views share one new buffer (each at
 * an offset aligned for any element size), long ones have one each. Views that overlap get
 * copies that do not.
 */
function copiesOf(
  views: Set<ArrayBuffer | ArrayBufferView>,
  packing: ArrayBuffer,
): Map<object, object> {
  let shared = 0;
  for (const view of views) {
    if (!(view instanceof ArrayBuffer) && view.byteLength < OWN_BUFFER_BYTES) {
      shared = align(shared) + view.byteLength;
    }
  }
  const into = new ArrayBuffer(shared);
  const copies = new Map<object, object>();
  let at = 0;
  for (const view of views) {
    // The packing itself is never among them: it covers the whole packing, so ownBytes
    // copies nothing when it is a result.
    if (view instanceof ArrayBuffer) continue;
    if (view.byteLength >= OWN_BUFFER_BYTES) {
      const end = view.byteOffset + view.byteLength;
      copies.set(view, viewLike(view, packing.slice(view.byteOffset, end), 0));
    } else {
      at = align(at);
      new Uint8Array(into, at, view.byteLength).set(
        new Uint8Array(packing, view.byteOffset, view.byteLength),
      );
      copies.set(view, viewLike(view, into, at));
      at += view.byteLength;
    }
  }
  return copies;
}

/** A view of `view`'s kind over `buffer` from `byteOffset`, as long as `view`. */
function viewLike(view: ArrayBufferView, buffer: ArrayBuffer, byteOffset: number): object {
  // A Buffer stays one: its place is marked, and the main thread gets a Buffer (buffer-marks).
  if (Buffer.isBuffer(view)) return Buffer.from(buffer, byteOffset, view.byteLength);
  if (view instanceof DataView) return new DataView(buffer, byteOffset, view.byteLength);
  const name = (view as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
  const View = (globalThis as unknown as Record<string, ViewClass | undefined>)[name];
  if (View === undefined) return new Uint8Array(buffer, byteOffset, view.byteLength);
  const length = (view as unknown as { length: number }).length;
  return new View(buffer, byteOffset, length);
}

/** Up to a multiple of 8, the largest element size of a typed array. */
function align(offset: number): number {
  return (offset + 7) & ~7;
}
