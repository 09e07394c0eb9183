import assert from "node:assert/strict";
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import { afterEach, describe, mock, test } from "node:test";
import { cpuQuota } from "../../src/index.js";

type CpuQuotaModule = typeof import("../../src/internal/cpu-quota.js");

let copies = 0;

/**
 * Loads a fresh copy of the module (its cache empty) that sees `files` as the cgroup
 * filesystem and `cores` as the cores the OS offers. Node's builtin named exports follow
 * the patched module objects after `syncBuiltinESMExports()`.
 */
async function quotaWith(files: Record<string, string>, cores: number): Promise<number> {
  mock.method(fs, "readFileSync", (path: unknown) => {
    const text = files[String(path)];
    if (text === undefined) {
      throw Object.assign(new Error(`ENOENT: ${String(path)}`), { code: "ENOENT" });
    }
    return text;
  });
  mock.method(os, "availableParallelism", () => cores);
  syncBuiltinESMExports();
  const url = new URL("../../src/internal/cpu-quota.js", import.meta.url);
  url.searchParams.set("copy", String(++copies));
  const module = (await import(url.href)) as CpuQuotaModule;
  return module.cpuQuota();
}

const V2 = "/sys/fs/cgroup/cpu.max";
const V1_QUOTA = "/sys/fs/cgroup/cpu/cpu.cfs_quota_us";
const V1_PERIOD = "/sys/fs/cgroup/cpu/cpu.cfs_period_us";

describe("cpuQuota", () => {
  afterEach(() => {
    mock.restoreAll();
    syncBuiltinESMExports();
  });

  test("answers a whole number between 1 and the cores the OS offers, the same every time", () => {
    const quota = cpuQuota();
    assert.ok(Number.isInteger(quota) && quota >= 1, String(quota));
    assert.ok(quota <= os.availableParallelism());
    assert.equal(cpuQuota(), quota);
  });

  test("takes the cgroup v2 quota over the host's core count", async () => {
    assert.equal(await quotaWith({ [V2]: "200000 100000\n" }, 64), 2);
  });

  test("rounds a fractional quota up", async () => {
    assert.equal(await quotaWith({ [V2]: "150000 100000\n" }, 64), 2);
    assert.equal(await quotaWith({ [V2]: "50000 100000\n" }, 64), 1);
  });

  test("never answers more than the cores the OS offers", async () => {
    assert.equal(await quotaWith({ [V2]: "800000 100000\n" }, 4), 4);
  });

  test("an unlimited v2 quota (max) answers the cores", async () => {
    assert.equal(await quotaWith({ [V2]: "max 100000\n" }, 12), 12);
  });

  test("reads the cgroup v1 quota and period when there is no v2 file", async () => {
    assert.equal(await quotaWith({ [V1_QUOTA]: "300000\n", [V1_PERIOD]: "100000\n" }, 64), 3);
  });

  test("an unlimited v1 quota (-1) answers the cores", async () => {
    assert.equal(await quotaWith({ [V1_QUOTA]: "-1\n", [V1_PERIOD]: "100000\n" }, 6), 6);
  });

  test("answers the cores without cgroup files or with unreadable contents", async () => {
    assert.equal(await quotaWith({}, 8), 8);
    assert.equal(await quotaWith({ [V2]: "garbage" }, 8), 8);
    assert.equal(await quotaWith({ [V2]: "100000 0" }, 8), 8);
  });

  test("reads the filesystem once and answers from its cache after that", async () => {
    await quotaWith({ [V2]: "200000 100000" }, 64);
    const reads = (fs.readFileSync as unknown as ReturnType<typeof mock.fn>).mock.callCount();
    const url = new URL("../../src/internal/cpu-quota.js", import.meta.url);
    url.searchParams.set("copy", String(copies));
    const module = (await import(url.href)) as CpuQuotaModule;
    assert.equal(module.cpuQuota(), 2);
    assert.equal(
      (fs.readFileSync as unknown as ReturnType<typeof mock.fn>).mock.callCount(),
      reads,
    );
  });
});
