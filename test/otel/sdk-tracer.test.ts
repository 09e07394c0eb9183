import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { trace } from "@opentelemetry/api";
import { AlwaysOffSampler } from "@opentelemetry/sdk-trace-base";
import { type CallTracer, from, type TracedStage } from "../../src/index.js";
import { otel } from "../../src/otel/index.js";
import { recorder } from "./span-recorder.js";

interface Row {
  readonly id: number;
}

describe("otel() and the registered SDK", () => {
  const stage: TracedStage = { name: "a", position: 0, kind: "map", threads: false, run: {} };

  test("with no SDK registered, every stage runs bare: forStage answers undefined", async () => {
    trace.disable();
    const tracing = otel();
    assert.equal(tracing.forStage(stage), undefined);
    let calls = 0;
    const seen: CallTracer = {
      forStage: (s) => {
        const hook = tracing.forStage(s);
        if (hook !== undefined) calls++;
        return hook;
      },
    };
    await from([{ id: 1 }])
      .map((row: Row) => row)
      .run({ trace: seen })
      .drain();
    assert.equal(calls, 0);
  });

  test("a registered SDK gets the spans, from a tracer named sluice with the package's version", async () => {
    const { provider, spans } = recorder();
    trace.setGlobalTracerProvider(provider);
    try {
      await from([{ id: 1 }])
        .map((row: Row) => row, { name: "a" })
        .run({ trace: otel() })
        .drain();
    } finally {
      trace.disable();
    }
    const all = spans();
    assert.equal(all.length, 2);
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    for (const span of all) {
      assert.equal(span.instrumentationScope.name, "sluice");
      assert.equal(span.instrumentationScope.version, pkg.version);
    }
    assert.equal(otel().forStage(stage), undefined, "unregistered again");
  });

  test("a tracer passed in is used as given, SDK registered or not", () => {
    trace.disable();
    const { tracer, spans } = recorder();
    const hook = otel({ tracer }).forStage(stage);
    assert.ok(hook);
    hook.start({ id: 1 }, { index: 0, attempt: 1, slot: 0 })!.ok(1);
    assert.equal(spans().length, 2);
  });

  test("a trace the SDK's sampler drops is left out whole", () => {
    const { tracer, spans } = recorder(new AlwaysOffSampler());
    const hook = otel({ tracer }).forStage(stage)!;
    assert.equal(hook.start({ id: 1 }, { index: 0, attempt: 1, slot: 0 }), undefined);
    assert.equal(spans().length, 0);
  });
});
