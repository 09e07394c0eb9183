import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import {
  type BatchOptions,
  cpuQuota,
  defaults,
  from,
  type Pipeline,
  type StageOptions,
} from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

const base = from([1, 2, 3]);
const identity = (x: number): number => x;

type Kind = "map" | "filter" | "flatMap" | "tap" | "forEach";
const KINDS: readonly Kind[] = ["map", "filter", "flatMap", "tap", "forEach"];

/** Adds a stage of `kind` with any fn and options, as a caller without types could. */
function stage(kind: Kind, fn: unknown, options?: unknown): Pipeline<unknown> {
  const add = base[kind] as (fn: unknown, options?: unknown) => Pipeline<unknown>;
  return add.call(base, fn, options);
}

const STAGE_KEYS =
  "concurrency, ordered, buffer, name, onError, deadLetter, shed, onShed, weight, rateLimit, key, perKey, resources, tenants, timeout, retry, hedge, breaker, dedupe, clock";

for (const kind of KINDS) {
  describe(`${kind}() options`, () => {
    const fn = kind === "flatMap" ? (x: number) => [x] : identity;
    const cases: [string, unknown, string, string][] = [
      ["concurrency", 0, "`0` (number)", 'an integer >= 1 or "cpus"'],
      ["concurrency", -1, "`-1` (number)", 'an integer >= 1 or "cpus"'],
      ["concurrency", 1.5, "`1.5` (number)", 'an integer >= 1 or "cpus"'],
      ["concurrency", Number.NaN, "`NaN` (number)", 'an integer >= 1 or "cpus"'],
      ["concurrency", Number.POSITIVE_INFINITY, "`Infinity` (number)", 'an integer >= 1 or "cpus"'],
      ["concurrency", "8", '`"8"` (string)', 'an integer >= 1 or "cpus"'],
      ["concurrency", null, "`null` (null)", 'an integer >= 1 or "cpus"'],
      ["ordered", "yes", '`"yes"` (string)', "a boolean"],
      ["buffer", 0, "`0` (number)", "an integer >= 1"],
      ["buffer", 2.5, "`2.5` (number)", "an integer >= 1"],
      ["name", "", '`""` (string)', "a non-empty string"],
      ["name", 7, "`7` (number)", "a non-empty string"],
      ["onError", "ignore", '`"ignore"` (string)', 'one of "fail", "skip", "collect"'],
      ["deadLetter", "log", '`"log"` (string)', "a function"],
    ];
    for (const [key, value, shown, expectation] of cases) {
      test(`rejects ${key}: ${shown}`, () => {
        const options: Record<string, unknown> = { [key]: value };
        if (key === "deadLetter") options.onError = "skip";
        assertInvalid(
          () => stage(kind, fn, options),
          `Expected \`${kind}.${key}\` to be ${expectation}, got ${shown}`,
          `${kind}.${key}`,
        );
      });
    }

    test("rejects an unknown option with a did-you-mean hint", () => {
      assertInvalid(
        () => stage(kind, fn, { concurency: 4 }),
        `Unknown option \`${kind}.concurency\`; did you mean \`concurrency\`? Known options: ${STAGE_KEYS}`,
        `${kind}.concurency`,
      );
    });

    test("rejects an unknown option that resembles nothing, listing the known ones", () => {
      assertInvalid(
        () => stage(kind, fn, { zzz: "1s" }),
        `Unknown option \`${kind}.zzz\`. Known options: ${STAGE_KEYS}`,
        `${kind}.zzz`,
      );
    });

    test("rejects options that are not an object", () => {
      assertInvalid(
        () => stage(kind, fn, 4),
        `Expected \`${kind}\` to be an options object, got \`4\` (number)`,
        kind,
      );
    });

    test("rejects a function argument that is not a function", () => {
      for (const [value, shown] of [
        [undefined, "`undefined` (undefined)"],
        ["x", '`"x"` (string)'],
        [{}, "`{}` (object)"],
      ] as const) {
        assertInvalid(
          () => stage(kind, value),
          `Expected \`${kind}.fn\` to be a function or thread(), got ${shown}`,
          `${kind}.fn`,
        );
      }
    });

    test('rejects deadLetter unless onError is "skip"', () => {
      const deadLetter = (): void => {};
      assertInvalid(
        () => stage(kind, fn, { deadLetter }),
        `Option \`${kind}.deadLetter\` applies only with \`onError: "skip"\`, got \`onError: "fail"\``,
        `${kind}.deadLetter`,
      );
      assertInvalid(
        () => stage(kind, fn, { deadLetter, onError: "collect" }),
        `Option \`${kind}.deadLetter\` applies only with \`onError: "skip"\`, got \`onError: "collect"\``,
        `${kind}.deadLetter`,
      );
      assert.doesNotThrow(() => stage(kind, fn, { deadLetter, onError: "skip" }));
    });

    test('resolves concurrency "cpus" to the CPU quota, with the default buffer', () => {
      const [spec] = stage(kind, fn, { concurrency: "cpus" }).stages;
      assert.ok(spec !== undefined && "concurrency" in spec);
      assert.equal(spec.concurrency, cpuQuota());
      assert.equal(spec!.buffer, Math.max(2 * cpuQuota(), 128));
    });

    test("shows its defaults in .stages", () => {
      assert.deepEqual(stage(kind, fn).stages, [
        {
          kind,
          name: `${kind}#1`,
          concurrency: 16,
          ordered: false,
          buffer: 128,
          onError: "fail",
        },
      ]);
    });
  });
}

