/**
 * The thread side of S4's and S8a's "raw-workers" baseline, hand-written on `node:worker_threads`. Each
 * message is one batch packed into one transferred `ArrayBuffer` (`bytes`, with `ends[i]` the
 * end offset of item i); the reply is the batch's hex digests in order (`out`), with `bytes`
 * and `ends` transferred back so the main thread packs its next batch into them.
 * @module
 */
import { parentPort } from "node:worker_threads";
import sha256Hex from "./sha256-hex.worker.js";

if (!parentPort) throw new Error("raw-sha256.worker.js runs as a worker thread");
const port = parentPort;

port.on("message", ({ bytes, ends, count }) => {
  const out = new Array(count);
  let start = 0;
  for (let i = 0; i < count; i++) {
    out[i] = sha256Hex(bytes.subarray(start, ends[i]));
    start = ends[i];
  }
  port.postMessage({ out, bytes, ends }, [bytes.buffer, ends.buffer]);
});
