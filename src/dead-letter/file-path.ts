import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { invalid } from "../internal/validate.js";

/**
 * The absolute path named by a path option: a non-empty string (resolved against the cwd,
 * now) or a `file:` URL.
 *
 * @throws {InvalidOptionError} naming `option` for anything else.
 */
export function filePath(option: string, value: unknown): string {
  if (typeof value === "string" && value.length > 0 && !value.includes("\0")) {
    return resolve(value);
  }
  if (value instanceof URL && value.protocol === "file:") {
    try {
      return fileURLToPath(value);
    } catch {
      // A file: URL with a host, on POSIX: refused below like any other bad path.
    }
  }
  throw invalid(option, "a file path (a non-empty string) or a file: URL", value);
}
