import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { from } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { type BufferPath, markBuffers, restoreBuffers } from "../../src/threads/buffer-marks.js";

/** What the other side of a thread boundary gets: the values cloned, then the marks applied. */
function across(values: unknown[]): unknown[] {
  const paths = markBuffers(values);
  const received = structuredClone(values);
  if (paths !== undefined) restoreBuffers(received, structuredClone(paths));
  return received;
}

const text = (value: unknown) => (value as Buffer).toString();

describe("markBuffers / restoreBuffers", () => {
  test("a batch of primitives has no marks", () => {
    assert.equal(markBuffers([1, "two", null, undefined, true, 3n]), undefined);
    assert.equal(markBuffers([]), undefined);
    assert.equal(markBuffers([{ a: 1 }, [2], new Uint8Array(2)]), undefined);
  });

  test("Buffers at the top level come back as Buffers; Uint8Arrays stay Uint8Arrays", () => {
    const out = across([Buffer.from("alpha"), new Uint8Array([1, 2]), "x", Buffer.alloc(0)]);
    assert.ok(Buffer.isBuffer(out[0]));
    assert.equal(text(out[0]), "alpha");
    assert.equal((out[1] as Uint8Array).constructor, Uint8Array);
    assert.equal(out[2], "x");
    assert.ok(Buffer.isBuffer(out[3]));
    assert.equal((out[3] as Buffer).length, 0);
  });

  test("looks into arrays, objects, class instances, Maps (keys too) and Sets, order kept", () => {
    class Record {
      constructor(readonly body: Buffer) {}
    }
    const key = Buffer.from("key");
    const values = [
      {
        digest: Buffer.from("digest"),
        parts: [Buffer.from("p0"), 1, [Buffer.from("p2")]],
        map: new Map<unknown, unknown>([
          ["first", Buffer.from("v0")],
          [key, "keyed"],
          ["last", 2],
        ]),
        set: new Set<unknown>([1, Buffer.from("s1"), "three"]),
        record: new Record(Buffer.from("body")),
        plain: new Uint8Array([9]),
      },
    ];
    const [out] = across(values) as [
      {
        digest: unknown;
        parts: [unknown, number, [unknown]];
        map: Map<unknown, unknown>;
        set: Set<unknown>;
        record: { body: unknown };
        plain: unknown;
      },
    ];
    assert.ok(Buffer.isBuffer(out.digest));
    assert.equal(text(out.digest), "digest");
    assert.ok(Buffer.isBuffer(out.parts[0]) && Buffer.isBuffer(out.parts[2][0]));
    assert.equal(text(out.parts[2][0]), "p2");
    const entries = [...out.map];
    assert.deepEqual(
      entries.map(([k]) => (Buffer.isBuffer(k) ? `buffer:${text(k)}` : k)),
      ["first", "buffer:key", "last"],
    );
    assert.ok(Buffer.isBuffer(out.map.get("first")));
    assert.equal(entries[1]![1], "keyed");
    const members = [...out.set];
    assert.equal(members[0], 1);
    assert.ok(Buffer.isBuffer(members[1]));
    assert.equal(text(members[1]), "s1");
    assert.equal(members[2], "three");
    assert.ok(Buffer.isBuffer(out.record.body));
    assert.equal((out.plain as Uint8Array).constructor, Uint8Array);
  });

  test("a Map whose keys and values are both Buffers, and large Maps and Sets, keep their order", () => {
    const map = new Map<unknown, unknown>();
    for (let i = 0; i < 5000; i++) map.set(Buffer.from(`k${i}`), Buffer.from(`v${i}`));
    const set = new Set<unknown>(Array.from({ length: 5000 }, (_, i) => Buffer.from(`s${i}`)));
    const [outMap, outSet] = across([map, set]) as [Map<Buffer, Buffer>, Set<Buffer>];
    assert.equal(outMap.size, 5000);
    let i = 0;
    for (const [key, value] of outMap) {
      assert.ok(Buffer.isBuffer(key) && Buffer.isBuffer(value), `entry ${i}`);
      assert.equal(`${key.toString()}=${value.toString()}`, `k${i}=v${i}`);
      i++;
    }
    assert.deepEqual(
      [...outSet].map((member) => (Buffer.isBuffer(member) ? member.toString() : "?")),
      Array.from({ length: 5000 }, (_, k) => `s${k}`),
    );
  });

  test("the same Buffer twice is one Buffer, over the received bytes (no copy)", () => {
    const shared = Buffer.from("same");
    const [out] = across([{ a: shared, b: [shared] }]) as [{ a: Buffer; b: [Buffer] }];
    assert.ok(Buffer.isBuffer(out.a));
    assert.equal(out.a, out.b[0]);
    const received = structuredClone([new Uint8Array([1, 2, 3])]);
    const bytes = received[0]!;
    restoreBuffers(received, [[0]]);
    const buffer = received[0] as Buffer;
    bytes[0] = 42;
    assert.equal(buffer[0], 42, "a view of the same memory");
  });

  test("a cycle ends the walk, and its Buffers are restored", () => {
    const c: Record<string, unknown> = {};
    const node: Record<string, unknown> = { deep: { a: { b: { c } } } };
    node.self = node;
    c.back = node;
    c.bytes = Buffer.from("cyclic");
    const [out] = across([node]) as [Record<string, unknown>];
    assert.equal(out.self, out);
    const outC = (out.deep as { a: { b: { c: Record<string, unknown> } } }).a.b.c;
    assert.equal(outC.back, out);
    assert.ok(Buffer.isBuffer(outC.bytes));
    assert.equal(text(outC.bytes), "cyclic");
  });

  test("past the deepest level looked into, a Buffer stays a Uint8Array", () => {
    let deep: unknown = Buffer.from("deep");
    for (let i = 0; i < 70; i++) deep = [deep];
    const [out] = across([deep]);
    let inner: unknown = out;
    while (Array.isArray(inner)) inner = inner[0];
    assert.ok(inner instanceof Uint8Array);
    assert.equal(Buffer.isBuffer(inner), false);
  });

  test("marks that no longer fit what arrived are passed over", () => {
    const values: unknown[] = [undefined, "text", { a: 1 }, new Map(), new Set()];
    const stale: BufferPath[] = [
      [0],
      [1, "length"],
      [2, "missing", "deeper"],
      [3, { entry: 5, key: true }],
      [4, { member: 2 }],
      [2, { member: 0 }],
    ];
    restoreBuffers(values, stale);
    assert.deepEqual(values, [undefined, "text", { a: 1 }, new Map(), new Set()]);
  });

  test("property: every Buffer crosses as a Buffer with its bytes; nothing else changes class", () => {
    const leaf = fc.oneof(
      fc.string().map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 8 }),
      fc.integer(),
      fc.string(),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 3 }), tie("node"), { maxKeys: 3 }),
        fc.array(tie("node"), { maxLength: 3 }).map((xs) => new Set(xs)),
        fc
          .array(fc.tuple(fc.string({ maxLength: 3 }), tie("node")), { maxLength: 3 })
          .map((pairs) => new Map(pairs)),
      ),
    })).node;
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 5 }), (values) => {
        const out = across(values);
        const same = (a: unknown, b: unknown): void => {
          if (Buffer.isBuffer(a)) {
            assert.ok(Buffer.isBuffer(b));
            assert.deepEqual([...b], [...a]);
          } else if (a instanceof Uint8Array) {
            assert.equal((b as Uint8Array).constructor, Uint8Array);
            assert.deepEqual([...(b as Uint8Array)], [...a]);
          } else if (a instanceof Map) {
            const pairs = [...(b as Map<unknown, unknown>)];
            [...a].forEach(([k, v], i) => {
              assert.equal(pairs[i]![0], k);
              same(v, pairs[i]![1]);
            });
          } else if (a instanceof Set) {
            const members = [...(b as Set<unknown>)];
            [...a].forEach((m, i) => same(m, members[i]));
          } else if (Array.isArray(a)) {
            assert.equal((b as unknown[]).length, a.length);
            a.forEach((x, i) => same(x, (b as unknown[])[i]));
          } else if (typeof a === "object" && a !== null) {
            for (const key of Object.keys(a)) {
              same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]);
            }
          } else {
            assert.equal(b, a);
          }
        };
        values.forEach((value, i) => same(value, out[i]));
      }),
    );
  });
});

