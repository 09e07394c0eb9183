/**
 * A second copy of one of sluice's error modules, as when a dependency tree holds two copies
 * of the package: `file` is the module's name in `src/errors/` (`"cancelled-error"`), `M`
 * its type (`typeof import("../../src/errors/cancelled-error.js")`).
 */
export function secondCopy<M>(file: string): Promise<M> {
  const url = new URL(`../../src/errors/${file}.js`, import.meta.url);
  url.search = "?copy=2";
  return import(url.href) as Promise<M>;
}
