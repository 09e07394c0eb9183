/**
 * The function of S4 and S8a: the SHA-256 of a buffer as 64 hex digits. The default export
 * is the per-item function, as sluice's `thread(url)`, piscina and tinypool all load it; the
 * main-thread baselines import the same function.
 * @module
 */
import { createHash } from "node:crypto";

/**
 * @param {Uint8Array} buf a `Buffer`, or the `Uint8Array` a thread receives for one
 * @returns {string}
 */
export default function sha256Hex(buf) {
  return createHash("sha256").update(buf).digest("hex");
}
