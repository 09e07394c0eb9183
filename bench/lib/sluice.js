/**
 * Loads the built library (`dist/index.js`, made by `npm run build` in the repo root) and its
 * `sluice/threads` subpath (`dist/threads/index.js`). `SLUICE_DIST` points at another build.
 * @module
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** URL of the built entry point. */
export const distUrl = process.env.SLUICE_DIST
  ? new URL(`file://${process.env.SLUICE_DIST}/index.js`)
  : new URL("../../dist/index.js", import.meta.url);

/** URL of the built `sluice/threads` entry point, beside {@link distUrl}. */
export const threadsUrl = new URL("threads/index.js", distUrl);

/** Whether `dist/index.js` exists. */
export function sluiceBuilt() {
  return existsSync(fileURLToPath(distUrl));
}

/** Whether `dist/threads/index.js` exists. */
export function sluiceThreadsBuilt() {
  return existsSync(fileURLToPath(threadsUrl));
}

/** Imports the built library; the contenders' `load`. */
export function loadSluice() {
  return import(distUrl.href);
}

/**
 * Imports the built library and `sluice/threads` as one namespace (`from`, `thread`, …); the
 * thread contenders' `load`.
 */
export async function loadSluiceThreads() {
  const [core, threads] = await Promise.all([import(distUrl.href), import(threadsUrl.href)]);
  return { ...core, ...threads };
}

/**
 * The thread contenders' `unavailable`: why they cannot run, while `dist/threads/` is missing.
 * @returns {string | undefined}
 */
export function threadsUnavailable() {
  return sluiceThreadsBuilt() ? undefined : "skipped: dist/threads/index.js not built";
}
