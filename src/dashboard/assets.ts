import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beside } from "../internal/beside.js";

/** One file of the page, ready to send. */
export interface Asset {
  readonly contentType: string;
  readonly body: string;
}

/** The page's three files, by request path. */
export type Assets = ReadonlyMap<string, Asset>;

/**
 * Where `scripts/build-dashboard.mjs` puts the page: `dist/dashboard/page/` for the package
 * (`npm run build`, where this code sits in a bundled chunk), `page/` beside this module for
 * the tests' compiled tree (`build/src/dashboard/page/`).
 */
export const defaultAssetsDir = fileURLToPath(
  beside(import.meta.url, ["./page/", "../dashboard/page/"]),
);

const FILES = [
  { path: "/", file: "index.html", contentType: "text/html; charset=utf-8" },
  { path: "/dashboard.js", file: "dashboard.js", contentType: "text/javascript; charset=utf-8" },
  { path: "/dashboard.css", file: "dashboard.css", contentType: "text/css; charset=utf-8" },
] as const;

/** The placeholder in index.html's asset URLs that the token query replaces. */
const QUERY_PLACEHOLDER = /\{\{query\}\}/g;

/**
 * Reads the built page from `dir` once, before the server answers anything: the page is
 * served from memory, and a missing build is an error at start rather than a 404 in the
 * browser. `query` (`?token=…`, or empty) is appended to the page's own asset URLs, so a
 * token-protected dashboard can load them.
 *
 * @throws {Error} naming the folder and the build command when a file is missing.
 */
export async function loadAssets(dir: string, query: string): Promise<Assets> {
  const assets = new Map<string, Asset>();
  for (const { path, file, contentType } of FILES) {
    let body: string;
    try {
      body = await readFile(join(dir, file), "utf8");
    } catch (error) {
      throw new Error(
        `The dashboard page is not built (${file} is missing from ${dir}): run \`npm run build\`, which bundles it with scripts/build-dashboard.mjs`,
        { cause: error },
      );
    }
    assets.set(path, {
      contentType,
      body: file === "index.html" ? body.replace(QUERY_PLACEHOLDER, query) : body,
    });
  }
  return assets;
}
