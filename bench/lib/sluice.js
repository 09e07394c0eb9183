/**
 * Loads the built library (`dist/index.js`, made by `npm run build` in the repo root).
 * @module
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** URL of the built entry point. */
export const distUrl = process.env.SLUICE_DIST
  ? new URL(`file://${process.env.SLUICE_DIST}/index.js`)
  : new URL("../../dist/index.js", import.meta.url);

/** Whether `dist/index.js` exists. */
export function sluiceBuilt() {
  return existsSync(fileURLToPath(distUrl));
}

/** Imports the built library; the contenders' `load`. */
export function loadSluice() {
  return import(distUrl.href);
}
