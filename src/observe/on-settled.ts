import { isThenable } from "../stage/thenable.js";

/**
 * Makes `call` and tells `settled(ok, outcome)` once it has ended: when it returns or
 * throws, or, when it returns a thenable, when that settles (chained: one promise more).
 * Returns what the call returned (for a thenable, the chained promise) and rethrows what it
 * threw, so the caller sees the call unchanged. For the observed calls only (timed, traced):
 * the plain path calls its function bare.
 */
export function onSettled(
  call: () => unknown,
  settled: (ok: boolean, outcome: unknown) => void,
): unknown {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    settled(false, error);
    throw error;
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(
      (value) => {
        settled(true, value);
        return value;
      },
      (error: unknown) => {
        settled(false, error);
        throw error;
      },
    );
  }
  settled(true, result);
  return result;
}
