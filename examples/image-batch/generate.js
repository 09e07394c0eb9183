#!/usr/bin/env node
// @ts-check
/**
 * Makes the batch's input: `--images` JPEGs of `--width`×`--height` (gradients and waves,
 * different for each image, so they compress like photos rather than noise) in
 * `<dir>/input`, and an empty `<dir>/output`.
 * `node examples/image-batch/generate.js --images 120`
 * @module
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { imageOptions } from "./options.js";

const options = imageOptions(process.argv.slice(2));
await rm(options.input, { recursive: true, force: true });
await rm(options.output, { recursive: true, force: true });
await mkdir(options.input, { recursive: true });
await mkdir(options.output, { recursive: true });
const started = performance.now();
const { width, height } = options;
const pixels = Buffer.alloc(width * height * 3);
for (let n = 0; n < options.images; n++) {
  const fx = 0.002 + (n % 7) * 0.001;
  const fy = 0.003 + (n % 5) * 0.001;
  for (let y = 0, at = 0; y < height; y++) {
    const wave = Math.sin(y * fy + n);
    for (let x = 0; x < width; x++, at += 3) {
      pixels[at] = (x * 255) / width;
      pixels[at + 1] = 128 + 100 * Math.sin(x * fx) * wave;
      pixels[at + 2] = (y * 255) / height;
    }
  }
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toFile(join(options.input, `image-${String(n).padStart(5, "0")}.jpg`));
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`${options.images} images of ${width}×${height} in ${options.input} (${seconds} s)`);
