import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { startProgress } from "../../src/cli/progress-reporter.js";
import type { TerminalOutput } from "../../src/cli/terminal.js";
import type { RunSummary } from "../../src/index.js";
import { runSummary, stageStats } from "./fixtures.js";

class FakeOutput implements TerminalOutput {
  readonly writes: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
  ) {}
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
}

/** A run that pulls 1,000 items per virtual second. */
function fakeRun(): () => RunSummary {
  let reads = 0;
  return () => {
    reads++;
    const durationMs = reads * 150;
    return runSummary({
      outcome: "running",
      durationMs,
      pulled: durationMs,
      stages: [stageStats()],
    });
  };
}

describe("startProgress", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setInterval"] }));
  afterEach(() => mock.timers.reset());

  test("on a terminal, redraws the block in place every 150 ms", () => {
    const output = new FakeOutput(true);
    const progress = startProgress(fakeRun(), output);
    mock.timers.tick(149);
    assert.equal(output.writes.length, 0);
    mock.timers.tick(1);
    assert.equal(output.writes.length, 1);
    // The first frame moves nowhere; later frames go back up over the 3 lines drawn.
    assert.ok(output.writes[0]!.startsWith("\u001b[2Krunning 0.1s"), output.writes[0]);
    mock.timers.tick(150);
    assert.ok(output.writes[1]!.startsWith("\r\u001b[3A\u001b[2Krunning 0.3s"), output.writes[1]);
    progress.stop();
  });

  test("on a terminal, stop() erases the block", () => {
    const output = new FakeOutput(true);
    const progress = startProgress(fakeRun(), output);
    mock.timers.tick(150);
    progress.stop();
    assert.equal(output.writes.at(-1), "\r\u001b[3A\u001b[0J");
  });

  test("elsewhere, prints one plain line a second", () => {
    const output = new FakeOutput(false);
    const progress = startProgress(fakeRun(), output);
    mock.timers.tick(2_999);
    assert.equal(output.writes.length, 2);
    for (const line of output.writes) {
      assert.match(line, /^\[\d\.\ds\] pulled .*\n$/);
      assert.ok(!line.includes("\u001b"), line);
    }
    progress.stop();
  });

  test("stop() leaves no timer behind and writes nothing when nothing was drawn", () => {
    const output = new FakeOutput(true);
    const progress = startProgress(fakeRun(), output);
    progress.stop();
    progress.stop();
    mock.timers.tick(10_000);
    assert.deepEqual(output.writes, []);
  });

  test("averages rates over the rate window, not since the last frame", () => {
    const output = new FakeOutput(false);
    let reads = 0;
    // 1,000 items in the first second, then none: a window of 1 s shows the stall at 2 s.
    const read = () => {
      reads++;
      const durationMs = reads * 1_000;
      return runSummary({ outcome: "running", durationMs, pulled: 1_000, stages: [] });
    };
    const progress = startProgress(read, output, { rateWindowMs: 1_000 });
    mock.timers.tick(3_000);
    progress.stop();
    assert.deepEqual(output.writes, [
      "[1.0s] pulled 1,000 (1.00k/s)\n",
      "[2.0s] pulled 1,000 (0/s)\n",
      "[3.0s] pulled 1,000 (0/s)\n",
    ]);
  });
});
