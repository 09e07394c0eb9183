import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const srcRoot = fileURLToPath(new URL("../../src/", import.meta.url));

/** What a compiled entry point loads: its modules (relative to src/) and the packages they import. */
export interface ImportGraph {
  readonly modules: readonly string[];
  readonly packages: readonly string[];
}

/**
 * Import statements at line starts (tsc's output and esbuild's alike), and dynamic imports
 * of a literal; not import-like text inside strings (a bundle's messages name subpaths).
 */
const IMPORTS =
  /^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)";|^import\s*"([^"]+)";|\bimport\("([^"]+)"\)/gm;

/**
 * Every module `entry` (relative to `root`: by default the compiled src/, and the core's
 * `index.js`) loads, following its static and dynamic imports, with the packages it
 * imports on the way.
 */
export function importGraph(entry = "index.js", root = srcRoot): ImportGraph {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [join(root, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(IMPORTS)) {
      const target = (match[1] ?? match[2] ?? match[3])!;
      if (target.startsWith(".")) queue.push(join(dirname(file), target));
      else packages.add(target);
    }
  }
  return {
    modules: [...seen].map((file) => relative(root, file)),
    packages: [...packages],
  };
}
