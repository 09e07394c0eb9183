import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

let cached: number | undefined;

/**
 * The number of CPUs this process may really use: the cgroup v2 `cpu.max` quota (or v1
 * `cfs_quota_us`/`cfs_period_us`) rounded up, capped by the cores the OS offers. A
 * container limited to 2 CPUs on a 64-core host answers 2, not 64.
 */
export function cpuQuota(): number {
  if (cached !== undefined) return cached;
  const cores = availableParallelism();
  const quota = cgroupV2Quota() ?? cgroupV1Quota();
  cached = quota === undefined ? cores : Math.max(1, Math.min(cores, Math.ceil(quota)));
  return cached;
}

function cgroupV2Quota(): number | undefined {
  const text = readOrUndefined("/sys/fs/cgroup/cpu.max");
  if (text === undefined) return undefined;
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === "max") return undefined;
  return ratio(Number(quota), Number(period));
}

function cgroupV1Quota(): number | undefined {
  const quota = readOrUndefined("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  const period = readOrUndefined("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  if (quota === undefined || period === undefined) return undefined;
  return ratio(Number(quota), Number(period));
}

function ratio(quota: number, period: number): number | undefined {
  if (!(quota > 0) || !(period > 0)) return undefined;
  return quota / period;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
