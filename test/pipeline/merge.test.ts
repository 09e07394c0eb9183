import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ReadableStream } from "node:stream/web";
import fc from "fast-check";
import { acknowledged, from, isInvalidOptionError, isSourceError, merge } from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { until } from "../helpers/until.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function* slowly<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    await turn();
    yield item;
  }
}

/** Whether `list` holds `part`'s items in `part`'s order. */
function inOrder<T>(list: readonly T[], part: readonly T[]): boolean {
  const kept = list.filter((item) => part.includes(item));
  return kept.length === part.length && kept.every((item, i) => item === part[i]);
}

describe("merge()", () => {
  test("merges arrays, async generators, a web stream and a pipeline: every item once, each input's order kept", async () => {
    const web = new ReadableStream<string>({
      start(controller) {
        for (const s of ["w1", "w2", "w3"]) controller.enqueue(s);
        controller.close();
      },
    });
    const run = merge(
      ["a1", "a2", "a3"],
      () => slowly(["g1", "g2", "g3"]),
      web,
      from([1, 2, 3]).map((n) => `p${n}`, { concurrency: 2, ordered: true }),
    )
      .map((s) => s.toUpperCase())
      .run();
    const out = await run.toArray();
    assert.equal(out.length, 12);
    for (const part of [
      ["A1", "A2", "A3"],
      ["G1", "G2", "G3"],
      ["W1", "W2", "W3"],
      ["P1", "P2", "P3"],
    ]) {
      assert.ok(inOrder(out, part), `${part.join(",")} in order in ${out.join(",")}`);
    }
    assertConserved(run.stats());
  });

  test("fair: inputs with items ready are taken from in turn", async () => {
    function* forever(tag: string): Generator<string> {
      for (;;) yield tag;
    }
    const out = await merge(
      () => forever("x"),
      () => forever("y"),
      () => forever("z"),
    )
      .take(300)
      .run()
      .toArray();
    for (const tag of ["x", "y", "z"]) {
      const count = out.filter((s) => s === tag).length;
      assert.ok(count >= 90 && count <= 110, `${tag}: ${count} of 300`);
    }
  });

  test("bounded: an endless input is read only as far as the pipeline takes", async () => {
    let pulled = 0;
    function* counting(): Generator<number> {
      for (;;) yield pulled++;
    }
    const out = await merge(counting, [-1])
      .map(async (n) => (await turn(), n), { concurrency: 1, buffer: 1 })
      .take(10)
      .run()
      .toArray();
    assert.equal(out.length, 10);
    assert.ok(pulled < 200, `${pulled} pulled`);
  });

  test("an input that throws fails the run with a SourceError; the other inputs are closed", async () => {
    const boom = new Error("input broke");
    let closed = false;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (;;) {
          await turn();
          yield 1;
        }
      } finally {
        closed = true;
      }
    }
    async function* failing(): AsyncGenerator<number> {
      yield 2;
      await turn();
      throw boom;
    }
    await assert.rejects(
      merge(endless, failing)
        .forEach(() => {})
        .run()
        .drain(),
      (error: unknown) => isSourceError(error) && error.cause === boom,
    );
    assert.equal(closed, true);
  });

  test("cancelling the run cancels a pipeline input's run and closes every input", async () => {
    let innerSignal: AbortSignal | undefined;
    let generatorClosed = false;
    // An input that waits on nothing but the run's signal (a generator stuck in an await
    // that nothing ends cannot be closed: its return() waits for that step).
    async function* idle(signal: AbortSignal): AsyncGenerator<number> {
      try {
        yield 0;
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
      } finally {
        generatorClosed = true;
      }
    }
    const inner = from(({ signal }) => {
      innerSignal = signal;
      return slowly(Array.from({ length: 1_000_000 }, (_, i) => i));
    }).map((n) => n);
    const run = merge(inner, ({ signal }) => idle(signal)).run();
    const drained = run.drain().catch(() => undefined);
    await until(() => run.stats().pulled > 10);
    const summary = await run.cancel();
    await drained;
    assert.equal(summary.outcome, "cancelled");
    assert.equal(innerSignal?.aborted, true);
    await until(() => generatorClosed);
    assertConserved(summary);
  });

  test("fast-check: the merge of random inputs holds every item once, each input in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(30), fc.boolean()), { minLength: 1, maxLength: 6 }),
        async (plan) => {
          const inputs = plan.map(([length, slow], i) => {
            const items = Array.from({ length }, (_, j) => `${i}:${j}`);
            return { items, source: slow ? () => slowly(items) : items };
          });
          const run = merge(...inputs.map((input) => input.source)).run();
          const out = await run.toArray();
          assert.equal(
            out.length,
            inputs.reduce((n, input) => n + input.items.length, 0),
          );
          for (const input of inputs) assert.ok(inOrder(out, input.items));
          assertConserved(run.stats());
        },
      ),
      { numRuns: 50 },
    );
  });

  test("bad inputs are refused, naming the input; a one-shot input is read by one run only", async () => {
    assertInvalid(
      () => merge(),
      "Expected `merge` to be one or more sources or pipelines to merge, got `[]` (array)",
      "merge",
    );
    assert.throws(
      () => merge([1], 42 as never),
      (error: unknown) => isInvalidOptionError(error) && error.option === "merge.inputs[1]",
    );
    assert.throws(
      () => merge([1], acknowledged(() => []) as never),
      (error: unknown) =>
        isInvalidOptionError(error) &&
        error.option === "merge.inputs[1]" &&
        /is a broker source/.test(error.message),
    );
    const once = merge(slowly([1, 2]), [3]);
    assert.equal((await once.run().toArray()).length, 3);
    await assert.rejects(
      once.run().toArray(),
      (error: unknown) =>
        isInvalidOptionError(error) &&
        error.option === "merge.inputs[0]" &&
        /re-iterable/.test(error.message),
    );
    await assert.rejects(
      merge(() => 7 as never)
        .run()
        .toArray(),
      (error: unknown) => isInvalidOptionError(error) && error.option === "merge.inputs[0]()",
    );
  });
});
