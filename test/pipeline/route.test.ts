import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  acknowledged,
  from,
  isInvalidOptionError,
  isStageError,
  type RunSummary,
} from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { until } from "../helpers/until.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

interface Event {
  readonly type: "click" | "view" | "buy";
  readonly id: number;
}

const events = (n: number): Event[] =>
  range(n).map((id) => ({ type: (["click", "view", "buy"] as const)[id % 3]!, id }));

/** The main run conserved, each branch conserved and fed what was routed to it. */
function assertRouteConserved(summary: RunSummary): void {
  assertConserved(summary);
  for (const branch of summary.branches ?? []) {
    assert.equal(branch.queued, 0, `${branch.name}: nothing left queued`);
    assertConserved(branch.run!);
    assert.equal(branch.run!.pulled, branch.offered, `${branch.name}: read all it was offered`);
  }
}

describe(".route()", () => {
  test("each item goes to the branch its function names; the branches' outputs are merged after", async () => {
    const stored: string[] = [];
    const run = from(events(300))
      .route((event) => event.type, {
        click: (p) => p.map(async (e) => (await turn(), `click:${e.id}`), { concurrency: 4 }),
        view: (p) => p.batch({ size: 10 }).map((batch) => `views:${batch.length}`),
        buy: (p) => p.filter((e) => e.id % 2 === 0).map((e) => e.id),
      })
      .map((out) => String(out))
      .forEach((out) => {
        stored.push(out);
      })
      .run();
    const summary = await run;
    assert.equal(summary.outcome, "completed");
    assert.equal(stored.filter((s) => s.startsWith("click:")).length, 100);
    assert.deepEqual(
      stored.filter((s) => s.startsWith("views:")),
      Array(10).fill("views:10"),
    );
    assert.equal(stored.filter((s) => /^\d+$/.test(s)).length, 50);
    const route = summary.stages[0]!;
    assert.equal(route.kind, "route");
    assert.equal(route.in, 300);
    assert.equal(route.out, 300);
    assert.equal(route.emitted, 160);
    assert.deepEqual(
      summary.branches!.map((b) => [b.name, b.offered]),
      [
        ["route#1.click", 100],
        ["route#1.view", 100],
        ["route#1.buy", 100],
      ],
    );
    assertRouteConserved(summary);
  });

  test("a full branch holds the route back: the source is read only as far as the slow branch takes", async () => {
    let pulled = 0;
    function* endless(): Generator<Event> {
      for (;;) yield { type: "click", id: pulled++ };
    }
    const out = await from(endless)
      .route(
        () => "click" as const,
        {
          click: (p) => p.map(async (e) => (await turn(), e.id), { concurrency: 1, buffer: 1 }),
        },
        { buffer: 2 },
      )
      .take(20)
      .run()
      .toArray();
    assert.equal(out.length, 20);
    assert.ok(pulled < 400, `${pulled} pulled`);
  });

  test("an item that names no branch, or whose route throws, fails the run with a StageError", async () => {
    await assert.rejects(
      from([
        { type: "click", id: 1 },
        { type: "zoom", id: 2 },
      ] as Event[])
        .route((e) => e.type as "click", { click: (p) => p.map((e) => e.id) })
        .run()
        .drain(),
      (error: unknown) =>
        isStageError(error) &&
        error.stage === "route#1" &&
        error.index === 1 &&
        (error.cause as Error).message ===
          'The route function named "zoom", which is none of the branches ("click")',
    );
    const boom = new Error("no type");
    await assert.rejects(
      from([1])
        .route(
          () => {
            throw boom;
          },
          { a: (p) => p.map((n) => n) },
        )
        .run()
        .drain(),
      (error: unknown) => isStageError(error) && error.cause === boom,
    );
  });

  test("a failing branch fails the run with its own error; a cancelled run cancels every branch", async () => {
    const broken = new Error("parser broke");
    await assert.rejects(
      from(events(30))
        .route((e) => e.type, {
          click: (p) => p.map((e) => e.id),
          view: (p) =>
            p.map((e) => {
              if (e.id === 4) throw broken;
              return e.id;
            }),
          buy: (p) => p.map((e) => e.id),
        })
        .run()
        .drain(),
      (error: unknown) => isStageError(error) && error.stage === "map#1" && error.cause === broken,
    );

    const signals: AbortSignal[] = [];
    const run = from(async function* () {
      for (let id = 0; ; id++) {
        await turn();
        yield { type: id % 2 === 0 ? "click" : "view", id } as Event;
      }
    })
      .route((e) => e.type as "click" | "view", {
        click: (p) =>
          p.map((_e, ctx) => {
            signals.push(ctx.signal);
            return new Promise<number>(() => {});
          }),
        view: (p) => p.map((e) => e.id),
      })
      .run();
    const drained = run.drain().catch(() => undefined);
    await until(() => signals.length > 0);
    const summary = await run.cancel();
    await drained;
    assert.equal(summary.outcome, "cancelled");
    assert.ok(signals.every((signal) => signal.aborted));
  });

  test("fast-check: every item reaches its branch once, every branch output comes out once, under random delays", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 150 }),
        fc.integer({ min: 1, max: 8 }),
        async (plan, buffer) => {
          const items = plan.map((lane, id) => ({ lane, id }));
          const wait = async (id: number): Promise<void> => {
            for (let i = 0; i < id % 3; i++) await turn();
          };
          const run = from(items)
            .route(
              (item) => (["a", "b", "c"] as const)[item.lane]!,
              {
                a: (p) => p.map(async (item) => (await wait(item.id), item.id), { concurrency: 3 }),
                b: (p) => p.flatMap((item) => [item.id, item.id]),
                c: (p) => p.filter((item) => item.id % 2 === 0).map((item) => item.id),
              },
              { buffer },
            )
            .run();
          const out = await run.toArray();
          const expected =
            items.filter((i) => i.lane === 0).length +
            2 * items.filter((i) => i.lane === 1).length +
            items.filter((i) => i.lane === 2 && i.id % 2 === 0).length;
          assert.equal(out.length, expected);
          assertRouteConserved(run.stats());
        },
      ),
      { numRuns: 60 },
    );
  });

  test("bad routes and branches are refused, naming them; a broker source is refused", () => {
    const source = from(events(1));
    assertInvalid(
      () => source.route("type" as never, { click: (p) => p.map((e) => e) }),
      'Expected `route.route` to be a function item => the name of its branch, got `"type"` (string)',
      "route.route",
    );
    assertInvalid(
      () => source.route((e) => e.type as never, {}),
      "Expected `route.branches` to be an object with one branch or more, got `{}` (object)",
      "route.branches",
    );
    assertInvalid(
      () => source.route((e) => e.type as "click", { click: (() => from([1])) as never }),
      "Expected `route.branches.click` to be a function that returns the branch, a pipeline built on the one it receives (p => p.map(…)), got `{}` (Pipeline)",
      "route.branches.click",
    );
    assert.throws(
      () => from(acknowledged(() => [])).route(() => "a", { a: (p) => p }),
      (error: unknown) =>
        isInvalidOptionError(error) && /cannot follow a broker source/.test(error.message),
    );
  });
});
