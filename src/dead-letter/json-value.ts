/** The key of the object a BigInt is written as: `{ "$bigint": "123" }`. */
const kBigIntKey = "$bigint";

/** What replaces an object found inside itself. */
export const CIRCULAR = "[Circular]";

/**
 * How deep the walk goes: deeper values are replaced. JSON.stringify itself fails with a stack
 * overflow some thousands of levels down; the walk stops well before its own would.
 */
const MAX_DEPTH = 1_000;

/**
 * The JSON text of `value`, as `JSON.stringify` writes it wherever it can, and never a throw:
 *
 * - a BigInt becomes `{ "$bigint": "<digits>" }` (which {@link reviveJson} turns back);
 * - an object met again inside itself becomes `"[Circular]"` (an object merely shared by two
 *   branches is written twice, as JSON does);
 * - a value whose `toJSON`, getter or proxy trap throws becomes `"[Unserializable: <message>]"`
 *   in its place, and so does anything nested more than 1,000 levels deep;
 * - `undefined`, functions and symbols are left out of objects and are `null` in arrays, as in
 *   JSON; at the top level the result is `undefined` (the caller leaves the key out).
 *
 * Cost: one `JSON.stringify` when the value is plain JSON; a walk of the value (one `Set`
 * entry per open object) only when that throws.
 */
export function toJsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value) as string | undefined;
  } catch {
    // A BigInt, a cycle or a throwing toJSON: walk the value and replace what JSON cannot say.
  }
  try {
    return JSON.stringify(toJsonSafe(value, "", new Set(), 0)) as string | undefined;
  } catch (error) {
    return JSON.stringify(unserializable(error));
  }
}

/**
 * A `JSON.parse` reviver that turns `{ "$bigint": "<digits>" }` (an object with that one key)
 * back into a BigInt. A user's object of exactly that shape is read as a BigInt too.
 */
export function reviveJson(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const digits = (value as Record<string, unknown>)[kBigIntKey];
  if (typeof digits !== "string" || !/^-?\d+$/.test(digits)) return value;
  return Object.keys(value).length === 1 ? BigInt(digits) : value;
}

/** `value` as JSON would see it, with the replacements {@link toJsonText} lists. */
function toJsonSafe(value: unknown, key: string, open: Set<object>, depth: number): unknown {
  let current = value;
  try {
    // JSON.stringify calls toJSON on objects and BigInts (a Date, a Buffer, a user's class).
    const toJSON = (current as { toJSON?: unknown } | null | undefined)?.toJSON;
    if (typeof toJSON === "function")
      current = (toJSON as (key: string) => unknown).call(current, key);
  } catch (error) {
    return unserializable(error);
  }
  switch (typeof current) {
    case "bigint":
      return { [kBigIntKey]: current.toString() };
    case "number":
      return Number.isFinite(current) ? current : null;
    case "string":
    case "boolean":
      return current;
    case "object":
      if (current === null) return null;
      return depth < MAX_DEPTH
        ? objectToJsonSafe(current, open, depth)
        : `[Unserializable: nested deeper than ${MAX_DEPTH} levels]`;
    default:
      // undefined, functions, symbols: what JSON leaves out.
      return undefined;
  }
}

function objectToJsonSafe(object: object, open: Set<object>, depth: number): unknown {
  if (open.has(object)) return CIRCULAR;
  // Boxed primitives are written as their value, as JSON does.
  if (object instanceof Number || object instanceof String || object instanceof Boolean) {
    return toJsonSafe(object.valueOf(), "", open, depth);
  }
  if (object instanceof BigInt) return { [kBigIntKey]: object.valueOf().toString() };
  open.add(object);
  try {
    if (Array.isArray(object)) {
      return object.map((element: unknown, index) => {
        const safe = toJsonSafe(element, String(index), open, depth + 1);
        return safe === undefined ? null : safe;
      });
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      let safe: unknown;
      try {
        safe = toJsonSafe((object as Record<string, unknown>)[key], key, open, depth + 1);
      } catch (error) {
        safe = unserializable(error);
      }
      if (safe !== undefined) out[key] = safe;
    }
    return out;
  } catch (error) {
    // A proxy whose ownKeys trap throws.
    return unserializable(error);
  } finally {
    open.delete(object);
  }
}

function unserializable(error: unknown): string {
  let reason: string;
  try {
    reason = error instanceof Error ? error.message : String(error);
  } catch {
    reason = typeof error;
  }
  return `[Unserializable: ${reason}]`;
}
