/**
 * `Buffer`s keep their class across a thread boundary.
 *
 * Structured clone sends a `Buffer` as a plain `Uint8Array`: a worker function returning
 * `createHash(…).digest()` gave the main thread a `Uint8Array`, whose `toString()` printed
 * "73,84,69,…" where the same stage on the event loop gave text. The sender marks where its
 * `Buffer`s are, in the batch's items or results and in the arrays, objects, `Map`s and `Set`s
 * they hold; the receiver makes each one a `Buffer` again, a view of the same bytes (no copy).
 * @module
 */

import { MAX_DEPTH, SHALLOW, walkBudget } from "./value-walk.js";

/**
 * One step from a container to what it holds: an array index, an object's own key, the key
 * (`key: true`) or the value of a `Map`'s entry by position, or a `Set`'s member by position.
 */
export type BufferStep = number | string | MapEntryStep | SetMemberStep;

/** A `Map` entry's key or value, by the entry's position (clone keeps the order). */
export interface MapEntryStep {
  readonly entry: number;
  readonly key: boolean;
}

/** A `Set`'s member, by its position (clone keeps the order). */
export interface SetMemberStep {
  readonly member: number;
}

/** Where one `Buffer` is: the position in the batch, then the steps into that value. */
export type BufferPath = readonly [number, ...BufferStep[]];

/**
 * The paths of the `Buffer`s in `values` (a batch's items or results), or `undefined` when
 * there are none. Primitives are passed over with one `typeof` each, so a batch of numbers or
 * strings costs a scan and nothing else. A `Buffer` deeper than {@link MAX_DEPTH}, or past
 * the walk's budget (256 containers per value), is left unmarked and arrives as a
 * `Uint8Array`, as it would without marks. Never throws: a value whose getter throws is
 * passed over (clone refuses it with the same error, and it fails alone).
 */
export function markBuffers(values: readonly unknown[]): BufferPath[] | undefined {
  let paths: BufferPath[] | undefined;
  let budget = walkBudget(values.length);
  let seen: Set<object> | undefined;
  // [position, ...steps]: pushes and pops balance, so between values only the head changes.
  const path: BufferStep[] = [0];

  const visit = (value: object, depth: number): void => {
    const record = (value as { constructor?: unknown }).constructor === Object;
    if (!record && !Array.isArray(value)) {
      if (Buffer.isBuffer(value)) {
        (paths ??= []).push([...path] as unknown as BufferPath);
        return;
      }
      if (ArrayBuffer.isView(value) || !isContainer(value)) return;
    }
    if (depth >= MAX_DEPTH || budget <= 0) return;
    budget--;
    if (depth >= SHALLOW) {
      seen ??= new Set();
      if (seen.has(value)) return;
      seen.add(value);
    }
    const next = depth + 1;
    if (record) {
      // Its own enumerable keys, what clone copies (a record inherits none); no array made.
      for (const key in value) {
        const child = (value as Record<string, unknown>)[key];
        if (typeof child !== "object" || child === null) continue;
        path.push(key);
        visit(child, next);
        path.pop();
      }
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const child: unknown = value[i];
        if (typeof child !== "object" || child === null) continue;
        path.push(i);
        visit(child, next);
        path.pop();
      }
    } else if (value instanceof Map) {
      let i = 0;
      for (const [key, entryValue] of value) {
        into(key, { entry: i, key: true }, next);
        into(entryValue, { entry: i, key: false }, next);
        i++;
      }
    } else if (value instanceof Set) {
      let i = 0;
      for (const member of value) into(member, { member: i++ }, next);
    } else {
      // A class instance (or a null-prototype object) crosses as a record of its own keys.
      for (const key of Object.keys(value)) {
        into((value as Record<string, unknown>)[key], key, next);
      }
    }
  };
  const into = (value: unknown, step: BufferStep, depth: number): void => {
    if (typeof value !== "object" || value === null) return;
    path.push(step);
    visit(value, depth);
    path.pop();
  };

  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== "object" || value === null) continue;
    path[0] = i;
    try {
      visit(value, 0);
    } catch {
      // A getter threw: clone reads it too and refuses the value, which then fails alone.
      path.length = 1;
    }
  }
  return paths;
}

/**
 * Makes each `Uint8Array` at `paths` in `values` a `Buffer` over the same bytes. The same
 * `Uint8Array` met twice (clone keeps identity) becomes the same `Buffer`. `Map` keys and
 * `Set` members are replaced in place with the container's order kept. A path that no longer
 * fits what is there is passed over.
 */
