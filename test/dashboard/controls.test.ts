import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { type ControlName, runControl } from "../../src/dashboard/controls.js";
import { aimd, from } from "../../src/index.js";

/** A request whose body is `text`. */
function body(text: string): IncomingMessage {
  return Readable.from([Buffer.from(text)]) as unknown as IncomingMessage;
}

/** A run that is never started: its controls work before it starts, with no timers. */
function pipelineRun() {
  return from([1, 2, 3])
    .map((x) => x, { name: "fetch", concurrency: 4 })
    .map((x) => x, { name: "adaptive", concurrency: aimd({ min: 1, max: 8 }) })
    .batch({ size: 2, name: "group" })
    .forEach(() => {}, { name: "sink" })
    .run();
}

function limitOf(run: ReturnType<typeof pipelineRun>, stage: string): number | undefined {
  return run.metrics().stages.find((s) => s.name === stage)?.limit;
}

async function control(name: ControlName, text: string, run = pipelineRun()) {
  return { run, ...(await runControl(run, name, body(text))) };
}

describe("runControl", () => {
  test("pause and resume pause and resume the whole run, and answer its state", async () => {
    const run = pipelineRun();
    assert.deepEqual(await runControl(run, "pause", body("{}")), {
      status: 200,
      body: { paused: true },
    });
    assert.equal(run.paused, true);
    assert.deepEqual(await runControl(run, "resume", body("")), {
      status: 200,
      body: { paused: false },
    });
    assert.equal(run.paused, false);
  });

  test("concurrency sets the stage's width: its limit in metrics changes", async () => {
    // A started run (held by a pause): before it starts, metrics report the built widths.
    const run = pipelineRun();
    run.pause();
    const drained = run.drain().catch(() => undefined);
    try {
      const { status, body: answer } = await control(
        "concurrency",
        '{"stage":"fetch","concurrency":9}',
        run,
      );
      assert.equal(status, 200);
      assert.deepEqual(answer, { stage: "fetch", limit: 9 });
      assert.equal(limitOf(run, "fetch"), 9);
    } finally {
      await run.cancel();
      await drained;
    }
  });

  test("an unknown stage is a 400 that lists the stages", async () => {
    const {
      run,
      status,
      body: answer,
    } = await control("concurrency", '{"stage":"nope","concurrency":2}');
    assert.equal(status, 400);
    assert.equal(
      answer.error,
      'Expected `stage` to be the name of one of the pipeline\'s stages (fetch, adaptive, group, sink), got `"nope"` (string)',
    );
    assert.equal(limitOf(run, "fetch"), 4);
  });

  const badWidths: [string, string][] = [
    ["2.5", "`2.5` (number)"],
    ['"8"', '`"8"` (string)'],
    ["0", "`0` (number)"],
    ["-3", "`-3` (number)"],
    ["null", "`null` (null)"],
    ["1e300", "`1e+300` (number)"],
  ];
  for (const [width, shown] of badWidths) {
    test(`a width of ${width} is a 400 naming the value`, async () => {
      const {
        run,
        status,
        body: answer,
      } = await control("concurrency", `{"stage":"fetch","concurrency":${width}}`);
      assert.equal(status, 400);
      assert.equal(answer.error, `Expected \`concurrency\` to be an integer >= 1, got ${shown}`);
      assert.equal(limitOf(run, "fetch"), 4);
    });
  }

  test("a missing width is a 400 too", async () => {
    const { status, body: answer } = await control("concurrency", '{"stage":"fetch"}');
    assert.equal(status, 400);
    assert.match(answer.error!, /^Expected `concurrency` to be an integer >= 1, got `undefined`/);
  });

  test("what setConcurrency refuses (an adaptive limiter, a batch stage) is a 400 with its message", async () => {
    const adaptive = await control("concurrency", '{"stage":"adaptive","concurrency":2}');
    assert.equal(adaptive.status, 400);
    assert.match(adaptive.body.error!, /Stage "adaptive" has an adaptive limiter/);
    const batch = await control("concurrency", '{"stage":"group","concurrency":2}');
    assert.equal(batch.status, 400);
    assert.match(batch.body.error!, /the name of a map, filter, flatMap, tap or forEach stage/);
  });

  test("a body that is not a JSON object is a 400", async () => {
    const notJson = await control("pause", "pause!");
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.error!, /^The request body is not JSON: /);
    assert.equal(notJson.run.paused, false);
    const array = await control("concurrency", "[1]");
    assert.equal(array.status, 400);
    assert.equal(
      array.body.error,
      "Expected the request body to be a JSON object, got `[1]` (array)",
    );
  });

  test("a body over 4 KB is refused unparsed", async () => {
    const { status, body: answer } = await control("pause", `{"x":"${"a".repeat(5_000)}"}`);
    assert.equal(status, 400);
    assert.equal(answer.error, "The request body is over 4096 bytes");
  });
});
