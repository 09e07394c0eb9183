import { InvalidArgumentError } from "commander";

/**
 * Parses an option value that must be a whole number `>= min`, for commander's `argParser`.
 * Only plain decimal digits are accepted: `Number()` would also take `""`, `"0x10"`,
 * `"1e3"` and `" 7 "`, which a user almost never means as a count.
 *
 * @throws {InvalidArgumentError} which commander reports as
 *   ``error: option '--items <n>' argument 'abc' is invalid. Expected an integer >= 1.``
 */
export function parseInteger(value: string, min: number): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new InvalidArgumentError(`Expected an integer >= ${min}.`);
  }
  return parsed;
}

/**
 * Parses a TCP port for a server option (`--dashboard [port]`): a whole number from 0 to
 * 65535, 0 meaning "pick a free one". Plain decimal digits only, as {@link parseInteger}.
 *
 * @throws {InvalidArgumentError} which commander reports as
 *   ``error: option '--dashboard [port]' argument 'abc' is invalid. Expected a port number from 0 to 65535.``
 */
export function parsePort(value: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= 0 && parsed <= 65_535)) {
    throw new InvalidArgumentError("Expected a port number from 0 to 65535.");
  }
  return parsed;
}

/**
 * Parses a host name or IP address to listen on (`--host`): anything but blank text or text
 * with spaces, which no address has. Whether it can be bound is the server's to find out.
 *
 * @throws {InvalidArgumentError} when `value` is blank or holds whitespace.
 */
export function parseHost(value: string): string {
  if (!/^\S+$/.test(value)) {
    throw new InvalidArgumentError("Expected a host name or IP address, such as 0.0.0.0.");
  }
  return value;
}

/**
 * Parses a `--concurrency` value: `"cpus"` (the CPU quota), or a number handed to the
 * library as is. The range (`>= 1`, whole) is left to the stage's own validation, so the CLI
 * and the library cannot disagree on what a valid width is; only text that is not a number
 * at all is refused here, since the library would see it as `NaN`.
 *
 * @throws {InvalidArgumentError} when `value` is neither `"cpus"` nor a number.
 */
export function parseConcurrency(value: string): number | "cpus" {
  if (value === "cpus") return value;
  const parsed = value.trim() === "" ? Number.NaN : Number(value);
  if (Number.isNaN(parsed)) throw new InvalidArgumentError('Expected an integer >= 1 or "cpus".');
  return parsed;
}

/**
 * Parses a number for an option whose range the library checks (`--utilisation`, `--rate`):
 * only text that is not a number at all is refused here, so the CLI and the library cannot
 * disagree on the range.
 *
 * @throws {InvalidArgumentError} when `value` is not a number.
 */
export function parseNumber(value: string): number {
  const parsed = value.trim() === "" ? Number.NaN : Number(value);
  if (Number.isNaN(parsed)) throw new InvalidArgumentError("Expected a number.");
  return parsed;
}

/**
 * Parses a duration option (`--slo`): a bare number is milliseconds, as the library's
 * numbers are; anything else (`"250ms"`, `"1s"`) goes to the library as a string, which
 * checks it and says what it expects.
 */
export function parseDurationFlag(value: string): number | string {
  return /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}
