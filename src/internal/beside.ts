import { existsSync } from "node:fs";

/**
 * A file of the package, found from the module asking (`from`, its `import.meta.url`): the
 * first of `candidates` (URLs relative to `from`) that exists, else the first. Compiled
 * module by module (the tests' tree, tsc alone), a module's files are beside it; in the
 * bundled package its code may sit in a shared chunk (`dist/chunks/`) or in another entry
 * point's file, and the same file is then one folder over.
 */
export function beside(from: string, candidates: readonly [string, ...string[]]): URL {
  for (const candidate of candidates) {
    const url = new URL(candidate, from);
    if (existsSync(url)) return url;
  }
  return new URL(candidates[0], from);
}
