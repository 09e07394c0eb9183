/**
 * Renders a received value for an error message: `` `0` (number) ``, `` `"x"` (string) ``,
 * `` `{}` (object) ``; an instance of a class is typed by its class, `` `{}` (Promise) ``,
 * since its JSON alone would hide what it is.
 */
export function describeValue(value: unknown): string {
  return `${previewValue(value)} (${typeOf(value)})`;
}

/**
 * A short preview of a value for a message, in backticks: `` `{"id":3}` ``, `` `"a…"` ``;
 * strings, objects and arrays are cut at 60 characters, so a large item never floods a log.
 */
export function previewValue(value: unknown): string {
  let shown: string;
  if (typeof value === "string") shown = JSON.stringify(value);
  else if (typeof value === "function")
    shown = value.name ? `[Function ${value.name}]` : "[Function]";
  else if (typeof value === "bigint") shown = `${value}n`;
  else if (typeof value === "symbol") shown = value.toString();
  else if (typeof value === "object" && value !== null) {
    try {
      shown = JSON.stringify(value) ?? String(value);
    } catch {
      shown = Object.prototype.toString.call(value);
    }
  } else shown = String(value);
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  return `\`${shown}\``;
}

function typeOf(value: unknown): string {
  return value === null
    ? "null"
    : Array.isArray(value)
      ? "array"
      : typeof value === "object"
        ? className(value)
        : typeof value;
}

function className(value: object): string {
  try {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === null || prototype === Object.prototype) return "object";
    const name: unknown = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "" && name !== "Object" ? name : "object";
  } catch {
    // A proxy may trap getPrototypeOf; the message still needs a type.
    return "object";
  }
}
