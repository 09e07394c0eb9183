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

/**
 * Makes `instanceof` answer by brand, so it holds across package copies. Only for the class
 * that declares the hook: a user's subclass inherits the static, and must answer by its
 * prototype chain, or every base instance would pass as an instance of the subclass.
 */
export function brandedInstanceCheck(code: string): (this: unknown, value: unknown) => boolean {
  return function (this: unknown, value: unknown): boolean {
    if (typeof this === "function" && !Object.hasOwn(this, Symbol.hasInstance)) {
      return Function.prototype[Symbol.hasInstance].call(this, value);
    }
    return hasSluiceCode(value, code);
  };
}
