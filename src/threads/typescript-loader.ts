import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/**
 * The `file:` URL of tsx's in-thread loader API, looked up from `from` (the worker module,
 * so the user's own tsx is found), or `undefined` when tsx is not installed there.
 */
export function tsxApiUrl(from: string): string | undefined {
  try {
    // `require.resolve` answers with the "require" condition's file; the ESM entry (whose
    // `register()` works from a thread) sits beside it as `.mjs`.
    const cjs = createRequire(from).resolve("tsx/esm/api");
    const esm = cjs.replace(/\.cjs$/, ".mjs");
    return pathToFileURL(existsSync(esm) ? esm : cjs).href;
  } catch {
    return undefined;
  }
}

let registered: Promise<void> | undefined;

/**
 * Makes this thread load TypeScript through tsx, once. Node 20 does not hand the main
 * thread's `--import tsx` loader hooks to worker threads, so a `.ts` worker module needs its
 * thread to register them itself.
 */
export function registerTsx(from: string): Promise<void> {
  registered ??= (async () => {
    const api = tsxApiUrl(from);
    if (api === undefined) {
      throw new Error(
        `Cannot load the TypeScript module ${from} on a thread without tsx: install tsx (npm i -D tsx) and run under it (node --import tsx), or point thread() at the built .js file`,
      );
    }
    const { register } = (await import(api)) as { register: () => unknown };
    register();
  })();
  return registered;
}
