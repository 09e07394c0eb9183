import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The version in sluice's own package.json, found by walking up from this file. Walking up
 * rather than a fixed `../../package.json` because the file runs from `dist/cli/` when
 * installed and from `build/src/cli/` in tests; the `name` check skips any other
 * package.json on the way (bench/ has its own).
 *
 * @throws {Error} when no sluice package.json is found above `fromUrl`.
 */
export function packageVersion(fromUrl: string = import.meta.url): string {
  const start = dirname(fileURLToPath(fromUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, "package.json"));
    if (manifest?.name === "sluice" && typeof manifest.version === "string") {
      return manifest.version;
    }
    if (dirname(dir) === dir) throw new Error(`No sluice package.json above ${start}`);
  }
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as { name?: unknown; version?: unknown };
  } catch {
    // Missing or unreadable: keep walking up.
    return undefined;
  }
}
