import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertNoLeaks } from "../../src/testing/assert-no-leaks.js";
import { chaos } from "../../src/testing/chaos.js";
import { fakeClock } from "../../src/testing/fake-clock.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

/** Calls a function with a value its types refuse, as plain JavaScript could. */
const loose = <F>(factory: F): ((...args: unknown[]) => unknown) =>
  factory as unknown as (...args: unknown[]) => unknown;

const LATENCY =
  'a duration >= 0 ms (a number of ms or a string such as "20ms") or a [min, max] pair of them';
const DURATION = 'a duration >= 0 ms (a number of ms or a string such as "20ms")';

describe("sluice/testing options", () => {
  test("chaos: each bad value is refused with the option and what it got", () => {
    const cases: [options: unknown, message: string, option: string][] = [
      [
        { failRate: 1.5 },
        "Expected `chaos.failRate` to be a number from 0 to 1, got `1.5` (number)",
        "chaos.failRate",
      ],
      [
        { failRate: -0.1 },
        "Expected `chaos.failRate` to be a number from 0 to 1, got `-0.1` (number)",
        "chaos.failRate",
      ],
      [
        { failRate: Number.NaN },
        "Expected `chaos.failRate` to be a number from 0 to 1, got `NaN` (number)",
        "chaos.failRate",
      ],
      [
        { hangRate: "0.1" },
        'Expected `chaos.hangRate` to be a number from 0 to 1, got `"0.1"` (string)',
        "chaos.hangRate",
      ],
      [
        { latency: -1 },
        `Expected \`chaos.latency\` to be ${LATENCY}, got \`-1\` (number)`,
        "chaos.latency",
      ],
      [
        { latency: "fast" },
        `Expected \`chaos.latency\` to be ${LATENCY}, got \`"fast"\` (string)`,
        "chaos.latency",
      ],
      [
        { latency: [1] },
        `Expected \`chaos.latency\` to be ${LATENCY}, got \`[1]\` (array)`,
        "chaos.latency",
      ],
      [
        { latency: [1, 2, 3] },
        `Expected \`chaos.latency\` to be ${LATENCY}, got \`[1,2,3]\` (array)`,
        "chaos.latency",
      ],
      [
        { latency: [Infinity, 2] },
        `Expected \`chaos.latency[0]\` to be ${DURATION}, got \`Infinity\` (number)`,
        "chaos.latency[0]",
      ],
      [
        { latency: [1, "2 days"] },
        `Expected \`chaos.latency[1]\` to be ${DURATION}, got \`"2 days"\` (string)`,
        "chaos.latency[1]",
      ],
      [
        { latency: [20, "10ms"] },
        "Expected `chaos.latency[0]` to be <= `chaos.latency[1]` (10 ms), got `20` (number)",
        "chaos.latency[0]",
      ],
      [{ seed: 1.5 }, "Expected `chaos.seed` to be an integer, got `1.5` (number)", "chaos.seed"],
      [{ seed: "7" }, 'Expected `chaos.seed` to be an integer, got `"7"` (string)', "chaos.seed"],
      [
        { error: new Error("x") },
        "Expected `chaos.error` to be a function, got `{}` (Error)",
        "chaos.error",
      ],
      [
        { clock: Date },
        "Expected `chaos.clock` to be a clock (an object with now, setTimeout and clearTimeout), got `[Function Date]` (function)",
        "chaos.clock",
      ],
      [
        { failrate: 0.1 },
        "Unknown option `chaos.failrate`; did you mean `failRate`? Known options: failRate, latency, hangRate, seed, error, clock",
        "chaos.failrate",
      ],
      ["fail", 'Expected `chaos` to be an options object, got `"fail"` (string)', "chaos"],
    ];
    for (const [options, message, option] of cases) {
      assertInvalid(() => loose(chaos)(options), message, option);
    }
  });

  test("chaos: failRate + hangRate above 1 is refused in a sentence of its own", () => {
    assertInvalid(
      () => chaos({ failRate: 0.7, hangRate: 0.5 }),
      "Expected `chaos.failRate` + `chaos.hangRate` to be at most 1, got 0.7 + 0.5",
      "chaos.hangRate",
    );
    // Sums that are 1 on paper pass, whatever the rounding.
    for (const [failRate, hangRate] of [
      [0.9, 0.1],
      [0.7, 0.3],
      [0.999, 0.001],
    ] as const) {
      assert.doesNotThrow(() => chaos({ failRate, hangRate }));
    }
  });

  test("fakeClock: start must be a finite number, advance a finite number >= 0", async () => {
    for (const [start, got] of [
      [Number.NaN, "`NaN` (number)"],
      [Infinity, "`Infinity` (number)"],
      ["0", '`"0"` (string)'],
    ] as const) {
      assertInvalid(
        () => loose(fakeClock)(start),
        `Expected \`fakeClock(start)\` to be a finite number of ms, got ${got}`,
        "fakeClock(start)",
      );
    }
    const clock = fakeClock();
    for (const [ms, got] of [
      [-1, "`-1` (number)"],
      [Number.NaN, "`NaN` (number)"],
      ["10", '`"10"` (string)'],
    ] as const) {
      await assert.rejects(
        loose(clock.advance.bind(clock))(ms) as Promise<void>,
        (error: unknown) => {
          assert.equal(
            (error as Error).message,
            `Expected \`fakeClock.advance(ms)\` to be a finite number >= 0, got ${got}`,
          );
          return true;
        },
      );
    }
  });

  test("assertNoLeaks: fn must be a function; turns an integer >= 1; ignore strings", async () => {
    const cases: [args: unknown[], message: string][] = [
      [[undefined], "Expected `assertNoLeaks(fn)` to be a function, got `undefined` (undefined)"],
      [
        [() => {}, { turns: 0 }],
        "Expected `assertNoLeaks.turns` to be an integer >= 1, got `0` (number)",
      ],
      [
        [() => {}, { ignore: "Timeout" }],
        'Expected `assertNoLeaks.ignore` to be an array of resource kinds (strings), got `"Timeout"` (string)',
      ],
      [
        [() => {}, { turn: 3 }],
        "Unknown option `assertNoLeaks.turn`; did you mean `turns`? Known options: turns, ignore",
      ],
    ];
    for (const [args, message] of cases) {
      await assert.rejects(loose(assertNoLeaks)(...args) as Promise<unknown>, (error: unknown) => {
        assert.equal((error as { code?: unknown }).code, "ERR_SLUICE_INVALID_OPTION");
        assert.equal((error as Error).message, message);
        return true;
      });
    }
  });
});
