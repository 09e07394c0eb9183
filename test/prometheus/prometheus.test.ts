import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { Registry, register } from "prom-client";
import { acknowledged, from } from "../../src/index.js";
import { prometheus } from "../../src/prometheus/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { importGraph } from "../helpers/import-graph.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The value of the exposition line `series` (name and labels as printed), or undefined. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function finishedRun(pipeline: string, registry: Registry) {
  const run = from(range(200))
    .map(
      async (x: number) => {
        if (x % 50 === 1) throw new TypeError(`bad ${x}`);
        return x;
      },
      { name: "work", concurrency: 8, onError: "skip" },
    )
    .filter((x: number) => x % 2 === 0, { name: "even" })
    .run({ metrics: { sampleEvery: 1, maxSamplesPerSecond: Infinity } });
  const unexpose = prometheus(run, { registry, pipeline });
  await run.drain();
  return { run, unexpose, summary: await run.settled };
}

describe("prometheus()", () => {
  test("exposes each stage's counters by outcome, agreeing with the summary, and its gauges", async () => {
    const registry = new Registry();
    const { summary, unexpose } = await finishedRun("ingest", registry);
    const text = await registry.metrics();
    for (const stage of summary.stages) {
      const labels = `pipeline="ingest",stage="${stage.name}"`;
      for (const outcome of ["in", "out", "filtered", "failed", "cancelled", "shed"] as const) {
        assert.equal(
          valueOf(text, `sluice_stage_items_total{${labels},outcome="${outcome}"}`),
          stage[outcome],
          `${stage.name} ${outcome}`,
        );
      }
      assert.equal(valueOf(text, `sluice_stage_in_flight{${labels}}`), 0);
      assert.equal(valueOf(text, `sluice_stage_limit{${labels}}`), stage.limit);
      assert.equal(valueOf(text, `sluice_stage_queue_depth{${labels}}`), 0);
    }
    assert.match(text, /# TYPE sluice_stage_items_total counter/);
    assert.match(text, /# TYPE sluice_stage_duration_seconds histogram/);
    unexpose();
  });

  test("histograms are real: cumulative buckets in seconds, +Inf equal to _count, and _sum", async () => {
    const registry = new Registry();
    const { run, unexpose } = await finishedRun("p", registry);
    const text = await registry.metrics();
    const labels = 'pipeline="p",stage="work"';
    const buckets = text
      .split("\n")
      .filter((l) => l.startsWith(`sluice_stage_duration_seconds_bucket{${labels},le=`))
      .map((l) => Number(l.slice(l.lastIndexOf(" ") + 1)));
    assert.equal(buckets.length, 19, "18 bounds and +Inf");
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]! >= buckets[i - 1]!);
    const processing = run.metrics().stages[0]!.processingMs;
    assert.equal(buckets.at(-1), processing.count);
    assert.equal(valueOf(text, `sluice_stage_duration_seconds_count{${labels}}`), 200);
    assert.ok(
      Math.abs(
        valueOf(text, `sluice_stage_duration_seconds_sum{${labels}}`)! - processing.sumMs / 1000,
      ) < 1e-9,
    );
    assert.match(
      text,
      /sluice_stage_duration_seconds_bucket\{pipeline="p",stage="work",le="0\.001024"\} \d+/,
    );
    unexpose();
  });

  test("several runs share a registry by their pipeline label; the last one out unregisters", async () => {
    const registry = new Registry();
    const a = await finishedRun("a", registry);
    const b = await finishedRun("b", registry);
    let text = await registry.metrics();
    assert.equal(
      valueOf(text, 'sluice_stage_items_total{pipeline="a",stage="work",outcome="in"}'),
      200,
    );
    assert.equal(
      valueOf(text, 'sluice_stage_items_total{pipeline="b",stage="work",outcome="in"}'),
      200,
    );
    a.unexpose();
    a.unexpose(); // twice: no effect
    text = await registry.metrics();
    assert.equal(
      valueOf(text, 'sluice_stage_items_total{pipeline="a",stage="work",outcome="in"}'),
      undefined,
    );
    assert.equal(
      valueOf(text, 'sluice_stage_items_total{pipeline="b",stage="work",outcome="in"}'),
      200,
    );
    b.unexpose();
    assert.equal(registry.getSingleMetric("sluice_stage_items_total"), undefined);
  });

  test("a live run's figures move between scrapes", async () => {
    const registry = new Registry();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = from(range(10))
      .map(
        async (x: number) => {
          if (x === 5) await gate;
          return x;
        },
        { name: "work", concurrency: 1 },
      )
      .run();
    const unexpose = prometheus(run, { registry });
    const done = run.drain();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const during = await registry.metrics();
    assert.equal(valueOf(during, 'sluice_stage_in_flight{pipeline="pipeline",stage="work"}'), 1);
    release();
    await done;
    const after = await registry.metrics();
    assert.equal(
      valueOf(after, 'sluice_stage_items_total{pipeline="pipeline",stage="work",outcome="out"}'),
      10,
    );
    unexpose();
  });

  test("uses prom-client's default registry when none is given", async () => {
    const run = from([1])
      .map((x: number) => x, { name: "one" })
      .run();
    const unexpose = prometheus(run);
    await run.drain();
    assert.match(
      await register.metrics(),
      /sluice_stage_items_total\{pipeline="pipeline",stage="one",outcome="out"\} 1/,
    );
    unexpose();
    assert.equal(register.getSingleMetric("sluice_stage_items_total"), undefined);
  });

  test("bad arguments throw the option error at once", () => {
    const run = from([1])
      .map((x: number) => x)
      .run();
    assertInvalid(
      () => prometheus({} as never),
      "Expected `prometheus(run)` to be a run (an object with metrics()), got `{}` (object)",
      "prometheus(run)",
    );
    assertInvalid(
      () => prometheus(run, { pipeline: "" }),
      'Expected `prometheus.pipeline` to be a non-empty string, got `""` (string)',
      "prometheus.pipeline",
    );
    assertInvalid(
      () => prometheus(run, { registry: {} as never }),
      "Expected `prometheus.registry` to be a prom-client Registry, got `{}` (object)",
      "prometheus.registry",
    );
    assertInvalid(
      () => prometheus(run, { registy: 1 } as never),
      "Unknown option `prometheus.registy`; did you mean `registry`? Known options: registry, pipeline",
      "prometheus.registy",
    );
    void run.cancel();
  });
});

