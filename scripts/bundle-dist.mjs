#!/usr/bin/env node
// Bundles the package's compiled JavaScript (tsc's output in dist/) into one file per entry
// point plus shared chunks, with esbuild, and removes the per-module files it replaces; the
// declarations (.d.ts) stay as tsc wrote them. `import "sluice"` then loads 9 files instead of
// 138 modules: 7 MB less RSS and ~40 ms less start-up (bench/ S5).
//
// Entry points: every `exports` target and the `bin` of package.json, and the thread runtime
// (dist/threads/worker-main.js), which a pool starts by its path. Shared code goes to
// dist/chunks/; code that finds files beside itself (the thread runtime, the dashboard page)
// looks where it is in both layouts (see src/internal/beside.ts).
//
//   node scripts/bundle-dist.mjs
import { readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** The entry points, relative to dist/ and without `.js`. */
const entries = new Set(["threads/worker-main"]);
for (const target of Object.values(pkg.exports)) {
  const file = typeof target === "string" ? target : target?.default;
  if (typeof file === "string" && file.startsWith("./dist/") && file.endsWith(".js")) {
    entries.add(file.slice("./dist/".length, -".js".length));
  }
}
for (const file of Object.values(pkg.bin ?? {})) {
  entries.add(file.replace(/^\.\/dist\//, "").replace(/\.js$/, ""));
}

const out = await mkdtemp(join(tmpdir(), "sluice-bundle-"));
try {
  await build({
    entryPoints: [...entries].map((entry) => ({ in: join(dist, `${entry}.js`), out: entry })),
    outdir: out,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Dependencies stay packages of their own, loaded (or not) as each entry imports them.
    packages: "external",
    chunkNames: "chunks/[name]-[hash]",
    // Maps back through tsc's own maps to src/.
    sourcemap: "linked",
    logLevel: "warning",
  });
  // Out with tsc's per-module JavaScript (and its maps); declarations and assets stay.
  for (const file of await walk(dist)) {
    if (relative(dist, file).startsWith(join("dashboard", "page"))) continue;
    if (file.endsWith(".js") || file.endsWith(".js.map")) await rm(file);
  }
  for (const file of await walk(out)) {
    const target = join(dist, relative(out, file));
    await mkdir(dirname(target), { recursive: true });
    // A rename across file systems (a tmpfs /tmp) fails: then a copy.
    await rename(file, target).catch((error) => {
      if (error.code !== "EXDEV") throw error;
      return copyFile(file, target);
    });
  }
} finally {
  await rm(out, { recursive: true, force: true });
}

async function walk(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else files.push(path);
  }
  return files;
}
