import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  type Context,
  type ContextManager,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
} from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { from, type TracedStage } from "../../src/index.js";
import { otel } from "../../src/otel/index.js";
import { importGraph } from "../helpers/import-graph.js";
import { recorder } from "./span-recorder.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const traceId = (span: ReadableSpan): string => span.spanContext().traceId;
const spanId = (span: ReadableSpan): string => span.spanContext().spanId;
const parentId = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const byStage = (spans: readonly ReadableSpan[], stage: string): ReadableSpan[] =>
  spans.filter((span) => span.attributes["sluice.stage"] === stage);
const roots = (spans: readonly ReadableSpan[]): ReadableSpan[] =>
  spans.filter((span) => span.name === "sluice item");

/** The spans of each trace, by trace id. */
function traces(spans: readonly ReadableSpan[]): Map<string, ReadableSpan[]> {
  const byTrace = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const list = byTrace.get(traceId(span)) ?? [];
    list.push(span);
    byTrace.set(traceId(span), list);
  }
  return byTrace;
}

/** The trace of one item as the chain of span names from its root down, one child each. */
function chain(spans: readonly ReadableSpan[]): string[] {
  const root = spans.find((span) => span.parentSpanContext === undefined);
  assert.ok(root, "a root span");
  const names = [root.name];
  for (let at = root; ;) {
    const children = spans.filter((span) => parentId(span) === spanId(at));
    if (children.length === 0) return names;
    assert.equal(children.length, 1, `one child of ${at.name}`);
    at = children[0]!;
    names.push(at.name);
  }
}

interface Row {
  readonly id: number;
}

