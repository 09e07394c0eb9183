/**
 * Whether `url` names a TypeScript module (`.ts`, `.mts`, `.cts`). A file of its own, so a
 * thread can ask without loading the tsx bridge (and `node:module`) at every start.
 */
export function isTypeScriptUrl(url: string): boolean {
  return /\.[mc]?ts$/.test(new URL(url).pathname);
}