describe("stage options in general", () => {
  test("defaults match the exported defaults object", () => {
    assert.equal(defaults.concurrency, 16);
    assert.equal(defaults.concurrency * defaults.bufferPerWorker, 32);
    assert.equal(defaults.minBuffer, 128);
    assert.equal(Object.isFrozen(defaults), true);
  });

  test("a buffer is twice the concurrency, at least 128, unless set", () => {
    const [a, b, c] = from([1])
      .map(identity, { concurrency: 5 })
      .map(identity, { concurrency: 5, buffer: 1 })
      .map(identity, { concurrency: 100 }).stages;
    assert.equal(a!.buffer, 128);
    assert.equal(b!.buffer, 1);
    assert.equal(c!.buffer, 200);
  });

  test("default names count positions across the whole pipeline", () => {
    const names = from([1])
      .map(identity)
      .batch({ size: 2 })
      .filter(() => true, { name: "keep" })
      .forEach(() => {})
      .stages.map((s) => s.name);
    assert.deepEqual(names, ["map#1", "batch#2", "keep", "forEach#4"]);
  });

  test("validates when the stage is added, before any run", () => {
    let called = false;
    const options = { concurrency: 0 } as StageOptions<number>;
    assert.throws(() =>
      from(() => {
        called = true;
        return [1];
      }).map(identity, options),
    );
    assert.equal(called, false);
  });
});

