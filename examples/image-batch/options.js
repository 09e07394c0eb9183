// @ts-check
/**
 * The image batch's command-line options, shared by its scripts.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** Where images go unless `--dir` says otherwise (ignored by git). */
const DEFAULT_DIR = join(fileURLToPath(new URL(".", import.meta.url)), ".data");

/** The sizes each image is resized to: widths in pixels. */
export const SIZES = [1280, 640, 160];

/** @param {readonly string[]} args */
export function imageOptions(args) {
  const { values } = parseArgs({
    args: [...args],
    options: {
      dir: { type: "string", default: DEFAULT_DIR },
      images: { type: "string", default: "120" },
      width: { type: "string", default: "2400" },
      height: { type: "string", default: "1600" },
      "decode-threads": { type: "string", default: "1" },
      "resize-threads": { type: "string", default: "1" },
      "encode-threads": { type: "string", default: "2" },
    },
  });
  return {
    input: join(values.dir, "input"),
    output: join(values.dir, "output"),
    images: count("--images", values.images, 1),
    width: count("--width", values.width, 16),
    height: count("--height", values.height, 16),
    decodeThreads: count("--decode-threads", values["decode-threads"], 1),
    resizeThreads: count("--resize-threads", values["resize-threads"], 1),
    encodeThreads: count("--encode-threads", values["encode-threads"], 1),
  };
}

/**
 * @param {string} option
 * @param {string} value
 * @param {number} min
 */
function count(option, value, min) {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new TypeError(
      `Expected ${option} to be an integer >= ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}
