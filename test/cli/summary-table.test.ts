import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderSummary, renderSummaryFooter } from "../../src/cli/summary-table.js";
import { runSummary, stageStats } from "./fixtures.js";

describe("renderSummary", () => {
  test("renders one aligned row per stage with a conservation mark, then the footer", () => {
    assert.deepEqual(renderSummary(runSummary()), [
      "stage     kind     concurrency  peak  ordered  buffer     in  out  out/s  filtered  failed  cancelled  emitted  conserved",
      "fetch     map               64    64  no          128  1,000  990  3.95k         0      10          0      990  ✓",
      "validate  filter            16     1  no           32    990  900  3.59k        90       0          0      900  ✓",
      "batch     batch              1     -  yes           2    900  900  3.59k         0       0          0        2  ✓",
      "write     forEach            1     1  no            2      2    2      8         0       0          0        0  ✓",
      "",
      "completed in 250 ms · 1,000 source items · 3.99k/s · 2 consumed by write",
      "conserved: in = out + filtered + failed + cancelled, per stage",
      "hand-offs: ✓ every emitted value reached the next stage or was counted as discarded",
    ]);
  });

  test("marks a stage whose counts do not add up with ✗", () => {
    const summary = runSummary({ stages: [stageStats({ out: 989 })], pulled: 1_000 });
    const [, fetch] = renderSummary(summary);
    assert.ok(fetch?.endsWith("✗"), fetch);
  });

  test("adds a discarded column only when some stage discarded items", () => {
    const plain = renderSummary(runSummary());
    assert.ok(!plain[0]?.includes("discarded"));
    const stopped = runSummary({
      outcome: "cancelled",
      pulled: 1_005,
      stages: [stageStats({ discarded: 5 })],
      delivered: 990,
    });
    const [header, fetch] = renderSummary(stopped);
    assert.match(header ?? "", /cancelled {2}discarded {2}emitted/);
    assert.match(fetch ?? "", / 0 {10}5 {6}990 {2}✓$/);
  });
});

describe("renderSummaryFooter", () => {
  test("names the hand-off that lost items", () => {
    const summary = runSummary({ pulled: 1_001 });
    assert.equal(
      renderSummaryFooter(summary)[2],
      "hand-offs: ✗ source → fetch: pulled 1001 ≠ in 1000 + discarded 0",
    );
  });

  test("a keyed stage, a multi-tenant stage and each branch add a line", () => {
    const branchRun = runSummary({
      stages: [
        stageStats({ name: "audit", kind: "forEach", in: 40, out: 40, failed: 0, emitted: 0 }),
      ],
    });
    const summary = runSummary({
      stages: [
        stageStats({ keys: { active: 0, waiting: 0, maxWaiting: 18 } }),
        stageStats({ name: "serve", tenants: { known: 0, waiting: 0, shed: 12, reaped: 3 } }),
      ],
      branches: [
        {
          name: "tee#1",
          mode: "drop",
          buffer: 8,
          offered: 40,
          dropped: 2,
          queued: 0,
          run: branchRun,
        },
      ],
    });
    assert.deepEqual(renderSummaryFooter(summary).slice(-3), [
      "keys: fetch · most waiting for one key 18",
      "tenants: serve · shed 12 · reaped 3",
      "branch tee#1 (drop): offered 40 · dropped 2 · completed: audit 40 → 40 ✓",
    ]);
  });

  test("a stage with failures adds a line of them by error class, the most first", () => {
    const summary = runSummary({
      stages: [
        stageStats({
          failed: 1_253,
          failedBy: { TimeoutError: 3, BrokenCircuitError: 1_200, HttpError: 50 },
        }),
      ],
    });
    assert.deepEqual(renderSummaryFooter(summary).slice(-1), [
      "errors: fetch · BrokenCircuitError 1,200 · HttpError 50 · TimeoutError 3",
    ]);
  });

  test("a broker worker's run adds a line of its deliveries", () => {
    const summary = runSummary({
      deliveries: { received: 3_000, acked: 2_990, nacked: 10, inFlight: 0, groupLag: 12 },
    });
    assert.equal(
      renderSummaryFooter(summary).at(-1),
      "deliveries: received 3,000 · acked 2,990 · nacked 10 · inFlight 0 · groupLag 12",
    );
  });

  test("a pipeline that does not end in forEach counts what it delivered", () => {
    const summary = runSummary({ delivered: 7, consumed: 0 });
    const stages = summary.stages.slice(0, 2);
    assert.match(renderSummaryFooter({ ...summary, stages })[0]!, / · 7 delivered$/);
  });

  test("says nothing about hand-offs for a run without stages", () => {
    const lines = renderSummaryFooter(runSummary({ stages: [], pulled: 0, itemsPerSecond: 0 }));
    assert.deepEqual(lines, [
      "completed in 250 ms · 0 source items · 0/s · 0 delivered",
      "conserved: in = out + filtered + failed + cancelled, per stage",
    ]);
  });
});
