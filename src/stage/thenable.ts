/** Whether a function's result must be awaited; plain values (the sync path) are not. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  // Primitives are the sync path's common case: answered by `typeof` alone, before any
  // property lookup (an `instanceof Promise` first cost a quarter of a sync burst).
  if (typeof value !== "object" || value === null) return false;
  return typeof (value as PromiseLike<unknown>).then === "function";
}
