import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The bundled page where the compiled server looks for it: `page/` beside
 * build/src/dashboard/, as `npm run build` puts it beside dist/dashboard/. This file runs from
 * build/test/dashboard/.
 */
export const pageDir = fileURLToPath(new URL("../../src/dashboard/page/", import.meta.url));

const root = fileURLToPath(new URL("../../../", import.meta.url));
const sources = [join(root, "src/dashboard/page"), join(root, "src/dashboard/wire.ts")];

/**
 * Bundles the page into {@link pageDir} with scripts/build-dashboard.mjs when it is missing or
 * older than its sources, so `node --test build/test/dashboard/` works right after `tsc`. The
 * bundle goes to a folder of this process's own and is renamed into place: test files run in
 * parallel, and none may read a half-written bundle.
 */
function ensurePageBuilt(): void {
  if (isFresh()) return;
  const scratch = `${pageDir.replace(/\/$/, "")}.tmp-${process.pid}`;
  const result = spawnSync(process.execPath, [join(root, "scripts/build-dashboard.mjs"), scratch], {
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(`scripts/build-dashboard.mjs failed:\n${result.stderr}`);
  }
  // Another test file may have put its (identical) bundle in place meanwhile: keep that one.
  if (!isFresh()) {
    rmSync(pageDir, { recursive: true, force: true });
    try {
      renameSync(scratch, pageDir);
    } catch {
      // Put in place between the check and the rename: as good as ours.
    }
  }
  rmSync(scratch, { recursive: true, force: true });
}

function isFresh(): boolean {
  const built = join(pageDir, "dashboard.js");
  return existsSync(built) && statSync(built).mtimeMs >= newestSource();
}

function newestSource(): number {
  let newest = 0;
  for (const source of sources) {
    const stat = statSync(source);
    const files = stat.isDirectory()
      ? readdirSync(source).map((name) => statSync(join(source, name)).mtimeMs)
      : [stat.mtimeMs];
    newest = Math.max(newest, ...files);
  }
  return newest;
}

ensurePageBuilt();
