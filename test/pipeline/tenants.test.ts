import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";
import { from } from "../../src/index.js";
import { TenantGate } from "../../src/limit/tenant-gate.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { countResources, settleTurns } from "../helpers/resources.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Job {
  readonly tenant: string;
  readonly n: number;
}

/** The p99 of `values`. */
function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
}

describe("tenants", () => {
  test("one tenant cannot exhaust the stage: its quota runs, the other tenants' items go on", async () => {
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    const jobs: Job[] = [
      ...Array.from({ length: 60 }, (_, n) => ({ tenant: "big", n })),
      ...Array.from({ length: 6 }, (_, n) => ({ tenant: "small", n })),
    ];
    const summary = await from(jobs)
      .forEach(
        async (job: Job) => {
          running.set(job.tenant, (running.get(job.tenant) ?? 0) + 1);
          most.set(job.tenant, Math.max(most.get(job.tenant) ?? 0, running.get(job.tenant)!));
          await sleep(1);
          running.set(job.tenant, running.get(job.tenant)! - 1);
        },
        { concurrency: 8, tenants: { key: (job) => job.tenant, concurrency: 3 } },
      )
      .run();
    assert.equal(most.get("big"), 3);
    assert.equal(most.get("small"), 3);
    assert.equal(summary.stages[0]!.out, 66);
    assertConserved(summary);
  });

  test("items waiting are started across tenants in turn, weighted by `weights`", async () => {
    const started: string[] = [];
    const jobs: Job[] = [
      ...Array.from({ length: 6 }, (_, n) => ({ tenant: "a", n })),
      ...Array.from({ length: 6 }, (_, n) => ({ tenant: "b", n })),
      ...Array.from({ length: 6 }, (_, n) => ({ tenant: "c", n })),
    ];
    await from(jobs)
      .forEach(
        async (job: Job) => {
          started.push(job.tenant);
          await turn();
        },
        { concurrency: 1, tenants: { key: (job) => job.tenant, concurrency: 1 } },
      )
      .run();
    // The first "a" starts at once; the rest take turns.
    assert.deepEqual(started.slice(0, 7), ["a", "a", "b", "c", "a", "b", "c"]);

    const weighted: string[] = [];
    await from([...jobs, ...jobs])
      .forEach(
        async (job: Job) => {
          weighted.push(job.tenant);
          await turn();
        },
        {
          concurrency: 1,
          tenants: { key: (job) => job.tenant, concurrency: 1, weights: { a: 3, b: 1, c: 1 } },
        },
      )
      .run();
    const firstTen = weighted.slice(1, 11);
    assert.equal(firstTen.filter((t) => t === "a").length, 6, firstTen.join(","));
  });

  test('a tenant flooding 100× the others (overflow: "shed") does not delay them: each light item starts within one round of turns', async () => {
    // Time is counted in starts, not ms: how many calls started between a light item's
    // arrival at the stage and its own start. Unloaded, the light tenants' items start at once.
    let starts = 0;
    const waited: number[] = [];
    const arrivedAt = new Map<Job, number>();
    async function* arrivals(flood: boolean): AsyncGenerator<Job> {
      let n = 0;
      for (let round = 0; round < 40; round++) {
        for (let t = 0; t < 4; t++) {
          const job = { tenant: `light${t}`, n: n++ };
          arrivedAt.set(job, starts);
          yield job;
        }
        if (flood) for (let i = 0; i < 400; i++) yield { tenant: "flood", n: n++ };
        await turn();
      }
    }
    const run = async (flood: boolean): Promise<number[]> => {
      waited.length = 0;
      await from(() => arrivals(flood))
        .forEach(
          async (job: Job) => {
            starts++;
            const at = arrivedAt.get(job);
            if (at !== undefined) waited.push(starts - 1 - at);
            await turn();
          },
          {
            concurrency: 8,
            tenants: { key: (job) => job.tenant, concurrency: 2, queue: 8, overflow: "shed" },
          },
        )
        .run();
      return [...waited];
    };
    const unloaded = p99(await run(false));
    const loaded = p99(await run(true));
    // One round of turns: each of the 5 tenants may start its quota (2) before a light item's.
    assert.ok(
      loaded <= Math.max(2 * unloaded, 5 * 2),
      `light items waited ${loaded} starts (p99) under the flood, ${unloaded} unloaded`,
    );
  });

  test("shed items count as shed and in; onShed hears of each", async () => {
    const shed: Job[] = [];
    const summary = await from(Array.from({ length: 50 }, (_, n) => ({ tenant: "t", n })))
      .forEach(() => sleep(1), {
        concurrency: 2,
        onShed: (job) => shed.push(job),
        tenants: { key: (job: Job) => job.tenant, concurrency: 1, queue: 2, overflow: "shed" },
      })
      .run();
    const stage = summary.stages[0]!;
    assert.ok(stage.shed > 0);
    assert.equal(shed.length, stage.shed);
    assert.equal(stage.tenants!.shed, stage.shed);
    assertConserved(summary);
  });

  test("a tenant's rate: at most `rate` starts per `per` for that tenant", async () => {
    mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: 1_000_000 });
    try {
      const starts: number[] = [];
      const run = from(Array.from({ length: 6 }, (_, n) => ({ tenant: "t", n })))
        .forEach(
          () => {
            starts.push(Date.now() - 1_000_000);
          },
          {
            concurrency: 4,
            tenants: {
              key: (job: Job) => job.tenant,
              concurrency: 4,
              rate: { rate: 2, per: "1s", burst: 2 },
            },
          },
        )
        .run();
      const drained = run.drain();
      for (let t = 0; t < 40; t++) {
        await turn();
        mock.timers.tick(100);
      }
      await drained;
      assert.deepEqual(starts.slice(0, 2), [0, 0]);
      for (let i = 2; i < starts.length; i++) {
        assert.ok(starts[i]! >= (i - 1) * 500 - 1, `start ${i} at ${starts[i]} ms`);
      }
    } finally {
      mock.timers.reset();
    }
  });

  test("rate: a number is starts per second", async () => {
    mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: 1_000_000 });
    try {
      const starts: number[] = [];
      const run = from(Array.from({ length: 4 }, (_, n) => ({ tenant: "t", n })))
        .forEach(
          () => {
            starts.push(Date.now() - 1_000_000);
          },
          { tenants: { key: (job: Job) => job.tenant, concurrency: 4, rate: 10 } },
        )
        .run();
      const drained = run.drain();
      for (let t = 0; t < 40; t++) {
        await turn();
        mock.timers.tick(25);
      }
      await drained;
      // A burst of one (what 10/s earns in 10 ms, at least 1), then one per 100 ms.
      assert.equal(starts[0], 0);
      for (let i = 1; i < starts.length; i++) {
        assert.ok(starts[i]! >= i * 100 - 1, `start ${i} at ${starts[i]} ms`);
      }
    } finally {
      mock.timers.reset();
    }
  });

  test("100,000 tenants over a run: reaped after idle, and nothing is left when the run ends", async () => {
    await settleTurns();
    const before = countResources();
    const run = from(Array.from({ length: 100_000 }, (_, n) => ({ tenant: `t${n}`, n })))
      .forEach(async () => {}, {
        concurrency: 16,
        tenants: { key: (job: Job) => job.tenant, concurrency: 1, idle: 20 },
      })
      .run();
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, run.stats().stages[0]!.tenants?.known ?? 0);
    }, 5);
    const summary = await run.drain();
    clearInterval(watch);
    const tenants = summary.stages[0]!.tenants!;
    assert.ok(tenants.reaped > 0 || most < 100_000, `${tenants.reaped} reaped, ${most} at most`);
    assert.equal(tenants.known, 0, "the stage forgets every tenant when it ends");
    await settleTurns();
    assert.deepEqual(countResources(), before);
    assertConserved(summary);
  });

  test("TenantGate reaps a tenant once idle for `idle`", () => {
    mock.timers.enable({ apis: ["setInterval", "Date"], now: 0 });
    try {
      const gate = new TenantGate(
        {
          key: (item) => item,
          concurrency: 1,
          queue: 4,
          overflow: "block",
          rate: undefined,
          weights: undefined,
          idleMs: 1_000,
        },
        () => {},
      );
      assert.equal(gate.admit("a", 0, 0, true), 0);
      gate.release(0);
      assert.equal(gate.size, 1);
      mock.timers.tick(600);
      mock.timers.tick(600);
      mock.timers.tick(600);
      assert.equal(gate.size, 0);
      assert.equal(gate.stats().reaped, 1);
    } finally {
      mock.timers.reset();
    }
  });

  test("bad tenants options are refused, naming the option", () => {
    const source = from([{ tenant: "a", n: 1 }]);
    assertInvalid(
      () => source.map((j) => j, { tenants: { concurrency: 2 } as never }),
      "Expected `map.tenants.key` to be a function item => its tenant, got `undefined` (undefined)",
      "map.tenants.key",
    );
    assertInvalid(
      () => source.map((j) => j, { tenants: { key: (j: Job) => j.tenant } as never }),
      "Expected `map.tenants.concurrency` to be an integer >= 1 (items of one tenant running at once), got `undefined` (undefined)",
      "map.tenants.concurrency",
    );
    assertInvalid(
      () =>
        source.map((j) => j, {
          tenants: { key: (j) => j.tenant, concurrency: 1, overflow: "drop" as never },
        }),
      'Expected `map.tenants.overflow` to be one of "block", "shed", got `"drop"` (string)',
      "map.tenants.overflow",
    );
    assertInvalid(
      () =>
        source.map((j) => j, {
          tenants: { key: (j) => j.tenant, concurrency: 1, weights: { a: -1 } },
        }),
      'Expected `map.tenants.weights` to be a function tenant => weight, or an object { tenant: weight } of numbers > 0, got `{"a":-1}` (object)',
      "map.tenants.weights",
    );
    assertInvalid(
      () =>
        source.map((j) => j, {
          key: (j) => j.tenant,
          perKey: 1,
          tenants: { key: (j) => j.tenant, concurrency: 1 },
        }),
      "Option `map.tenants` does not combine with `map.perKey`: tenants have their own quota (`concurrency`, `queue`) and token bucket (`rate`) each",
      "map.tenants",
    );
  });
});
