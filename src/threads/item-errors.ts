/**
 * The errors a thread stage's item gets when it never ran to an answer: it could not be sent
 * to a thread, or its thread went away under it.
 * @module
 */
import { types } from "node:util";
import { WorkerCrashedError } from "../errors/worker-crashed-error.js";
import type { ThreadLoss } from "./lost-item-fate.js";
import { holdsNoBytes } from "./transfer.js";

/**
 * Item #`index` could not be cloned to a thread (`cloneError`, structured clone's refusal).
 * With `transfer`, an item with no bytes was most likely moved to a thread already, by this
 * stage (the same buffer earlier in the input) or by the caller: the message says so.
 */
export function unsendableError(
  stage: string,
  index: number,
  item: unknown,
  cloneError: unknown,
  transfer: boolean,
): TypeError {
  const reason = cloneError instanceof Error ? cloneError.message : String(cloneError);
  const proxy = proxyIn(item);
  const why =
    transfer && holdsNoBytes(item)
      ? `${reason.replace(/\.$/, "")}; with \`transfer: true\` each item's buffer moves to its thread, so a buffer an earlier batch moved cannot go again (copy it, or leave \`transfer\` off)`
      : proxy !== undefined
        ? `${reason.replace(/\.$/, "")} (${proxy} a Proxy, which structured clone cannot copy).`
        : reason;
  return new TypeError(`Stage "${stage}" cannot send item #${index} to a thread: ${why}`, {
    cause: cloneError,
  });
}

/**
 * Where a Proxy is, if the item is one or holds one directly: clone refuses every proxy, and
 * its message names none ("null could not be cloned" for a revoked one, "#<Object>" or
 * "[object Array]" otherwise). Never throws.
 */
function proxyIn(item: unknown): string | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  if (types.isProxy(item)) return "the item is";
  try {
    if (Array.isArray(item)) {
      const at = item.findIndex((member) => types.isProxy(member));
      return at < 0 ? undefined : `its element ${at} is`;
    }
    for (const key of Object.keys(item)) {
      if (types.isProxy((item as Record<string, unknown>)[key])) return `its field "${key}" is`;
    }
  } catch {
    // A getter that throws: clone's own message stands.
  }
  return undefined;
}

/**
 * What a tracer hears of a call whose thread went away under it, when the item is sent
 * again (the item itself does not fail).
 */
export function lostCallError(stage: string, index: number, cause: ThreadLoss): Error {
  const died =
    cause.reason === "crash"
      ? `died (exit code ${cause.exitCode})`
      : "was terminated for a call past its timeout";
  return new Error(
    `Stage "${stage}": the thread holding item #${index} ${died}; the item is sent again`,
    cause.reason === "crash" && cause.error !== undefined ? { cause: cause.error } : undefined,
  );
}

/**
 * The error of an item transferred to a thread that was lost before it answered: its bytes
 * went with the thread, so it cannot be sent again. `timedOut` is the index of the call that
 * ran past the timeout, when it was one of the same batch.
 */
export function transferredLost(
  stage: string,
  index: number,
  cause: ThreadLoss,
  timedOut: number | undefined,
): WorkerCrashedError {
  if (cause.reason === "crash") {
    return new WorkerCrashedError(stage, index, cause.exitCode, cause.error, true);
  }
  // Terminated by the pool (exit code 1) for a call past the timeout: this one's, or another
  // batch's on the same thread.
  const why =
    timedOut === undefined
      ? "the pool terminated it when another batch's call ran past the timeout"
      : `the pool terminated it when item #${timedOut} ran past the timeout`;
  return new WorkerCrashedError(stage, index, 1, new Error(why), true);
}
