// The dashboard page in a real browser: Debian's Chromium, driven by playwright-core (no
// browser download). Skipped, with a message, on a machine without /usr/bin/chromium; in CI
// (CI=true) it must run, so a missing Chromium fails it.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { type DashboardServer, serveDashboard } from "../../src/dashboard/dashboard-server.js";
import { from } from "../../src/index.js";
import { pageDir } from "./page-assets.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const artifacts = fileURLToPath(new URL("../../../test-artifacts/", import.meta.url));

const missing = !existsSync(CHROMIUM);
const skip =
  missing && process.env.CI !== "true"
    ? `no ${CHROMIUM} on this machine: apt-get install chromium to run the browser test`
    : false;

/**
 * A run that goes until `stop()`: an endless source feeding a slow stage (20 ms a call, width
 * 2), so the counts keep moving whatever the machine's speed; `stop()` ends the source and the
 * run completes by itself.
 */
function endlessRun() {
  let stopped = false;
  async function* numbers() {
    for (let i = 0; !stopped; i++) yield i;
  }
  const run = from(numbers())
    .map(
      (x: number, { signal }) =>
        new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => resolve(x), 20);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(signal.reason as Error);
          });
        }),
      { name: "fetch", concurrency: 2 },
    )
    .filter((x) => x % 3 !== 0, { name: "check" })
    .forEach(() => {}, { name: "sink" })
    .run({ metrics: { sampleEvery: 1 } });
  return { run, stop: () => (stopped = true) };
}

/** The text of a stage's field in the graph. */
function field(page: Page, stage: string, testid: string) {
  return page.locator(`[data-testid="stage-box"][data-stage="${stage}"] [data-testid="${testid}"]`);
}

/**
 * The page's `document`, as far as the callbacks below (which run in the page) use it: this
 * file compiles with Node's types, not the DOM's (those are the page's own tsconfig's).
 */
declare const document: {
  querySelector(
    selector: string,
  ): { textContent: string | null; getAttribute(name: string): string | null } | null;
};

/** A canvas, as far as {@link countInk} uses it. */
interface Canvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: "2d"): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}

const FETCH_OUT = '[data-testid="stage-box"][data-stage="fetch"] [data-testid="out"]';
const FETCH_IN_FLIGHT = '[data-testid="stage-box"][data-stage="fetch"] [data-testid="in-flight"]';
const FETCH_CHART = '[data-stage="fetch"] [data-testid="chart-throughput"]';

/** Waits until the page has drawn `frames` more frames (the charts' point count grows). */
async function waitFrames(page: Page, frames: number): Promise<void> {
  const target = Number(await page.locator(FETCH_CHART).getAttribute("data-points")) + frames;
  await page.waitForFunction(
    ([selector, n]) => Number(document.querySelector(selector)?.getAttribute("data-points")) >= n,
    [FETCH_CHART, target] as const,
  );
}

/** Waits until the text of `selector` is no longer `before`. */
async function waitChange(page: Page, selector: string, before: string | null): Promise<void> {
  await page.waitForFunction(([sel, old]) => document.querySelector(sel)?.textContent !== old, [
    selector,
    before,
  ] as const);
}

/** Waits until the text of `selector` matches `pattern`. */
async function waitText(page: Page, selector: string, pattern: RegExp): Promise<void> {
  await page.waitForFunction(
    ([sel, source]) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ""),
    [selector, pattern.source] as const,
  );
}

/**
 * Counts a canvas's painted pixels, and those in the throughput line's blue (#2563eb). Runs in
 * the page (Playwright sends its source), so it uses nothing from this module.
 */
function countInk(canvas: Canvas): { painted: number; blue: number } {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  let blue = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3]! > 0) painted++;
    // Give or take anti-aliasing.
    if (data[i + 3]! > 128 && data[i]! < 90 && data[i + 1]! < 140 && data[i + 2]! > 190) blue++;
  }
  return { painted, blue };
}

