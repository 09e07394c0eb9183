// @ts-check
/**
 * Thread stage: one decoded image resized to each of the batch's widths.
 * @module
 */
import sharp from "sharp";
import { transfer } from "sluice/threads";
import { SIZES } from "./options.js";

export function init() {
  sharp.concurrency(1);
  sharp.cache(false);
}

/**
 * @param {import("./pixels.js").Pixels} image
 * @returns {Promise<import("./pixels.js").Pixels[]>}
 */
export default async function resize(image) {
  const raw = { width: image.width, height: image.height, channels: image.channels };
  const resized = await Promise.all(
    SIZES.map(async (width) => {
      const { data, info } = await sharp(image.data, { raw })
        .resize({ width })
        .raw()
        .toBuffer({ resolveWithObject: true });
      return {
        name: `${image.name}-${width}`,
        width: info.width,
        height: info.height,
        channels: /** @type {3} */ (info.channels),
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      };
    }),
  );
  return transfer(
    resized,
    resized.map((image) => image.data.buffer),
  );
}
