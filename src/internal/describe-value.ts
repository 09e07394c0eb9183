/** Renders a received value for an error message: `` `0` (number) ``, `` `"x"` (string) ``. */
export function describeValue(value: unknown): string {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
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
    if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  } else shown = String(value);
  return `\`${shown}\` (${type})`;
}