describe("thread stages and Buffers", () => {
  const url = new URL("./fixtures/buffer-results.worker.js", import.meta.url);

  test("a worker function's Buffer results arrive as Buffers", async () => {
    const words = Array.from({ length: 300 }, (_, i) => `word-${i}`);
    const out = await from(words)
      .map(thread(url, { batch: 32 }), { ordered: true })
      .run()
      .collect();
    assert.equal(out.length, words.length);
    out.forEach((value, i) => {
      assert.ok(Buffer.isBuffer(value), `item ${i}: ${Object.prototype.toString.call(value)}`);
      assert.equal(value.toString(), words[i]!.toUpperCase());
    });
  });

  test("Buffers inside items reach the thread as Buffers, and those inside results come back", async () => {
    const records = Array.from({ length: 120 }, (_, i) => ({
      name: `n${i}`,
      body: Buffer.from(`body ${i}`),
      parts: [Buffer.from([i & 0xff]), Buffer.alloc(0)],
      plain: new Uint8Array([1, 2, 3]),
    }));
    const out = (await from(records)
      .map(thread(url, { batch: 16 }), { ordered: true })
      .run()
      .collect()) as {
      sawBuffers: boolean;
      sawPlain: boolean;
      digest: unknown;
      echo: unknown[];
      byName: Map<unknown, unknown>;
    }[];
    out.forEach((result, i) => {
      assert.equal(result.sawBuffers, true, `item ${i}`);
      assert.equal(result.sawPlain, true, `item ${i}: a Uint8Array stays one`);
      assert.ok(Buffer.isBuffer(result.digest));
      assert.equal(
        (result.digest as Buffer).toString("hex"),
        createHash("sha256").update(`body ${i}`).digest("hex"),
      );
      assert.ok(Buffer.isBuffer(result.echo[0]));
      assert.equal((result.echo[0] as Buffer).toString(), `body ${i}`);
      const [[name, value], [key, keyed]] = [...result.byName] as [
        [unknown, unknown],
        [unknown, unknown],
      ];
      assert.equal(name, `n${i}`);
      assert.ok(Buffer.isBuffer(value) && value.toString() === `n${i}`);
      assert.ok(Buffer.isBuffer(key) && key.toString() === "key");
      assert.equal(keyed, `n${i}`);
    });
  });

  test("an error thrown on a thread keeps the Buffers among its properties", async () => {
    const out = (await from([0, 1, 2, 3])
      .map(thread(new URL("./fixtures/throws-buffer.worker.js", import.meta.url)), {
        onError: "collect",
        ordered: true,
      })
      .run()
      .collect()) as { ok: boolean; value?: number; error?: Error & { payload?: unknown } }[];
    assert.deepEqual(out[0], { ok: true, value: 0 });
    const failure = out[1]!;
    assert.equal(failure.ok, false);
    assert.equal(failure.error!.message, "odd 1");
    assert.ok(Buffer.isBuffer(failure.error!.payload));
    assert.deepEqual([...(failure.error!.payload as Buffer)], [1]);
  });

  test("a thrown value that is not an Error keeps its Buffers, and a thrown Buffer stays one", async () => {
    const out = (await from([0, 1, 2])
      .map(thread(new URL("./fixtures/throws-value.worker.js", import.meta.url)), {
        onError: "collect",
        ordered: true,
      })
      .run()
      .collect()) as { ok: boolean; error?: unknown }[];
    assert.deepEqual(out[0], { ok: true, value: 0 });
    const odd = out[1]!.error as { code: string; body: unknown };
    assert.equal(odd.code, "E_ODD");
    assert.ok(Buffer.isBuffer(odd.body));
    assert.deepEqual([...(odd.body as Buffer)], [1]);
    assert.ok(Buffer.isBuffer(out[2]!.error));
    assert.deepEqual([...(out[2]!.error as Buffer)], [2, 2]);
  });

  test("a batch mixing Buffers and Uint8Arrays (cloned, not packed) keeps each one's class", async () => {
    const items = Array.from({ length: 64 }, (_, i) =>
      i % 2 === 0 ? Buffer.from([i, 1]) : new Uint8Array([i, 2, 3]),
    );
    const out = await from(items)
      .map(thread(new URL("./fixtures/describe-bytes.worker.js", import.meta.url), { batch: 8 }), {
        ordered: true,
      })
      .run()
      .collect();
    out.forEach((description, i) => {
      assert.equal(description, i % 2 === 0 ? `Buffer:2:${i + 1}` : `Uint8Array:3:${i + 5}`);
    });
  });
});

