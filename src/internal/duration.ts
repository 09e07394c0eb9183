const UNITS: Readonly<Record<string, number>> = Object.freeze({
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
});

const PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)\s*$/;

/**
 * A duration: milliseconds as a number, or a string with a unit (`"100ms"`, `"30s"`,
 * `"1.5m"`, `"2h"`).
 */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h"}`;

/** Parses a {@link Duration} to milliseconds; `undefined` when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = PATTERN.exec(value);
  if (match === null) return undefined;
  return Number(match[1]) * (UNITS[match[2]!] ?? Number.NaN);
}
