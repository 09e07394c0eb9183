#!/usr/bin/env node
// @ts-check
/**
 * The image batch as it is often first written: every image at once in one Promise.all, on
 * the main thread (sharp still decodes on libvips's own threads). Fast to write; its memory
 * grows with the number of images. `node examples/image-batch/naive.js`
 * @module
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { SIZES, imageOptions } from "./options.js";

const options = imageOptions(process.argv.slice(2));
const started = performance.now();
const files = (await readdir(options.input)).filter((name) => name.endsWith(".jpg")).sort();
await Promise.all(
  files.map(async (name) => {
    const { data, info } = await sharp(await readFile(join(options.input, name)))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: info.channels };
    await Promise.all(
      SIZES.map(async (width) => {
        const resized = await sharp(data, { raw })
          .resize({ width })
          .raw()
          .toBuffer({ resolveWithObject: true });
        await sharp(resized.data, {
          raw: {
            width: resized.info.width,
            height: resized.info.height,
            channels: resized.info.channels,
          },
        })
          .jpeg({ quality: 80, mozjpeg: true })
          .toFile(join(options.output, `${name.replace(/\.jpg$/, "")}-${width}.jpg`));
      }),
    );
  }),
);
const seconds = (performance.now() - started) / 1000;
console.log(
  `${files.length} images in ${seconds.toFixed(2)} s: ${(files.length / seconds).toFixed(1)} images/s`,
);