describe("Buffers and values that refuse to be read", () => {
  test("an item whose getter throws fails alone, naming its stage and index", async () => {
    const items: unknown[] = Array.from({ length: 12 }, (_, i) =>
      i === 5
        ? {
            get body(): never {
              throw new Error("getter refused");
            },
          }
        : { body: Buffer.from([i]) },
    );
    const run = from(items)
      .map(thread(new URL("./fixtures/describe-bytes.worker.js", import.meta.url), { batch: 4 }), {
        name: "describe",
        onError: "collect",
        ordered: true,
      })
      .run();
    const out = (await run.collect()) as { ok: boolean; value?: unknown; error?: Error }[];
    assert.equal(out.length, 12);
    out.forEach((result, i) => {
      if (i === 5) {
        assert.equal(result.ok, false);
        assert.match(result.error!.message, /Stage "describe" cannot send item #5 to a thread/);
      } else {
        assert.deepEqual(result, { ok: true, value: "other:object" });
      }
    });
  });

  test("a result whose getter throws fails alone; the Buffers of the others arrive", async () => {
    const run = from(Array.from({ length: 10 }, (_, i) => i))
      .map(
        thread(new URL("./fixtures/throwing-getter.worker.js", import.meta.url), {
          threads: 1,
          batch: 5,
        }),
        { onError: "collect", ordered: true },
      )
      .run();
    const out = (await run.collect()) as {
      ok: boolean;
      value?: { bytes: unknown };
      error?: Error;
    }[];
    out.forEach((result, i) => {
      if (i % 2 === 1) {
        assert.equal(result.ok, false, `item ${i}`);
        assert.equal(
          result.error!.message,
          `Stage "map#1" cannot send the result of item #${i} to the main thread: getter of ${i} refused`,
        );
      } else {
        assert.equal(result.ok, true, `item ${i}`);
        assert.ok(Buffer.isBuffer(result.value!.bytes), `item ${i}`);
        assert.deepEqual([...(result.value!.bytes as Buffer)], [i]);
      }
    });
  });
});
