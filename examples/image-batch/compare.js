#!/usr/bin/env node
// @ts-check
/**
 * Runs the batch both ways on the same images, each in a fresh process, and prints images/s
 * and peak RSS: `sluice run examples/image-batch` against `naive.js` (one Promise.all).
 * `node examples/image-batch/compare.js [--images 120] [--reps 3]`: makes the images first.
 * @module
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { images: { type: "string", default: "120" }, reps: { type: "string", default: "3" } },
  allowPositionals: false,
});
const here = (/** @type {string} */ name) => fileURLToPath(new URL(name, import.meta.url));
const cli = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const images = Number(values.images);

/** @param {string[]} args */
function measure(args) {
  const started = performance.now();
  const child = spawnSync(process.execPath, ["--import", here("./peak-rss.js"), ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  if (child.status !== 0) throw new Error(`${args.join(" ")} failed: ${child.stderr}`);
  const rssKb = Number(/peak-rss-kb (\d+)/.exec(child.stderr)?.[1]);
  return { imagesPerSecond: (images * 1000) / ms, peakMb: rssKb / 1024 };
}

const generated = spawnSync(process.execPath, [here("./generate.js"), "--images", String(images)], {
  encoding: "utf8",
});
if (generated.status !== 0) throw new Error(generated.stderr);
process.stdout.write(generated.stdout);
/** @type {Record<string, { imagesPerSecond: number, peakMb: number }[]>} */
const runs = { "sluice (thread stages)": [], "naive Promise.all": [] };
for (let rep = 0; rep < Number(values.reps); rep++) {
  runs["sluice (thread stages)"].push(measure([cli, "run", here("."), "--no-progress"]));
  runs["naive Promise.all"].push(measure([here("./naive.js")]));
}
const median = (/** @type {number[]} */ xs) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n| ${images} images, whole process | images/s (median) | peak RSS MB (median) |`);
console.log("| --- | --- | --- |");
for (const [name, list] of Object.entries(runs)) {
  const rate = median(list.map((run) => run.imagesPerSecond));
  const peak = median(list.map((run) => run.peakMb));
  console.log(`| ${name} | ${rate.toFixed(1)} | ${peak.toFixed(0)} |`);
}
