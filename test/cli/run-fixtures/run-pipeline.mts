// A pipeline module for `sluice run` tests. Arguments: a mode ("ok", "skip", "fail",
// "hang") and how many items.
import { from } from "../../../src/index.js";

export default (args: readonly string[]) => {
  const mode = args[0] ?? "ok";
  const items = Number(args[1] ?? 100);
  return from(Array.from({ length: items }, (_, i) => i))
    .map(
      async (x: number, { signal }) => {
        if (mode === "fail" && x === 3) throw new Error(`item ${x} is broken`);
        if (mode === "skip" && x % 10 === 0) throw new TypeError(`item ${x} skipped`);
        if (mode === "hang") {
          if (x === 0) process.stderr.write("working\n");
          // A timer keeps the process alive while it waits, as a real call's socket would.
          await new Promise((_resolve, reject) => {
            const alive = setInterval(() => {}, 1_000);
            signal.addEventListener("abort", () => {
              clearInterval(alive);
              reject(signal.reason as Error);
            });
          });
        }
        return x * 2;
      },
      { name: "double", concurrency: 4, onError: mode === "skip" ? "skip" : "fail" },
    )
    .forEach(() => {}, { name: "sink" });
};