export function restoreBuffers(values: unknown[], paths: readonly BufferPath[]): void {
  new BufferRestore().run(values, paths);
}

/**
 * One restore. A `Map`'s entries or a `Set`'s members are listed once (a step into them is
 * by position), and a container whose keys or members changed is refilled once, at the end:
 * a `Map` of 10,000 `Buffer`s would otherwise be listed for each of them.
 */
class BufferRestore {
  readonly #made = new Map<Uint8Array, Buffer>();
  readonly #listed = new Map<Map<unknown, unknown> | Set<unknown>, unknown[]>();
  readonly #refill = new Set<Map<unknown, unknown> | Set<unknown>>();

  run(values: unknown[], paths: readonly BufferPath[]): void {
    for (const path of paths) {
      let container: unknown = values;
      for (let s = 0; s < path.length - 1 && container !== undefined; s++) {
        container = this.#stepInto(container, path[s]!);
      }
      if (typeof container === "object" && container !== null) {
        this.#replace(container, path[path.length - 1]!);
      }
    }
    for (const container of this.#refill) {
      const listed = this.#listed.get(container)!;
      container.clear();
      if (container instanceof Map) {
        for (const [key, value] of listed as [unknown, unknown][]) container.set(key, value);
      } else {
        for (const member of listed) container.add(member);
      }
    }
  }

  #asBuffer(bytes: Uint8Array): Buffer {
    let buffer = this.#made.get(bytes);
    if (buffer === undefined) {
      buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.#made.set(bytes, buffer);
    }
    return buffer;
  }

  #list(container: Map<unknown, unknown> | Set<unknown>): unknown[] {
    let listed = this.#listed.get(container);
    if (listed === undefined) {
      listed = [...container];
      this.#listed.set(container, listed);
    }
    return listed;
  }

  /** What `container` holds at `step`, or `undefined` when the step does not fit it. */
  #stepInto(container: unknown, step: BufferStep): unknown {
    if (typeof container !== "object" || container === null) return undefined;
    if (typeof step === "number" || typeof step === "string") {
      return (container as Record<string | number, unknown>)[step];
    }
    if ("member" in step) {
      return container instanceof Set ? this.#list(container)[step.member] : undefined;
    }
    if (!(container instanceof Map)) return undefined;
    const entry = this.#list(container)[step.entry] as [unknown, unknown] | undefined;
    return entry === undefined ? undefined : step.key ? entry[0] : entry[1];
  }

  /** Replaces the bytes `container` holds at `step` with a `Buffer` over them. */
  #replace(container: object, step: BufferStep): void {
    if (typeof step === "number" || typeof step === "string") {
      const record = container as Record<string | number, unknown>;
      const bytes = record[step];
      if (isPlainBytes(bytes)) record[step] = this.#asBuffer(bytes);
      return;
    }
    if ("member" in step) {
      if (!(container instanceof Set)) return;
      const members = this.#list(container);
      const bytes = members[step.member];
      if (!isPlainBytes(bytes)) return;
      members[step.member] = this.#asBuffer(bytes);
      this.#refill.add(container);
      return;
    }
    if (!(container instanceof Map)) return;
    const entries = this.#list(container) as [unknown, unknown][];
    const entry = entries[step.entry];
    if (entry === undefined) return;
    const bytes = step.key ? entry[0] : entry[1];
    if (!isPlainBytes(bytes)) return;
    const buffer = this.#asBuffer(bytes);
    if (step.key) {
      entries[step.entry] = [buffer, entry[1]];
      this.#refill.add(container);
    } else {
      entries[step.entry] = [entry[0], buffer];
      // A value changes in place; a refill, if a key changed too, writes the same.
      container.set(entry[0], buffer);
    }
  }
}

/** Whether `value` is a `Uint8Array` that is not (yet) a `Buffer`. */
function isPlainBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && !Buffer.isBuffer(value);
}

/**
 * Whether structured clone copies `value`'s contents as a container: arrays, `Map`s, `Set`s
 * and plain or class objects (sent as plain ones). Dates, regular expressions, errors, boxed
 * primitives and buffers hold no `Buffer` that could cross.
 */
function isContainer(value: object): boolean {
  return !(
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Error ||
    value instanceof ArrayBuffer ||
    value instanceof SharedArrayBuffer ||
    value instanceof Number ||
    value instanceof String ||
    value instanceof Boolean
  );
}
