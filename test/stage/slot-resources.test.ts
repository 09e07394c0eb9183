import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from, isResourceError, isStageError } from "../../src/index.js";
import { disposeResource } from "../../src/stage/slot-resources.js";
import { thread } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { until } from "../helpers/until.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A fake connection that records what happens to it. */
class Connection {
  static made: Connection[] = [];
  disposed = 0;
  uses = 0;
  constructor(readonly slot: number) {
    Connection.made.push(this);
  }
  async close(): Promise<void> {
    await turn();
    this.disposed++;
  }
}

describe("resources: one per slot", () => {
  test("made once per slot, all at once, before the first call; each call sees its slot's; let go when the run completes", async () => {
    Connection.made = [];
    let making = 0;
    let mostMaking = 0;
    let callsBeforeReady = 0;
    const summary = await from(Array.from({ length: 200 }, (_, i) => i))
      .forEach(
        async (_n: number, ctx) => {
          if (Connection.made.length < 4 || making > 0) callsBeforeReady++;
          assert.equal(ctx.resource.slot, ctx.slot);
          ctx.resource.uses++;
          await turn();
        },
        {
          concurrency: 4,
          resources: async (slot: number) => {
            making++;
            mostMaking = Math.max(mostMaking, making);
            await turn();
            making--;
            return new Connection(slot);
          },
        },
      )
      .run();
    assert.equal(summary.outcome, "completed");
    assert.equal(mostMaking, 4, "made all at once");
    assert.equal(callsBeforeReady, 0);
    assert.deepEqual(Connection.made.map((c) => c.slot).sort(), [0, 1, 2, 3]);
    assert.equal(
      Connection.made.reduce((n, c) => n + c.uses, 0),
      200,
    );
    assert.deepEqual(
      Connection.made.map((c) => c.disposed),
      [1, 1, 1, 1],
      "each let go once, before the run settled",
    );
    assertConserved(summary);
  });

  test("let go on failure and on cancel too", async () => {
    Connection.made = [];
    const boom = new Error("bad row");
    await assert.rejects(
      from([1, 2, 3, 4, 5])
        .map(
          async (n: number) => {
            await turn();
            if (n === 3) throw boom;
            return n;
          },
          { concurrency: 2, resources: (slot: number) => new Connection(slot) },
        )
        .run()
        .drain(),
      (error: unknown) => isStageError(error) && error.cause === boom,
    );
    assert.deepEqual(
      Connection.made.map((c) => c.disposed),
      [1, 1],
    );

    Connection.made = [];
    const run = from(async function* () {
      for (;;) {
        await turn();
        yield 1;
      }
    })
      .map((n: number) => new Promise<number>((resolve) => setTimeout(resolve, 5, n)), {
        concurrency: 3,
        resources: (slot: number) => new Connection(slot),
      })
      .run();
    const drained = run.drain().catch(() => undefined);
    await until(() => run.stats().stages[0]!.in > 5);
    const summary = await run.cancel();
    await drained;
    assert.equal(summary.outcome, "cancelled");
    assert.deepEqual(
      Connection.made.map((c) => c.disposed),
      [1, 1, 1],
    );
  });

  test("{ create, dispose } lets them go your way; a wider width makes the new slots' resources first", async () => {
    const made: number[] = [];
    const disposed: number[] = [];
    let seenWithout = 0;
    const run = from(Array.from({ length: 300 }, (_, i) => i))
      .map(
        async (n: number, ctx) => {
          if (ctx.resource?.slot !== ctx.slot) seenWithout++;
          await turn();
          return n;
        },
        {
          name: "work",
          concurrency: 2,
          resources: {
            create: async (slot: number) => {
              await turn();
              made.push(slot);
              return { slot };
            },
            dispose: (resource, slot) => {
              assert.equal(resource.slot, slot);
              disposed.push(slot);
            },
          },
        },
      )
      .run();
    let widened = false;
    for await (const n of run) {
      if (n > 20 && !widened) {
        widened = true;
        run.setConcurrency("work", 5);
      }
    }
    assert.equal(seenWithout, 0);
    assert.deepEqual([...made].sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual([...disposed].sort(), [0, 1, 2, 3, 4]);
    assert.equal(run.stats().stages[0]!.maxInFlight, 5);
  });

  test("a resource that cannot be made fails the run with a ResourceError naming the stage and slot; those made are let go", async () => {
    Connection.made = [];
    const refused = new Error("connection refused");
    let calls = 0;
    await assert.rejects(
      from([1, 2, 3])
        .forEach(
          () => {
            calls++;
          },
          {
            name: "writer",
            concurrency: 3,
            resources: async (slot: number) => {
              await turn();
              if (slot === 1) throw refused;
              return new Connection(slot);
            },
          },
        )
        .run()
        .drain(),
      (error: unknown) =>
        isResourceError(error) &&
        error.stage === "writer" &&
        error.slot === 1 &&
        error.phase === "create" &&
        error.cause === refused &&
        error.message ===
          'Stage "writer" could not make the resource of slot 1: connection refused',
    );
    assert.equal(calls, 0);
    await until(() => Connection.made.every((c) => c.disposed === 1));
    assert.equal(Connection.made.length, 2);
  });

  test("a disposal that throws fails a run that would have completed", async () => {
    const broken = new Error("close failed");
    await assert.rejects(
      from([1, 2])
        .map((n: number) => n, {
          resources: () => ({
            close() {
              throw broken;
            },
          }),
          concurrency: 1,
        })
        .run()
        .drain(),
      (error: unknown) =>
        isResourceError(error) && error.phase === "dispose" && error.cause === broken,
    );
  });

  test("disposeResource: asyncDispose, dispose, release, close, end, destroy, the first there is", async () => {
    const calls: string[] = [];
    const asyncDispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
    if (asyncDispose !== undefined) {
      await disposeResource({
        [asyncDispose]: async () => calls.push("asyncDispose"),
        close: () => calls.push("close"),
      });
    }
    await disposeResource({ release: () => calls.push("release"), end: () => calls.push("end") });
    await disposeResource({ end: () => calls.push("end"), destroy: () => calls.push("destroy") });
    await disposeResource({ destroy: () => calls.push("destroy") });
    await disposeResource({ plain: true });
    await disposeResource(42);
    assert.deepEqual(calls, [
      ...(asyncDispose === undefined ? [] : ["asyncDispose"]),
      "release",
      "end",
      "destroy",
    ]);
  });

  test("bad resources options are refused, naming the option", () => {
    const source = from([1]);
    assertInvalid(
      () => source.map((n) => n, { resources: 5 as never }),
      "Expected `map.resources` to be a function (slot) => resource, or { create, dispose? }, got `5` (number)",
      "map.resources",
    );
    assertInvalid(
      () => source.map((n) => n, { resources: { dispose: () => {} } as never }),
      "Expected `map.resources.create` to be a function (slot) => resource, got `undefined` (undefined)",
      "map.resources.create",
    );
    assert.throws(
      () => source.map((n) => n, { resources: { create: () => 1, close: 2 } as never }),
      /Unknown option `map.resources.close`/,
    );
    assertInvalid(
      () =>
        source.map(thread(new URL("../threads/fixtures/double.worker.js", import.meta.url)), {
          resources: () => 1,
        }),
      "Option `map.resources` applies to stages that run on the event loop; a thread stage makes each thread's state with its module's exported init(), as ctx.state",
      "map.resources",
    );
  });
});
