import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { invalid } from "../internal/validate.js";
import type { CheckpointState, CheckpointStore } from "./checkpoint-store.js";

/**
 * A checkpoint store in a JSON file. Each save writes a temporary file beside it, flushes it
 * to disk and renames it over the old one: a process killed during a save leaves the old
 * state or the new one, never half a file.
 *
 * @example
 * from(items, { checkpoint: checkpoint(fileCheckpoint("./import.checkpoint.json")) })
 * @throws {InvalidOptionError} when `path` is not a non-empty string.
 */
export function fileCheckpoint<P = unknown>(path: string): CheckpointStore<P> {
  if (typeof path !== "string" || path.length === 0) {
    throw invalid("fileCheckpoint(path)", "a file path (a non-empty string)", path);
  }
  const file = resolve(path);
  return Object.freeze({
    description: `the file ${file}`,
    async load(): Promise<CheckpointState<P> | undefined> {
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
      try {
        return JSON.parse(text) as CheckpointState<P>;
      } catch (error) {
        throw new Error(`${file} does not hold JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    async save(state: CheckpointState<P>): Promise<void> {
      const text = JSON.stringify({ position: state.position ?? null, done: state.done });
      const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      await mkdir(dirname(file), { recursive: true });
      const handle = await open(temporary, "w");
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temporary, file);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
    async clear(): Promise<void> {
      await rm(file, { force: true });
    },
  });
}