describe("batch() options", () => {
  const batch = (options?: unknown): Pipeline<unknown> =>
    (base.batch as (options?: unknown) => Pipeline<unknown>).call(base, options);
  const durationExpectation =
    'a duration > 0 ms (a number of ms or a string such as "100ms", "30s")';

  test("requires options with a size", () => {
    assertInvalid(
      () => batch(),
      "Expected `batch` options with `size` (an integer >= 1), got `undefined` (undefined)",
      "batch",
    );
    assertInvalid(
      () => batch({}),
      "Expected `batch.size` to be an integer >= 1, got `undefined` (undefined)",
      "batch.size",
    );
  });

  const cases: [string, unknown, string, string][] = [
    ["size", 0, "`0` (number)", "an integer >= 1"],
    ["size", 1.5, "`1.5` (number)", "an integer >= 1"],
    ["size", "10", '`"10"` (string)', "an integer >= 1"],
    ["maxWait", -1, "`-1` (number)", durationExpectation],
    ["maxWait", "abc", '`"abc"` (string)', durationExpectation],
    ["maxWait", 0, "`0` (number)", durationExpectation],
    ["maxWait", "0ms", '`"0ms"` (string)', durationExpectation],
    ["buffer", 0, "`0` (number)", "an integer >= 1"],
    ["name", "", '`""` (string)', "a non-empty string"],
  ];
  for (const [key, value, shown, expectation] of cases) {
    test(`rejects ${key}: ${shown}`, () => {
      assertInvalid(
        () => batch({ size: 10, [key]: value }),
        `Expected \`batch.${key}\` to be ${expectation}, got ${shown}`,
        `batch.${key}`,
      );
    });
  }

  test("rejects an unknown option, with a hint when one is close", () => {
    assertInvalid(
      () => batch({ sise: 10 }),
      "Unknown option `batch.sise`; did you mean `size`? Known options: size, maxWait, buffer, name",
      "batch.sise",
    );
    assertInvalid(
      () => batch({ size: 10, concurrency: 2 }),
      "Unknown option `batch.concurrency`. Known options: size, maxWait, buffer, name",
      "batch.concurrency",
    );
  });

  test("takes maxWait in milliseconds or as a string, and shows its defaults in .stages", () => {
    const maxWait = (options: BatchOptions): unknown => {
      const [spec] = batch(options).stages;
      return spec !== undefined && "maxWait" in spec ? spec.maxWait : undefined;
    };
    assert.equal(maxWait({ size: 3, maxWait: "1.5s" }), 1500);
    assert.equal(maxWait({ size: 3, maxWait: 20 }), 20);
    assert.deepEqual(batch({ size: 3 }).stages, [
      {
        kind: "batch",
        name: "batch#1",
        buffer: 2,
        size: 3,
      },
    ]);
  });
});

describe("from() arguments and options", () => {
  const SOURCE =
    "an Iterable, an AsyncIterable, a Readable, a ReadableStream, or a function returning one";
  const sources: [unknown, string][] = [
    [42, "`42` (number)"],
    ["abc", '`"abc"` (string); wrap a string in an array to emit it as one item'],
    [null, "`null` (null)"],
    [undefined, "`undefined` (undefined)"],
    [{}, "`{}` (object)"],
    [
      Promise.resolve([1]),
      "`{}` (Promise); an async function returns a Promise: make it an async generator (async function*) or return the iterable itself",
    ],
  ];
  for (const [value, shown] of sources) {
    test(`rejects a source ${shown.split(";")[0]}, naming what it got`, () => {
      assertInvalid(
        () => from(value as never),
        `Expected \`from.source\` to be ${SOURCE}, got ${shown}`,
        "from.source",
      );
    });
  }

  test("accepts arrays, Sets, Maps, generators, async iterables, Readables and functions", () => {
    async function* numbers(): AsyncGenerator<number> {}
    for (const source of [[], new Set(), new Map(), numbers(), Readable.from([]), () => []]) {
      assert.doesNotThrow(() => from(source as never));
    }
  });

  test("rejects a bad buffer and unknown options", () => {
    assertInvalid(
      () => from([1], { buffer: 0 }),
      "Expected `from.buffer` to be an integer >= 1, got `0` (number)",
      "from.buffer",
    );
    assertInvalid(
      () => from([1], { bufer: 8 } as never),
      "Unknown option `from.bufer`; did you mean `buffer`? Known options: buffer, checkpoint",
      "from.bufer",
    );
    assertInvalid(
      () => from([1], "big" as never),
      'Expected `from` to be an options object, got `"big"` (string)',
      "from",
    );
  });
});

describe("run() options", () => {
  test("rejects a signal that is not an AbortSignal", () => {
    assertInvalid(
      () => base.run({ signal: "x" as never }),
      'Expected `run.signal` to be an AbortSignal, got `"x"` (string)',
      "run.signal",
    );
  });

  test("rejects an unknown option with a did-you-mean hint", () => {
    assertInvalid(
      () => base.run({ signl: AbortSignal.abort() } as never),
      "Unknown option `run.signl`; did you mean `signal`? Known options: signal, metrics, trace, logger, logEvery",
      "run.signl",
    );
  });

  test("rejects options that are not an object", () => {
    assertInvalid(
      () => base.run(true as never),
      "Expected `run` to be an options object, got `true` (boolean)",
      "run",
    );
  });
});
