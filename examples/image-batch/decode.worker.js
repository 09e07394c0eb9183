// @ts-check
/**
 * Thread stage: a JPEG file decoded to raw RGB pixels, moved (not copied) to the next stage.
 * @module
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import sharp from "sharp";
import { transfer } from "sluice/threads";

/** One libvips thread per worker thread: sluice sets the width, not libvips. */
export function init() {
  sharp.concurrency(1);
  sharp.cache(false);
}

/**
 * @param {string} file
 * @returns {Promise<import("./pixels.js").Pixels>}
 */
export default async function decode(file) {
  const { data, info } = await sharp(await readFile(file))
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  return transfer(
    {
      name: basename(file, ".jpg"),
      width: info.width,
      height: info.height,
      channels: info.channels,
      data: pixels,
    },
    [pixels.buffer],
  );
}