describe("prometheus() on a broker worker", () => {
  test("exposes the source's deliveries and lag as sluice_source_deliveries{pipeline,kind}", async () => {
    const registry = new Registry();
    const source = acknowledged(() => [1, 2, 3].map((value) => ({ value, ack() {}, nack() {} })));
    const run = from(source)
      .filter((x: number) => x !== 2)
      .run();
    const unexpose = prometheus(run, { registry, pipeline: "worker" });
    await run.drain();
    const text = await registry.metrics();
    assert.equal(valueOf(text, 'sluice_source_deliveries{pipeline="worker",kind="received"}'), 3);
    assert.equal(valueOf(text, 'sluice_source_deliveries{pipeline="worker",kind="acked"}'), 3);
    assert.equal(valueOf(text, 'sluice_source_deliveries{pipeline="worker",kind="inFlight"}'), 0);
    unexpose();
  });
});

describe("sluice/prometheus is a subpath of its own", () => {
  test('import "sluice" loads neither prom-client nor the prometheus code', () => {
    const { modules, packages } = importGraph();
    assert.ok(modules.includes("pipeline/pipeline.js"));
    assert.deepEqual(
      modules.filter((f) => f.startsWith("prometheus/")),
      [],
    );
    assert.ok(!packages.includes("prom-client"), `the core imports ${packages.join(", ")}`);
  });

  test("the package exports it as sluice/prometheus", () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { exports: Record<string, Record<string, string>>; dependencies: Record<string, string> };
    assert.deepEqual(pkg.exports["./prometheus"], {
      types: "./dist/prometheus/index.d.ts",
      default: "./dist/prometheus/index.js",
    });
    assert.ok(pkg.dependencies["prom-client"] !== undefined);
  });
});
