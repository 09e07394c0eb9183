// @ts-check
/**
 * Thread stage: raw pixels encoded as a JPEG file in the output folder.
 * @module
 */
import { join } from "node:path";
import sharp from "sharp";

export function init() {
  sharp.concurrency(1);
  sharp.cache(false);
}

/**
 * @param {import("./pixels.js").Pixels & { output: string }} image
 * @returns {Promise<{ file: string, bytes: number }>}
 */
export default async function encode(image) {
  const file = join(image.output, `${image.name}.jpg`);
  const raw = { width: image.width, height: image.height, channels: image.channels };
  const { size } = await sharp(image.data, { raw })
    .jpeg({ quality: 80, mozjpeg: true })
    .toFile(file);
  return { file, bytes: size };
}
