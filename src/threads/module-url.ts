import { pathToFileURL } from "node:url";
import { invalid } from "../internal/validate.js";

/**
 * A worker module's `file:` URL, from what `thread()` and `ThreadPool.prepare()` take: a
 * `URL`, a `file:` URL string, or an absolute path. `option` names the argument in the error.
 */
export function moduleUrl(option: string, module: unknown): string {
  if (module instanceof URL) {
    if (module.protocol !== "file:") {
      throw invalid(option, "a file: URL or an absolute path", module.href);
    }
    return module.href;
  }
  if (typeof module === "string") {
    if (module.startsWith("file:")) return new URL(module).href;
    if (module.startsWith("/")) return pathToFileURL(module).href;
  }
  throw invalid(
    option,
    'a file: URL or an absolute path (e.g. new URL("./work.js", import.meta.url))',
    module,
  );
}
