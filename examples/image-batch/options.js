// @ts-check
/**
 * The image batch's command-line options, shared by its scripts.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { integerArgument } from "../shared/arguments.js";

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
    images: integerArgument("--images", values.images, 1),
    width: integerArgument("--width", values.width, 16),
    height: integerArgument("--height", values.height, 16),
    decodeThreads: integerArgument("--decode-threads", values["decode-threads"], 1),
    resizeThreads: integerArgument("--resize-threads", values["resize-threads"], 1),
    encodeThreads: integerArgument("--encode-threads", values["encode-threads"], 1),
  };
}
