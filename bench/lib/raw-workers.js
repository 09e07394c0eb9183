/**
 * Hand-written `node:worker_threads` code: the ceiling a thread library is measured against
 * (S4, S8). {@link THREADS} workers; each message is one batch of items; a fixed number of
 * messages in flight per thread, the next one posted as soon as a reply comes back. Nothing a
 * library adds: no init handshake, no adaptive batch size, no crash recovery, no ordering.
 * @module
 */
import { Worker } from "node:worker_threads";
import { THREADS, workerUrl } from "./threads.js";

/**
 * How a batch travels: `encode` makes the message for `input[start, end)` (and its transfer
 * list), given a spare the thread sent back earlier, if any; `spare` takes from a reply what
 * the next `encode` may reuse.
 * @typedef {object} RawEncoding
 * @property {(input: readonly any[], start: number, end: number, spare: any) => { message: any, transfer: Transferable[] }} encode
 * @property {(reply: any) => any} [spare]
 */

/**
 * Items packed into one transferred `ArrayBuffer` per batch (`bytes`, with `ends[i]` the end
 * offset of item i), what the threads of `raw-sha256.worker.js` read. Both buffers come back
 * with the results to be packed again: a fresh 1 MiB buffer per batch costs the main thread
 * its page faults (~0.7 µs an item in S4, a third of a hash), and on 2 cores every µs the
 * main thread spends is taken from a worker.
 * @param {number} batch the most items a batch holds
 * @returns {RawEncoding}
 */
function packedBytes(batch) {
  return {
    encode(input, start, end, spare) {
      let total = 0;
      for (let i = start; i < end; i++) total += input[i].length;
      let packing = spare;
      if (!packing || packing.bytes.length < total) {
        packing = { bytes: new Uint8Array(total), ends: new Uint32Array(batch) };
      }
      const { bytes, ends } = packing;
      let at = 0;
      for (let i = start; i < end; i++) {
        bytes.set(input[i], at);
        ends[i - start] = at += input[i].length;
      }
      return {
        message: { bytes, ends, count: end - start },
        transfer: [bytes.buffer, ends.buffer],
      };
    },
    spare: ({ bytes, ends }) => ({ bytes, ends }),
  };
}

/** The batch's items as an array, structured-cloned: `{ items }`. */
export const clonedItems = {
  encode: (input, start, end) => ({ message: { items: input.slice(start, end) }, transfer: [] }),
};

/**
 * The run of a raw-workers contender, what a careful engineer would write for one job:
 * `file` (in `bench/workers/`) answers each message with `{ out }`, the batch's results in
 * order. With `inFlight` 2 a thread finds its next batch waiting when it posts a result, and
 * each reply refills its thread before the sink runs.
 * @param {string} file
 * @param {{ batch: number, inFlight: number, encoding: RawEncoding }} options
 */
function rawWorkers(file, { batch, inFlight, encoding }) {
  return async function raw(_n, _lib, sink, input) {
    const workers = Array.from({ length: THREADS }, () => new Worker(workerUrl(file)));
    /** What threads sent back, for the next batches. */
    const spares = [];
    let next = 0;
    /** Encodes the next batch and posts it to `worker`; false when the input is used up. */
    const post = (worker) => {
      if (next >= input.length) return false;
      const end = Math.min(next + batch, input.length);
      const { message, transfer } = encoding.encode(input, next, end, spares.pop());
      worker.postMessage(message, transfer);
      next = end;
      return true;
    };
    const drive = (worker) =>
      new Promise((resolve, reject) => {
        let pending = 0;
        worker.on("message", (reply) => {
          if (encoding.spare) spares.push(encoding.spare(reply));
          pending--;
          if (post(worker)) pending++;
          for (const y of reply.out) sink.add(y);
          if (pending === 0) resolve();
        });
        worker.on("error", reject);
        worker.on("exit", (code) => {
          if (pending > 0)
            reject(new Error(`worker exited (code ${code}) with ${pending} batches`));
        });
        for (let k = 0; k < inFlight; k++) if (post(worker)) pending++;
        if (pending === 0) resolve();
      });
    try {
      await Promise.all(workers.map(drive));
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  };
}

/**
 * The raw-workers contender of a scenario: `file` (in `bench/workers/`) fed `batch`-item
 * batches, `inFlight` of them per thread, encoded by `encoding`; `how` says how a batch
 * travels, for the label.
 * @param {string} file
 * @param {{ batch: number, inFlight: number, encoding: RawEncoding, how: string }} options
 * @returns {import("./child.js").Contender}
 */
export function rawWorkersContender(file, { batch, inFlight, encoding, how }) {
  return {
    name: "raw-workers",
    label: `raw worker_threads (${batch}-item ${how} batches, ${inFlight} in flight per thread)`,
    kind: "bare",
    run: rawWorkers(file, { batch, inFlight, encoding }),
  };
}

/**
 * S4's and S8a's raw-workers contender: `raw-sha256.worker.js` fed {@link packedBytes}.
 * @param {number} batch
 * @param {number} inFlight
 */
export const rawSha256Contender = (batch, inFlight) =>
  rawWorkersContender("raw-sha256.worker.js", {
    batch,
    inFlight,
    encoding: packedBytes(batch),
    how: "transferred",
  });
