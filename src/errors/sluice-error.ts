/**
 * Brands errors with `Symbol.for` so guards work across two copies of the package
 * (a dependency tree can hold several), where `instanceof` alone would not.
 */
export const kErrorCode: unique symbol = Symbol.for("sluice.error.code") as never;

/** Returns whether `value` is an error made by sluice with the given code. */
export function hasSluiceCode(value: unknown, code: string): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [kErrorCode]?: unknown })[kErrorCode] === code
  );
}

/** Makes `instanceof` answer by brand, so it holds across package copies. */
export function brandedInstanceCheck(code: string): (value: unknown) => boolean {
  return (value) => hasSluiceCode(value, code);
}
