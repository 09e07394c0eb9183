import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { from, isStageError } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { until } from "../helpers/until.js";

interface Event {
  readonly key: string;
  readonly seq: number;
}

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("key with perKey", () => {
  test("perKey: 1 runs one key's items one at a time, in arrival order, while other keys go ahead", async () => {
    const blockA = deferred();
    const started: string[] = [];
    const run = from<Event>([
      { key: "a", seq: 0 },
      { key: "a", seq: 1 },
      { key: "b", seq: 0 },
      { key: "a", seq: 2 },
      { key: "b", seq: 1 },
      { key: "c", seq: 0 },
    ])
      .map(
        async (event) => {
          started.push(`${event.key}${event.seq}`);
          if (event.key === "a" && event.seq === 0) await blockA.promise;
          return event;
        },
        { concurrency: 4, key: (event) => event.key, perKey: 1 },
      )
      .run();
    const out: string[] = [];
    const consumed = (async () => {
      for await (const event of run) out.push(`${event.key}${event.seq}`);
    })();
    await until(() => out.length === 3);
    // a0 holds key a: a1 and a2 wait in a's line; b and c went on.
    assert.deepEqual([...out].sort(), ["b0", "b1", "c0"]);
    assert.deepEqual([...started].sort(), ["a0", "b0", "b1", "c0"]);
    const waiting = run.stats().stages[0]!.keys!;
    assert.equal(waiting.waiting, 2);
    assert.deepEqual(waiting.hottest, { key: "a", inFlight: 1, waiting: 2 });
    blockA.resolve();
    await consumed;
    assert.deepEqual(out.slice(3), ["a0", "a1", "a2"]);
    const summary = run.stats();
    assertConserved(summary);
    assert.deepEqual(summary.stages[0]!.keys, { active: 0, waiting: 0, maxWaiting: 2 });
  });

  test("a sync function releases each item's key too (the plain fast path is off for a keyed stage)", async () => {
    const out = await from(Array.from({ length: 50 }, (_, i) => i))
      .map((n) => n * 2, { concurrency: 1, key: (n) => n % 3, perKey: 1 })
      .forEach(() => {}, { key: (n: number) => n % 5, perKey: 1 })
      .run();
    assert.equal(out.outcome, "completed");
    assert.equal(out.stages[1]!.out, 50);
    assertConserved(out);
  });

  test("perKey: n lets at most n of one key run at once", async () => {
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    const items = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 3}`, seq: i }));
    const summary = await from(items)
      .forEach(
        async (event: Event) => {
          const now = (running.get(event.key) ?? 0) + 1;
          running.set(event.key, now);
          most.set(event.key, Math.max(most.get(event.key) ?? 0, now));
          await turn();
          running.set(event.key, running.get(event.key)! - 1);
        },
        { concurrency: 16, key: (event) => event.key, perKey: 3 },
      )
      .run();
    assert.deepEqual([...most.values()], [3, 3, 3]);
    assert.equal(summary.stages[0]!.out, 300);
    assertConserved(summary);
  });

  test("fast-check: with perKey 1 the output keeps each key's order under random delays; every item is conserved", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 120,
        }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom("map", "filter", "flatMap") as fc.Arbitrary<"map" | "filter" | "flatMap">,
        async (plan, concurrency, kind) => {
          const items = plan.map(([key, delay], seq) => ({ key: `k${key}`, seq, delay }));
          type Item = (typeof items)[number];
          const wait = async (item: Item): Promise<void> => {
            for (let i = 0; i < item.delay; i++) await turn();
          };
          const options = { concurrency, key: (item: Item) => item.key, perKey: 1 };
          const source = from(items);
          const piped =
            kind === "map"
              ? source.map(async (item) => (await wait(item), item), options)
              : kind === "filter"
                ? source.filter(async (item) => (await wait(item), item.seq % 4 !== 1), options)
                : source.flatMap(async function* (item: Item) {
                    await wait(item);
                    yield item;
                    yield item;
                  }, options);
          const run = piped.run();
          const out = await run.toArray();
          const seen = new Map<string, number[]>();
          for (const item of out) seen.set(item.key, [...(seen.get(item.key) ?? []), item.seq]);
          for (const [key, seqs] of seen) {
            const expected = items
              .filter((item) => item.key === key && (kind !== "filter" || item.seq % 4 !== 1))
              .flatMap((item) => (kind === "flatMap" ? [item.seq, item.seq] : [item.seq]));
            assert.deepEqual(seqs, expected, `key ${key}`);
          }
          const summary = run.stats();
          assertConserved(summary);
          assert.equal(summary.stages[0]!.keys!.active, 0);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("a key's state lives only while it has items in the stage: 100,000 keys leave none behind", async () => {
    let most = 0;
    const run = from(Array.from({ length: 100_000 }, (_, i) => i))
      .map(async (i) => i, { concurrency: 8, key: (i) => `key-${i}`, perKey: 1 })
      .forEach(() => {})
      .run();
    const timer = setInterval(() => {
      most = Math.max(most, run.stats().stages[0]!.keys!.active);
    }, 1);
    const summary = await run.drain();
    clearInterval(timer);
    const keys = summary.stages[0]!.keys!;
    assert.equal(keys.active, 0);
    assert.equal(keys.waiting, 0);
    // At most the stage's capacity of keys at once.
    assert.ok(most <= summary.stages[0]!.concurrency + summary.stages[0]!.buffer, `${most}`);
    assertConserved(summary);
  });

  test("a retried item keeps its key's turn: the key's next item waits for its last attempt", async () => {
    const attempts = new Map<number, number>();
    const out = await from<Event>([
      { key: "a", seq: 0 },
      { key: "a", seq: 1 },
    ])
      .map(
        async (event) => {
          const attempt = (attempts.get(event.seq) ?? 0) + 1;
          attempts.set(event.seq, attempt);
          if (event.seq === 0 && attempt < 3) throw new Error("flaky");
          return event.seq;
        },
        {
          concurrency: 4,
          key: (event) => event.key,
          perKey: 1,
          retry: { attempts: 3, backoff: 1 },
        },
      )
      .run()
      .toArray();
    assert.deepEqual(out, [0, 1]);
    assert.equal(attempts.get(0), 3);
  });

  test("a key function that throws fails that item through onError; the others go on", async () => {
    const bad = new Error("no key");
    const run = from([1, 2, 3, 4])
      .map((n) => n * 10, {
        key: (n) => {
          if (n === 3) throw bad;
          return n % 2;
        },
        perKey: 1,
        onError: "collect",
      })
      .run();
    const out = await run.toArray();
    assert.deepEqual(out.slice(0, 2), [
      { ok: true, value: 10 },
      { ok: true, value: 20 },
    ]);
    assert.deepEqual(out[2], { ok: false, error: bad, item: 3 });
    assert.deepEqual(out[3], { ok: true, value: 40 });
    assertConserved(run.stats());
    await assert.rejects(
      from([1])
        .map((n) => n, {
          key: () => {
            throw bad;
          },
          perKey: 1,
        })
        .run()
        .drain(),
      (error: unknown) => isStageError(error) && error.cause === bad,
    );
  });

  test("cancelling a run cancels the items waiting for their key; every item is accounted for", async () => {
    const block = deferred();
    const run = from(Array.from({ length: 50 }, (_, i) => ({ key: "hot", seq: i })))
      .forEach(() => block.promise, { concurrency: 4, key: (event: Event) => event.key, perKey: 1 })
      .run();
    const drained = run.drain().catch(() => undefined);
    await until(() => (run.stats().stages[0]!.keys?.waiting ?? 0) > 0);
    const summary = await run.cancel();
    await drained;
    assert.equal(summary.outcome, "cancelled");
    assert.ok(summary.stages[0]!.cancelled > 0);
    assertConserved(summary);
    assert.deepEqual(summary.stages[0]!.keys!.active, 0);
    block.resolve();
  });

  test("with a keyed rate limit and a weight, every item still starts once, each key in order", async () => {
    const items = Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 4}`, seq: i }));
    const out = await from(items)
      .map(async (event: Event) => (await turn(), event), {
        concurrency: 6,
        key: (event) => event.key,
        perKey: 1,
        weight: () => 2,
        rateLimit: { rate: 1_000_000, per: "1s", key: (event) => event.key },
      })
      .run()
      .toArray();
    assert.equal(out.length, 60);
    for (let k = 0; k < 4; k++) {
      const seqs = out.filter((event) => event.key === `k${k}`).map((event) => event.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
    }
  });

  test("bad key and perKey options are refused, naming the option", () => {
    const source = from([1]);
    assertInvalid(
      () => source.map((n) => n, { key: (n) => n }),
      "Option `map.perKey` is needed with `key`: how many items of one key may run at once (1 runs each key's items in order)",
      "map.perKey",
    );
    assertInvalid(
      () => source.map((n) => n, { perKey: 2 }),
      "Option `map.key` is needed with `perKey`: the function that gives each item its key, such as key: (item) => item.host",
      "map.key",
    );
    assertInvalid(
      () => source.forEach((n) => n, { key: (n) => n, perKey: 0 }),
      "Expected `forEach.perKey` to be an integer >= 1, got `0` (number)",
      "forEach.perKey",
    );
    assertInvalid(
      () => source.map((n) => n, { key: "host" as never, perKey: 1 }),
      'Expected `map.key` to be a function, got `"host"` (string)',
      "map.key",
    );
    assertInvalid(
      () =>
        source.map(thread(new URL("../threads/fixtures/double.worker.js", import.meta.url)), {
          key: (n: number) => n,
          perKey: 1,
        }),
      "Option `map.perKey` applies to stages that run on the event loop, not to a thread stage: its threads take items by the batch",
      "map.perKey",
    );
  });
});
