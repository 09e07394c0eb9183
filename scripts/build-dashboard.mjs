#!/usr/bin/env node
// Bundles the dashboard page (src/dashboard/page/) with esbuild into one JS, one CSS and one
// HTML file, which `sluice run --dashboard` serves: uPlot and its CSS come from node_modules,
// so the page needs no CDN. `npm run build` writes dist/dashboard/page/ (beside the compiled
// server, which looks there); the tests build build/src/dashboard/page/ the same way.
//
//   node scripts/build-dashboard.mjs [outdir]     (default: dist/dashboard/page)
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const page = join(root, "src/dashboard/page");
const outdir = process.argv[2] ?? join(root, "dist/dashboard/page");

await mkdir(outdir, { recursive: true });
await build({
  entryPoints: [join(page, "main.ts")],
  // Named after the output: the CSS the page imports lands in dashboard.css beside it.
  outfile: join(outdir, "dashboard.js"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["chrome110", "firefox110", "safari16"],
  minify: true,
  legalComments: "eof",
  logLevel: "warning",
});
await copyFile(join(page, "index.html"), join(outdir, "index.html"));