describe("otel()", () => {
  test("one span per item per stage, named for it, with the call's attributes", async () => {
    const { tracer, spans } = recorder();
    const out = await from(range(10).map((id): Row => ({ id })))
      .map((row: Row) => ({ id: row.id * 10 }), { name: "scale", concurrency: 3 })
      .filter((row: Row) => row.id % 20 === 0, { name: "even" })
      .tap(() => {}, { name: "look" })
      .run({ trace: otel({ tracer, pipeline: "ingest" }) })
      .collect();
    assert.equal(out.length, 5);
    const all = spans();
    assert.equal(roots(all).length, 10);
    assert.equal(byStage(all, "scale").length, 10);
    assert.equal(byStage(all, "even").length, 10);
    assert.equal(byStage(all, "look").length, 5, "only kept items reach the tap");
    assert.equal(all.length, 35);
    for (const span of all) {
      assert.equal(span.kind, SpanKind.INTERNAL);
      assert.equal(span.attributes["sluice.pipeline"], "ingest");
      assert.equal(span.status.code, SpanStatusCode.UNSET);
    }
    const scale = byStage(all, "scale");
    assert.deepEqual(
      scale.map((span) => span.attributes["sluice.index"]).sort((a, b) => Number(a) - Number(b)),
      range(10),
    );
    for (const span of scale) {
      assert.equal(span.name, "scale");
      assert.equal(span.attributes["sluice.stage.kind"], "map");
      assert.equal(span.attributes["sluice.attempt"], 1);
      const slot = span.attributes["sluice.slot"];
      assert.ok(typeof slot === "number" && slot >= 0 && slot < 3, `slot ${slot}`);
      assert.equal(span.attributes["sluice.thread_id"], undefined);
    }
    const even = byStage(all, "even");
    assert.ok(even.every((span) => span.attributes["sluice.stage.kind"] === "filter"));
    assert.equal(even.filter((span) => span.attributes["sluice.filter.kept"] === true).length, 5);
    assert.equal(even.filter((span) => span.attributes["sluice.filter.kept"] === false).length, 5);
    for (const root of roots(all)) {
      assert.equal(root.kind, SpanKind.INTERNAL);
      assert.equal(typeof root.attributes["sluice.index"], "number");
      assert.equal(root.parentSpanContext, undefined);
    }
  });

  test("an object's spans across three stages are one trace, each stage the child of the one before", async () => {
    const { tracer, spans } = recorder();
    await from(range(6).map((id): Row => ({ id })))
      .map(async (row: Row) => ({ id: row.id + 1 }), { name: "a", concurrency: 4 })
      .filter(() => true, { name: "b" })
      .forEach(async () => {}, { name: "c", concurrency: 2 })
      .run({ trace: otel({ tracer }) });
    const byTrace = traces(spans());
    assert.equal(byTrace.size, 6, "a trace per item");
    for (const trace of byTrace.values()) {
      assert.deepEqual(chain(trace), ["sluice item", "a", "b", "c"]);
      assert.equal(trace.length, 4);
      const [a, b, c] = ["a", "b", "c"].map((name) => trace.find((span) => span.name === name)!);
      assert.equal(a!.attributes["sluice.index"], b!.attributes["sluice.index"]);
      assert.equal(b!.attributes["sluice.index"], c!.attributes["sluice.index"]);
    }
  });

  test("non-function stages that pass items on unchanged keep the link", async () => {
    const { tracer, spans } = recorder();
    await from(range(8).map((id): Row => ({ id })))
      .map((row: Row) => row, { name: "a" })
      .drop(2)
      .take(4)
      .tap(() => {}, { name: "b" })
      .run({ trace: otel({ tracer }) })
      .drain();
    const byTrace = traces(spans());
    assert.equal(byTrace.size, 8);
    const chains = [...byTrace.values()].map(chain);
    assert.equal(chains.filter((c) => c.join() === "sluice item,a,b").length, 4);
  });

  test("a retried call's attempts are siblings under the same parent, at the first stage and after", async () => {
    const { tracer, spans } = recorder();
    const summary = await from([{ id: 1 }, { id: 2 }])
      .map(
        (row: Row, ctx) => {
          if (row.id === 1 && ctx.attempt === 1) throw new Error("first try");
          return row;
        },
        { name: "fetch", retry: { attempts: 3, backoff: 1 } },
      )
      .map(
        (row: Row, ctx) => {
          if (row.id === 2 && ctx.attempt < 3) throw new Error(`try ${ctx.attempt}`);
          return row;
        },
        { name: "save", retry: { attempts: 3, backoff: 1 } },
      )
      .run({ trace: otel({ tracer }) });
    assert.equal(summary.outcome, "completed");
    const all = spans();
    assert.equal(traces(all).size, 2);
    const fetch = byStage(all, "fetch").filter((span) => span.attributes["sluice.index"] === 0);
    assert.deepEqual(
      fetch.map((span) => span.attributes["sluice.attempt"]).sort(),
      [1, 2],
      "fetch of item 1 took two attempts",
    );
    assert.equal(parentId(fetch[0]!), parentId(fetch[1]!));
    const root = roots(all).find((span) => traceId(span) === traceId(fetch[0]!))!;
    assert.equal(parentId(fetch[0]!), spanId(root));
    const save = byStage(all, "save").filter((span) => traceId(span) !== traceId(fetch[0]!));
    assert.deepEqual(save.map((span) => span.attributes["sluice.attempt"]).sort(), [1, 2, 3]);
    assert.equal(new Set(save.map(parentId)).size, 1, "one parent");
    const parent = all.find((span) => spanId(span) === parentId(save[0]!))!;
    assert.equal(parent.name, "fetch");
    assert.equal(save.filter((span) => span.status.code === SpanStatusCode.ERROR).length, 2);
  });

  test("a failed call's span has status ERROR with the message and records the exception", async () => {
    const { tracer, spans } = recorder();
    const summary = await from([{ id: 1 }, { id: 2 }])
      .map(
        async (row: Row) => {
          if (row.id === 2) throw new TypeError("bad row 2");
          return row;
        },
        { name: "parse", onError: "skip" },
      )
      .forEach(() => {}, { name: "save" })
      .run({ trace: otel({ tracer }) });
    assert.equal(summary.stages[0]!.failed, 1);
    const all = spans();
    const failed = byStage(all, "parse").filter(
      (span) => span.status.code !== SpanStatusCode.UNSET,
    );
    assert.equal(failed.length, 1);
    assert.deepEqual(failed[0]!.status, { code: SpanStatusCode.ERROR, message: "bad row 2" });
    const event = failed[0]!.events.find((e) => e.name === "exception");
    assert.ok(event, "an exception event");
    assert.equal(event.attributes?.["exception.type"], "TypeError");
    assert.equal(event.attributes?.["exception.message"], "bad row 2");
    assert.equal(byStage(all, "save").length, 1, "the failed item goes no further");
    const thrown = await from([{ id: 1 }])
      .map(
        () => {
          throw "a string";
        },
        { name: "sync", onError: "skip" },
      )
      .run({ trace: otel({ tracer }) });
    assert.equal(thrown.stages[0]!.failed, 1);
    const sync = byStage(spans(), "sync")[0]!;
    assert.deepEqual(sync.status, { code: SpanStatusCode.ERROR, message: "a string" });
  });

  test("different items have different traces; a map's new object is linked, a primitive result is not", async () => {
    const { tracer, spans } = recorder();
    await from(range(4).map((id): Row => ({ id })))
      .map((row: Row) => (row.id % 2 === 0 ? { id: row.id } : row.id), { name: "shape" })
      .tap(() => {}, { name: "after" })
      .run({ trace: otel({ tracer }) })
      .drain();
    const all = spans();
    assert.equal(traces(all).size, 4);
    const after = byStage(all, "after");
    assert.equal(after.length, 2, "only the objects are traced after the map");
    for (const span of after) {
      const parent = all.find((s) => spanId(s) === parentId(span))!;
      assert.equal(parent.name, "shape");
      assert.equal(parent.attributes["sluice.index"], span.attributes["sluice.index"]);
    }
  });

  test("primitive items are traced at the first stage only, a trace per call", async () => {
    const { tracer, spans } = recorder();
    await from(range(5))
      .map(
        (x: number, ctx) => {
          if (x === 3 && ctx.attempt === 1) throw new Error("again");
          return x + 1;
        },
        { name: "inc", retry: { attempts: 2, backoff: 1 } },
      )
      .tap(() => {}, { name: "later" })
      .run({ trace: otel({ tracer }) })
      .drain();
    const all = spans();
    assert.equal(byStage(all, "later").length, 0);
    assert.equal(byStage(all, "inc").length, 6, "five items, one retried");
    const byTrace = traces(all);
    assert.equal(byTrace.size, 6);
    for (const trace of byTrace.values()) assert.deepEqual(chain(trace), ["sluice item", "inc"]);
  });

  test("a flatMap links each object of an array it returns; a generator's values go on unlinked", async () => {
    const { tracer, spans } = recorder();
    await from([{ id: 1 }, { id: 2 }])
      .flatMap((row: Row) => [{ id: row.id * 10 }, { id: row.id * 10 + 1 }, 7], { name: "split" })
      .filter((value: unknown) => typeof value === "object", { name: "objects" })
      .run({ trace: otel({ tracer }) })
      .drain();
    const all = spans();
    const byTrace = traces(all);
    assert.equal(byTrace.size, 2);
    for (const trace of byTrace.values()) {
      assert.equal(trace.length, 4, "root, split, and a filter span per object");
      const split = trace.find((span) => span.name === "split")!;
      const objects = trace.filter((span) => span.name === "objects");
      assert.ok(objects.every((span) => parentId(span) === spanId(split)));
    }
    const generated = recorder();
    await from([{ id: 1 }])
      .flatMap(
        function* (row: Row) {
          yield { id: row.id };
        },
        { name: "gen" },
      )
      .tap(() => {}, { name: "next" })
      .run({ trace: otel({ tracer: generated.tracer }) })
      .drain();
    assert.deepEqual(
      generated.spans().map((span) => span.name),
      ["sluice item", "gen"],
    );
  });

  test("sampleRatio 0 leaves every stage bare; 0.5 traces some items, each one whole", async () => {
    const { tracer, spans } = recorder();
    const none = otel({ tracer, sampleRatio: 0 });
    assert.equal(
      none.forStage({ name: "a", position: 0, kind: "map", threads: false, run: {} }),
      undefined,
    );
    await from(range(20).map((id): Row => ({ id })))
      .map((row: Row) => row, { name: "a" })
      .run({ trace: none })
      .drain();
    assert.equal(spans().length, 0);

    const half = recorder();
    await from(range(400).map((id): Row => ({ id })))
      .map((row: Row) => ({ ...row }), { name: "a", concurrency: 8 })
      .tap(() => {}, { name: "b" })
      .forEach(() => {}, { name: "c" })
      .run({ trace: otel({ tracer: half.tracer, sampleRatio: 0.5 }) });
    const byTrace = traces(half.spans());
    // 400 fair coins: fewer than 100 or more than 300 heads has odds below 1e-23.
    assert.ok(byTrace.size > 100 && byTrace.size < 300, `${byTrace.size} traces`);
    for (const trace of byTrace.values()) {
      assert.deepEqual(chain(trace), ["sluice item", "a", "b", "c"]);
    }
  });

  test("attributes(item, stage) adds attributes to traced calls only", async () => {
    const { tracer, spans } = recorder();
    const asked: string[] = [];
    await from(range(3).map((id): Row => ({ id })))
      .map((row: Row) => row.id, { name: "id" })
      .tap(() => {}, { name: "untraced" })
      .run({
        trace: otel({
          tracer,
          attributes: (item, stage: TracedStage) => {
            asked.push(stage.name);
            return { "app.id": (item as Row).id, "sluice.stage": "not overridden" };
          },
        }),
      })
      .drain();
    assert.deepEqual(asked, ["id", "id", "id"], "never for the untraced primitives after");
    const spansOfId = byStage(spans(), "id");
    assert.deepEqual(spansOfId.map((span) => span.attributes["app.id"]).sort(), [0, 1, 2]);
  });

  test("the function runs in its span's context, across awaits, when a context manager is registered", async () => {
    const { tracer, spans } = recorder();
    const manager = new StorageContextManager();
    context.setGlobalContextManager(manager.enable());
    try {
      await from([{ id: 1 }, { id: 2 }])
        .map(
          async (row: Row) => {
            await new Promise((resolve) => setImmediate(resolve));
            tracer.startSpan("inner").end();
            return row;
          },
          { name: "outer", concurrency: 2 },
        )
        .run({ trace: otel({ tracer }) })
        .drain();
    } finally {
      context.disable();
    }
    const all = spans();
    const inner = all.filter((span) => span.name === "inner");
    assert.equal(inner.length, 2);
    for (const span of inner) {
      const parent = all.find((s) => spanId(s) === parentId(span));
      assert.equal(parent?.name, "outer");
    }
  });

  test("a thread stage's call carries its thread id and is traced without run()", () => {
    const { tracer, spans } = recorder();
    const tracing = otel({ tracer });
    const stage = { name: "hash", position: 0, kind: "map", threads: true, run: {} } as const;
    const hook = tracing.forStage(stage)!;
    const call = { index: 4, attempt: 1, slot: 2, threadId: 7 };
    const span = hook.start({ id: 4 }, call)!;
    call.index = 5; // the slot's object, reused: the span read it already
    span.ok({ id: 40 });
    const [hash] = byStage(spans(), "hash");
    assert.equal(hash!.attributes["sluice.thread_id"], 7);
    assert.equal(hash!.attributes["sluice.index"], 4);
    assert.equal(hash!.attributes["sluice.slot"], 2);
  });

  test("one otel() serves several runs: in turn or at once, of one pipeline or of different ones", async () => {
    const { tracer, spans } = recorder();
    const tracing = otel({ tracer });
    await from([{ id: 1 }])
      .map((row: Row) => row, { name: "p1" })
      .run({ trace: tracing })
      .drain();
    // Its first function stage is at position 2, past the last one the tracer was asked about.
    await from([{ id: 2 }])
      .batch({ size: 1 })
      .flatMap((batch: Row[]) => batch, { name: "p2a" })
      .tap(() => {}, { name: "p2b" })
      .run({ trace: tracing })
      .drain();
    const twice = from([{ id: 3 }, { id: 4 }])
      .map((row: Row) => row, { name: "p3a" })
      .tap(() => {}, { name: "p3b" });
    await Promise.all([
      twice.run({ trace: tracing }).drain(),
      twice.run({ trace: tracing }).drain(),
    ]);
    // Two pipelines started in the same turn, the second's first stage past the first's last.
    await Promise.all([
      from([{ id: 5 }])
        .map((row: Row) => row, { name: "p4" })
        .run({ trace: tracing })
        .drain(),
      from([{ id: 6 }])
        .batch({ size: 1 })
        .flatMap((batch: Row[]) => batch, { name: "p5a" })
        .tap(() => {}, { name: "p5b" })
        .run({ trace: tracing })
        .drain(),
    ]);
    const chains = [...traces(spans()).values()].map(chain).map((c) => c.join());
    assert.deepEqual(chains.sort(), [
      "sluice item,p1",
      "sluice item,p2a,p2b",
      "sluice item,p3a,p3b",
      "sluice item,p3a,p3b",
      "sluice item,p3a,p3b",
      "sluice item,p3a,p3b",
      "sluice item,p4",
      "sluice item,p5a,p5b",
    ]);
  });
});

