/**
 * The batch task of S4's "piscina-batched": an array of buffers in, their SHA-256 hex
 * digests out, in the same order (the batches are packed by hand on the main thread).
 * @module
 */
import sha256Hex from "./sha256-hex.worker.js";

/**
 * @param {Uint8Array[]} bufs
 * @returns {string[]}
 */
export default function sha256HexBatch(bufs) {
  return bufs.map(sha256Hex);
}