test(
  "the dashboard in Chromium: graph, moving numbers, charts, pause/resume and width",
  { skip, timeout: 60_000 },
  async () => {
    if (missing) {
      assert.fail(
        `CI=true but ${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)`,
      );
    }
    const { run, stop } = endlessRun();
    const drained = run.drain().catch(() => undefined);
    const userData = mkdtempSync(join(tmpdir(), "sluice-chromium-"));
    let server: DashboardServer | undefined;
    let browser: BrowserContext | undefined;
    try {
      server = await serveDashboard(run, {
        pipeline: "browser-test.mjs",
        port: 0,
        intervalMs: 200,
        assetsDir: pageDir,
      });
      browser = await chromium.launchPersistentContext(userData, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        viewport: { width: 1400, height: 1000 },
      });
      const page = browser.pages()[0] ?? (await browser.newPage());
      page.setDefaultTimeout(15_000);
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(String(error)));
      page.on("requestfailed", (request) => {
        // The event stream is cut when the server closes at the end; anything else is a bug.
        if (!request.url().includes("/events")) problems.push(`request failed: ${request.url()}`);
      });
      await page.goto(server.url);

      // The graph: one box per stage, joined by arrows, under the pipeline's name.
      await page.locator('[data-testid="stage-box"]').first().waitFor();
      const boxes = page.locator('[data-testid="stage-box"]');
      const names = [];
      for (let i = 0; i < (await boxes.count()); i++) {
        names.push(await boxes.nth(i).getAttribute("data-stage"));
      }
      assert.deepEqual(names, ["fetch", "check", "sink"]);
      assert.equal(await page.locator('[data-testid="arrow"]').count(), 3);
      assert.equal(
        await page.locator('[data-testid="pipeline"]').textContent(),
        "browser-test.mjs",
      );
      assert.equal(await page.title(), "sluice · browser-test.mjs");

      // The numbers move while the run goes.
      await waitFrames(page, 2);
      await waitChange(page, FETCH_OUT, await page.locator(FETCH_OUT).textContent());
      assert.match((await field(page, "fetch", "in-flight").textContent()) ?? "", /^\d+ \/ 2$/);

      // The charts draw: five per stage, on canvases that are not blank.
      await waitFrames(page, 3);
      assert.equal(await page.locator('[data-testid="stage-charts"]').count(), 3);
      assert.equal(await page.locator('[data-stage="fetch"] .chart canvas').count(), 5);
      const inked = await page.locator(`${FETCH_CHART} canvas`).evaluate(countInk);
      assert.ok(inked.painted > 0, "the throughput canvas is blank");
      assert.ok(inked.blue > 0, "the throughput line is not drawn");

      // Pause: the run pauses and, once its in-flight calls are done, the counts stop.
      await page.locator('[data-testid="pause"]').click();
      await page.locator('[data-testid="pause"][aria-pressed="true"]').waitFor();
      assert.equal(run.paused, true);
      await page.locator('[data-testid="status"][data-outcome="paused"]').waitFor();
      await waitText(page, FETCH_IN_FLIGHT, /^0 \/ 2$/);
      const held = await page.locator(FETCH_OUT).textContent();
      await waitFrames(page, 3);
      assert.equal(await page.locator(FETCH_OUT).textContent(), held);
      assert.equal(run.paused, true);

      // Resume: they move again.
      await page.locator('[data-testid="pause"]').click();
      await page.locator('[data-testid="pause"][aria-pressed="false"]').waitFor();
      assert.equal(run.paused, false);
      await waitChange(page, FETCH_OUT, held);

      // Width: the stage's limit changes in the run's metrics and on the page.
      await field(page, "fetch", "width-input").fill("5");
      await field(page, "fetch", "width-set").click();
      await waitText(page, FETCH_IN_FLIGHT, /\/ 5$/);
      assert.equal(run.metrics().stages[0]!.limit, 5);

      // A bad width is refused with the reason, and the run goes on.
      await field(page, "fetch", "width-input").fill("2.5");
      await field(page, "fetch", "width-set").click();
      await page.locator('[data-testid="message"]:not([hidden])').waitFor();
      assert.equal(
        await page.locator('[data-testid="message"]').textContent(),
        "fetch: Expected `concurrency` to be an integer >= 1, got `2.5` (number)",
      );
      assert.equal(run.metrics().outcome, "running");
      assert.equal(run.metrics().stages[0]!.limit, 5);

      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, "dashboard.png"), fullPage: true });

      // The run ends by itself; the page shows how, and keeps its last numbers after the server closes.
      stop();
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      await page.locator('[data-testid="status"][data-outcome="completed"]').waitFor();
      await server.close();
      assert.match(
        (await page.locator('[data-testid="status"]').textContent()) ?? "",
        /^completed in /,
      );
      assert.deepEqual(problems, []);
    } finally {
      stop();
      await browser?.close();
      await server?.close();
      await run.cancel();
      await drained;
      rmSync(userData, { recursive: true, force: true });
    }
  },
);