describe("sluice/otel is a subpath of its own", () => {
  test('import "sluice" loads neither @opentelemetry/api nor the otel code', () => {
    const { modules, packages } = importGraph();
    assert.ok(modules.includes("pipeline/pipeline.js"));
    assert.deepEqual(
      modules.filter((f) => f.startsWith("otel/")),
      [],
    );
    assert.ok(
      !packages.some((p) => p.startsWith("@opentelemetry/")),
      `the core imports ${packages.join(", ")}`,
    );
  });

  test("sluice/otel loads @opentelemetry/api and nothing else outside node", () => {
    const { packages } = importGraph("otel/index.js");
    assert.deepEqual(
      // (the helper also reads the `from "sluice/otel"` of the doc's example)
      packages.filter((p) => !p.startsWith("node:") && p !== "sluice/otel"),
      ["@opentelemetry/api"],
    );
  });

  test("the package exports it as sluice/otel, with the API as an optional peer", () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as {
      exports: Record<string, Record<string, string>>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    assert.deepEqual(pkg.exports["./otel"], {
      types: "./dist/otel/index.d.ts",
      default: "./dist/otel/index.js",
    });
    assert.ok(pkg.peerDependencies["@opentelemetry/api"] !== undefined);
    assert.equal(pkg.peerDependenciesMeta["@opentelemetry/api"]?.optional, true);
  });
});

