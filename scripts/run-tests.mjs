#!/usr/bin/env node
// Runs every compiled `*.test.js` under build/test with Node's test runner. Node 20 takes no
// glob patterns and would treat every file under a `test/` folder (helpers too) as a test.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const only = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith(".test.js")) files.push(path);
  }
})("build/test");
const selected = only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o))) : files;
if (selected.length === 0) {
  console.error("No test files matched", only);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--test", "--test-concurrency=2", "--enable-source-maps", ...selected.sort()],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
