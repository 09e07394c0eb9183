/**
 * The thread side of S8b's "raw-workers" baseline, hand-written on `node:worker_threads`:
 * each message is a batch of documents (`items`, structured-cloned strings), and the reply is
 * each one's answer from S8b's function, in order (`out`).
 * @module
 */
import { parentPort } from "node:worker_threads";
import countItems from "./json-parse.worker.js";

if (!parentPort) throw new Error("raw-json.worker.js runs as a worker thread");
const port = parentPort;

port.on("message", ({ items }) => {
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = countItems(items[i]);
  port.postMessage({ out });
});