/** A context manager on AsyncLocalStorage (what @opentelemetry/context-async-hooks does). */
class StorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args));
  }

  bind<T>(_ctx: Context, target: T): T {
    return target;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#storage.disable();
    return this;
  }
}

describe("otel() on a thread stage", () => {
  test("a thread stage's spans carry the thread that ran them, in the item's trace", async () => {
    const { thread } = await import("../../src/threads/index.js");
    const { tracer, spans } = recorder();
    const tagged = await from(range(12))
      .map((n: number) => ({ n }), { name: "wrap" })
      .map(
        thread(new URL("../threads/fixtures/state.worker.js", import.meta.url), { threads: 2 }),
        {
          name: "tag",
        },
      )
      .tap(() => {}, { name: "look" })
      .run({ trace: otel({ tracer }) })
      .collect();
    const all = spans();
    const chains = [...traces(all).values()].map(chain).map((c) => c.join());
    assert.deepEqual(chains, Array(12).fill("sluice item,wrap,tag,look"));
    const threadOf = new Map(
      (tagged as { x: { n: number }; thread: number }[]).map((row) => [row.x.n, row.thread]),
    );
    const tags = byStage(all, "tag");
    assert.equal(tags.length, 12);
    for (const span of tags) {
      const wrap = all.find((s) => spanId(s) === parentId(span))!;
      assert.equal(wrap.name, "wrap");
      const index = span.attributes["sluice.index"] as number;
      assert.equal(span.attributes["sluice.thread_id"], threadOf.get(index));
      assert.equal(typeof span.attributes["sluice.slot"], "number");
    }
  });
});
