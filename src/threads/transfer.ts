import type { TransferListItem } from "node:worker_threads";
import { types } from "node:util";
/**
 * Transferring instead of copying: an `ArrayBuffer` (or the buffer under a typed array) moved
 * to the other thread costs nothing per byte, and is unusable (detached) where it was.
 * @module
 */

const marked = new WeakMap<object, readonly TransferListItem[]>();

/**
 * Marks `value` to be transferred, not copied, when it crosses to another thread: return
 * `transfer(bytes)` from a worker function to hand its result's memory to the main thread,
 * or emit `transfer(bytes)` from a stage before a thread stage. `list` names what to move;
 * by default the value itself (an `ArrayBuffer`) or the buffer under it (a typed array or
 * `DataView` that spans its whole buffer). After it has crossed, the sender's copy is
 * detached (length 0). Returns `value`, so it reads as a plain return.
 *
 * Costs one `WeakMap` entry per marked value; unmarked values are copied (structured clone).
 */
export function transfer<T extends object>(value: T, list?: readonly TransferListItem[]): T {
  const moving = list ?? wholeBuffer(value);
  if (moving === undefined) {
    throw new TypeError(
      "Expected `transfer(value)` to get an ArrayBuffer, or a typed array or DataView that spans its whole buffer, or an explicit list; got a value with no buffer to move",
    );
  }
  marked.set(value, moving);
  return value;
}

/** What to move for `value`: its `transfer()` mark, or, when `auto`, its whole buffer. */
export function transferListOf(
  value: unknown,
  auto: boolean,
): readonly TransferListItem[] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return marked.get(value) ?? (auto ? wholeBuffer(value) : undefined);
}

/**
 * What `values` need moved, each buffer once (twice would fail the send); or `undefined`.
 * An empty `ArrayBuffer` is left out: there is nothing to move, and `postMessage` does not
 * refuse a detached one (moved already) in a transfer list: a view over it makes the message
 * unreadable on the other side (a "messageerror", not the message). Left out, it is cloned,
 * and a view over a detached one fails the send at once with a `DataCloneError`.
 */
export function collectTransfers(
  values: readonly unknown[],
  auto: boolean,
): TransferListItem[] | undefined {
  let list: Set<TransferListItem> | undefined;
  for (const value of values) {
    const moving = transferListOf(value, auto);
    if (moving === undefined) continue;
    for (const item of moving) {
      if (holdsNoBytes(item)) continue;
      (list ??= new Set()).add(item);
    }
  }
  return list === undefined ? undefined : [...list];
}

/**
 * Whether `value` is an `ArrayBuffer`, or a view over one, with no bytes: empty, or detached
 * (moved to another thread already). Node 20 cannot tell the two apart.
 */
export function holdsNoBytes(value: unknown): boolean {
  if (typeof value !== "object" || value === null || types.isProxy(value)) return false;
  const buffer = ArrayBuffer.isView(value) ? value.buffer : value;
  return buffer instanceof ArrayBuffer && buffer.byteLength === 0;
}

function wholeBuffer(value: object): readonly TransferListItem[] | undefined {
  if (value instanceof ArrayBuffer) return [value];
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    // A view over part of a buffer (Node's pooled small Buffers) would move its neighbours.
    if (
      buffer instanceof ArrayBuffer &&
      value.byteOffset === 0 &&
      value.byteLength === buffer.byteLength
    ) {
      return [buffer];
    }
  }
  return undefined;
}
