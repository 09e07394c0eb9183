import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";

let cached: number | undefined;

/**
 * The number of CPUs this process may really use: the CPU quota of its own cgroup (v2
 * `cpu.max`, or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`), the smallest on the way up to
 * the cgroup root, rounded up and capped by `os.availableParallelism()` (which already honours
 * the CPU affinity mask). A container limited to 2 CPUs on a 64-core host answers 2, not 64;
 * without a quota it answers `os.availableParallelism()`. Always a whole number >= 1.
 *
 * Use it to size CPU-bound work (`concurrency: "cpus"`, worker pools). The first call reads a
 * few small files synchronously; every later call answers from a cache, so a quota changed
 * while the process runs is not seen.
 */
export function cpuQuota(): number {
  cached ??= readCpuQuota("/", availableParallelism());
  return cached;
}

/**
 * What {@link cpuQuota} answers for a filesystem whose root is the folder `root` (it reads
 * `<root>/proc/self/cgroup` and the files under `<root>/sys/fs/cgroup`) on a host offering
 * `cores` CPUs. Not cached; tests pass a fixture tree here.
 *
 * @internal
 */
export function readCpuQuota(root: string, cores: number): number {
  const own = ownCgroups(read(join(root, "proc/self/cgroup")) ?? "");
  const cgroups = join(root, "sys/fs/cgroup");
  const v2 = smallest(
    levels(cgroups, own.v2Path).map((dir) => {
      // "max 100000" means no limit at this level; it parses as no quota, like garbage does.
      const [quota, period, extra] = (read(join(dir, "cpu.max")) ?? "").trim().split(/\s+/);
      return extra === undefined ? ratio(quota, period) : undefined;
    }),
  );
  // The v1 cpu controller is mounted under the name of its comounted controllers
  // ("cpu,cpuacct"), often with a "cpu" symlink beside it; reading each is harmless.
  const mounts = new Set([own.v1Controllers, "cpu,cpuacct", "cpu"]);
  const v1 = smallest(
    [...mounts].flatMap((mount) =>
      levels(join(cgroups, mount), own.v1Path).map((dir) =>
        // A quota of -1 means no limit at this level; it fails the digits-only parse.
        ratio(read(join(dir, "cpu.cfs_quota_us")), read(join(dir, "cpu.cfs_period_us"))),
      ),
    ),
  );
  const quota = v2 ?? v1;
  return quota === undefined ? cores : Math.max(1, Math.min(cores, Math.ceil(quota)));
}

/**
 * This process's cgroup paths from `/proc/self/cgroup` lines `id:controllers:path`: the v2
 * line is `0::/path`, the v1 cpu line lists `cpu` among its controllers. Without a line (no
 * /proc, no cgroups) the path is "/", so the root files are still read.
 */
function ownCgroups(text: string): { v2Path: string; v1Path: string; v1Controllers: string } {
  const own = { v2Path: "/", v1Path: "/", v1Controllers: "cpu" };
  for (const line of text.split("\n")) {
    const [, id, controllers = "", path = "/"] = /^(\d+):([^:]*):(\/.*)$/.exec(line) ?? [];
    if (id === "0" && controllers === "") own.v2Path = path;
    else if (controllers.split(",").includes("cpu")) {
      own.v1Path = path;
      own.v1Controllers = controllers;
    }
  }
  return own;
}

/**
 * `base/path` and each of its parents up to `base`, deepest first: a nested cgroup is bound by
 * every ancestor's limit. Walking up is also the fallback for a container that sees its host's
 * path in /proc/self/cgroup but has its own cgroup mounted at /sys/fs/cgroup: the deep files
 * are missing and the walk ends at the root files, which hold the container's limit.
 */
function levels(base: string, path: string): string[] {
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  // ".." means the cgroup lies outside our cgroup namespace; nothing under `base` is it, and
  // joining would read files outside `base`.
  if (parts.includes("..")) return [base];
  return parts.map((_, i) => join(base, ...parts.slice(0, parts.length - i))).concat(base);
}

function smallest(quotas: readonly (number | undefined)[]): number | undefined {
  const found = quotas.filter((quota) => quota !== undefined);
  return found.length === 0 ? undefined : Math.min(...found);
}

/** Quota over period, or undefined unless both are positive whole numbers of microseconds. */
function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  const digits = /^\d+$/;
  if (!digits.test(quota?.trim() ?? "") || !digits.test(period?.trim() ?? "")) return undefined;
  const value = Number(quota) / Number(period);
  return value > 0 && Number.isFinite(value) ? value : undefined;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
