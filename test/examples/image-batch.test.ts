import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import sharp from "sharp";
import { runExample, runScript } from "./run-example.js";

const IMAGES = 8;

describe("examples/image-batch", () => {
  test("every image decoded, resized to three widths and encoded on thread stages, the decoded images held few at a time", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-images-"));
    try {
      const size = ["--dir", dir, "--width", "640", "--height", "480"];
      await runScript("image-batch/generate.js", [...size, "--images", String(IMAGES)]);
      const run = await runExample("image-batch", ["--dir", dir], { timeoutMs: 60_000 });
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout) as {
        outcome: string;
        stages: {
          name: string;
          in: number;
          out: number;
          emitted: number;
          maxInFlight: number;
          failed: number;
        }[];
      };
      assert.equal(summary.outcome, "completed");
      const stage = (name: string) => summary.stages.find((s) => s.name === name)!;
      assert.equal(stage("decode").out, IMAGES);
      assert.equal(stage("resize").emitted, IMAGES * 3);
      assert.equal(stage("encode").out, IMAGES * 3);
      assert.ok(
        stage("decode").maxInFlight <= 1,
        "one decoded image in the decode stage at a time",
      );
      const files = (await readdir(join(dir, "output"))).sort();
      assert.equal(files.length, IMAGES * 3);
      for (const width of [1280, 640, 160]) {
        const file = files.find((name) => name.endsWith(`-${width}.jpg`))!;
        const meta = await sharp(join(dir, "output", file)).metadata();
        assert.equal(meta.format, "jpeg");
        // Resizing keeps the aspect ratio (4:3); sharp enlarges to 1280 as asked.
        assert.deepEqual([meta.width, meta.height], [width, (width * 3) / 4]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("bad arguments are refused, naming the option", async () => {
    const run = await runExample("image-batch", ["--encode-threads", "none"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Expected --encode-threads to be an integer >= 1, got "none"/);
  });
});
