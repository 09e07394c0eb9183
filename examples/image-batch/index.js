// @ts-check
/**
 * The image batch case study: every JPEG of a folder decoded, resized to three widths and
 * encoded again, each step a thread stage of its own width.
 *
 *   files → decode (thread) → resize ×3 (thread, flatMap) → encode (thread) → tally
 *
 * A decoded 2400×1600 image is 11.5 MB of pixels, so the decode stage holds few: at most
 * `concurrency` in flight and a buffer of one in front of resize. Memory stays flat however
 * many images there are (compare `node examples/image-batch/naive.js`, one Promise.all).
 * `node examples/image-batch/generate.js`, then `sluice run examples/image-batch`.
 * @module
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { from } from "sluice";
import { thread } from "sluice/threads";
import { imageOptions } from "./options.js";

/** @param {string[]} args the arguments after `--` */
export default async function imageBatch(args) {
  const options = imageOptions(args);
  const files = (await readdir(options.input))
    .filter((name) => name.endsWith(".jpg"))
    .sort()
    .map((name) => join(options.input, name));
  const worker = (/** @type {string} */ name) => new URL(`./${name}.worker.js`, import.meta.url);
  return from(files)
    .map(thread(worker("decode"), { threads: options.decodeThreads, batch: 1 }), {
      name: "decode",
      concurrency: options.decodeThreads,
      buffer: 1,
    })
    .flatMap(thread(worker("resize"), { threads: options.resizeThreads, batch: 1 }), {
      name: "resize",
      concurrency: options.resizeThreads,
      buffer: 1,
    })
    .map((image) => ({ ...image, output: options.output }), { name: "place", buffer: 3 })
    .map(thread(worker("encode"), { threads: options.encodeThreads, batch: 1 }), {
      name: "encode",
      concurrency: options.encodeThreads,
      buffer: 3,
    })
    .forEach(() => {}, { name: "written" });
}
