import { existsSync, readdirSync, readlinkSync } from "node:fs";

/** Whether this system lists a process's descriptors in /proc (Linux). */
export const hasProc = existsSync("/proc/self/fd");

/** How many of this process's file descriptors are open on `path` (Linux: /proc). */
export function openDescriptors(path: string): number {
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) count++;
    } catch {
      // The descriptor readdir itself used is gone already.
    }
  }
  return count;
}
