import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, test } from "node:test";
import { cpuQuota } from "../../src/index.js";
import { readCpuQuota } from "../../src/internal/cpu-quota.js";

const PROC = "proc/self/cgroup";
const V2 = "sys/fs/cgroup";
const V1 = "sys/fs/cgroup/cpu,cpuacct";

const roots: string[] = [];

/**
 * What `readCpuQuota` answers on a host with `cores` CPUs whose filesystem holds just `files`
 * (paths relative to the root), built as a real tree in a temporary folder.
 */
function quotaOn(files: Record<string, string>, cores: number): number {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-cgroup-"));
  roots.push(root);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return readCpuQuota(root, cores);
}

describe("cpuQuota", () => {
  test("answers a whole number between 1 and the cores the OS offers, the same every time", () => {
    const quota = cpuQuota();
    assert.ok(Number.isInteger(quota) && quota >= 1, String(quota));
    assert.ok(quota <= os.availableParallelism());
    assert.equal(cpuQuota(), quota);
  });

  test("answers what the real filesystem root says", () => {
    assert.equal(cpuQuota(), readCpuQuota("/", os.availableParallelism()));
  });
});

describe("readCpuQuota", () => {
  afterEach(() => {
    for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
  });

  test("a v2 container limited to 2 CPUs on a 64-core host gets 2", () => {
    const files = {
      [PROC]: "0::/docker/abc\n",
      [`${V2}/docker/abc/cpu.max`]: "200000 100000\n",
      [`${V2}/docker/cpu.max`]: "max 100000\n",
    };
    assert.equal(quotaOn(files, 64), 2);
  });

  test("a v1 container limited to 2 CPUs on a 64-core host gets 2", () => {
    const files = {
      [PROC]: "12:memory:/docker/abc\n3:cpu:/docker/abc\n1:name=systemd:/docker/abc\n",
      [`${V2}/cpu/docker/abc/cpu.cfs_quota_us`]: "200000\n",
      [`${V2}/cpu/docker/abc/cpu.cfs_period_us`]: "100000\n",
    };
    assert.equal(quotaOn(files, 64), 2);
  });

  test("an unlimited container gets the host's cores (v2 max, v1 -1)", () => {
    const v2 = { [PROC]: "0::/a\n", [`${V2}/a/cpu.max`]: "max 100000\n", [`${V2}/cpu.max`]: "max" };
    assert.equal(quotaOn(v2, 64), 64);
    const v1 = {
      [PROC]: "4:cpu,cpuacct:/a\n",
      [`${V1}/a/cpu.cfs_quota_us`]: "-1\n",
      [`${V1}/a/cpu.cfs_period_us`]: "100000\n",
    };
    assert.equal(quotaOn(v1, 64), 64);
  });

  test("a nested cgroup gets the lowest limit on its way up, whichever level sets it", () => {
    const v2 = {
      [PROC]: "0::/kubepods/pod1/app\n",
      [`${V2}/kubepods/pod1/app/cpu.max`]: "max 100000\n",
      [`${V2}/kubepods/pod1/cpu.max`]: "300000 100000\n",
      [`${V2}/kubepods/cpu.max`]: "800000 100000\n",
    };
    assert.equal(quotaOn(v2, 64), 3);
    const v1 = {
      [PROC]: "4:cpu,cpuacct:/parent/child\n",
      [`${V1}/parent/child/cpu.cfs_quota_us`]: "400000\n",
      [`${V1}/parent/child/cpu.cfs_period_us`]: "100000\n",
      [`${V1}/parent/cpu.cfs_quota_us`]: "100000\n",
      [`${V1}/parent/cpu.cfs_period_us`]: "50000\n",
    };
    assert.equal(quotaOn(v1, 64), 2);
  });

  test("rounds a fractional quota up: 1.5 CPUs gets 2, half a CPU gets 1", () => {
    assert.equal(quotaOn({ [PROC]: "0::/\n", [`${V2}/cpu.max`]: "150000 100000\n" }, 64), 2);
    assert.equal(quotaOn({ [PROC]: "0::/\n", [`${V2}/cpu.max`]: "50000 100000\n" }, 64), 1);
  });

  test("never answers more than the host's cores", () => {
    assert.equal(quotaOn({ [PROC]: "0::/\n", [`${V2}/cpu.max`]: "800000 100000\n" }, 4), 4);
  });

  test("ignores garbage in the cgroup files and takes the next readable limit", () => {
    for (const garbage of ["garbage", "", "100000 0", "0 100000", "0x30d40 100000", "2 1 1"]) {
      const files = {
        [PROC]: "0::/a\n",
        [`${V2}/a/cpu.max`]: garbage,
        [`${V2}/cpu.max`]: "300000 100000",
      };
      assert.equal(quotaOn(files, 64), 3, garbage);
      assert.equal(quotaOn({ [PROC]: "0::/\n", [`${V2}/cpu.max`]: garbage }, 8), 8, garbage);
    }
    assert.equal(quotaOn({ [PROC]: "nonsense\n", [`${V2}/cpu.max`]: "200000 100000" }, 8), 2);
  });

  test("reads v1 files under the combined cpu,cpuacct mount, or its cpu alias", () => {
    for (const mount of [V1, `${V2}/cpu`]) {
      const files = {
        [PROC]: "4:cpu,cpuacct:/docker/abc\n",
        [`${mount}/docker/abc/cpu.cfs_quota_us`]: "250000\n",
        [`${mount}/docker/abc/cpu.cfs_period_us`]: "100000\n",
      };
      assert.equal(quotaOn(files, 64), 3, mount);
    }
  });

  test("falls back to the root files when the container's cgroup path is not under them", () => {
    const v2 = {
      [PROC]: "0::/system.slice/docker-abc.scope\n",
      [`${V2}/cpu.max`]: "200000 100000",
    };
    assert.equal(quotaOn(v2, 64), 2);
    const v1 = {
      [PROC]: "4:cpu,cpuacct:/docker/abc\n",
      [`${V2}/cpu/cpu.cfs_quota_us`]: "200000\n",
      [`${V2}/cpu/cpu.cfs_period_us`]: "100000\n",
    };
    assert.equal(quotaOn(v1, 64), 2);
  });

  test("reads only the root files for a cgroup outside its namespace (a path with ..)", () => {
    const files = {
      [PROC]: "0::/../../outside\n",
      [`${V2}/cpu.max`]: "200000 100000",
      "sys/outside/cpu.max": "100000 100000",
    };
    assert.equal(quotaOn(files, 64), 2);
  });

  test("a host with no cgroup at all gets its cores", () => {
    assert.equal(quotaOn({}, 8), 8);
    assert.equal(quotaOn({ [PROC]: "0::/user.slice\n" }, 8), 8);
  });

  test("without /proc/self/cgroup still reads the root files", () => {
    assert.equal(quotaOn({ [`${V2}/cpu.max`]: "200000 100000\n" }, 64), 2);
  });
});
