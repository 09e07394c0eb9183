import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, describe, test } from "node:test";
import { type DashboardServer, serveDashboard } from "../../src/dashboard/dashboard-server.js";
import type { WireFrame, WireHello } from "../../src/dashboard/wire.js";
import { assertNoLeaks } from "../../src/testing/assert-no-leaks.js";
import { importGraph } from "../helpers/import-graph.js";
import { FakeRun, metricsAt } from "./fake-run.js";
import { openEvents, postJson, send } from "./http-client.js";
import { pageDir } from "./page-assets.js";

const stages = [
  { name: "fetch", kind: "map" as const, concurrency: 4, limit: 4 },
  { name: "sink", kind: "forEach" as const, concurrency: 1, limit: 1 },
];

function fakeRun(): FakeRun {
  return new FakeRun(metricsAt(0, stages));
}

/** The server's origin (scheme, loopback address, port) without path or token. */
function origin(server: DashboardServer): string {
  return new URL(server.url).origin.replace("0.0.0.0", "127.0.0.1");
}

const open: DashboardServer[] = [];
after(async () => {
  await Promise.all(open.map((server) => server.close()));
});

async function serve(run: FakeRun, host?: string): Promise<DashboardServer> {
  const server = await serveDashboard(run, {
    pipeline: "orders.mjs",
    port: 0,
    assetsDir: pageDir,
    ...(host === undefined ? {} : { host }),
  });
  open.push(server);
  return server;
}

describe("serveDashboard on loopback", () => {
  test("serves the page, its script and its style with no token", async () => {
    const server = await serve(fakeRun());
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(server.token, undefined);
    const page = await send(server.url);
    assert.equal(page.status, 200);
    assert.match(page.headers["content-type"]!, /^text\/html/);
    assert.match(page.body, /<script src="dashboard\.js"><\/script>/);
    assert.match(String(page.headers["content-security-policy"]), /default-src 'self'/);
    const script = await send(`${server.url}dashboard.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers["content-type"]!, /^text\/javascript/);
    const style = await send(`${server.url}dashboard.css`);
    assert.equal(style.status, 200);
    assert.match(style.body, /\.u-legend/, "uPlot's CSS is bundled in");
    assert.equal((await send(`${server.url}nothing`)).status, 404);
  });

  test("answers 403 to a Host that is not loopback (DNS rebinding)", async () => {
    const server = await serve(fakeRun());
    const answer = await send(server.url, { headers: { host: "attacker.example" } });
    assert.equal(answer.status, 403);
    assert.match(answer.body, /loopback host/);
  });
});

describe("serveDashboard beyond loopback", () => {
  test("makes a token and prints it in the URL", async () => {
    const server = await serve(fakeRun(), "0.0.0.0");
    assert.match(server.token!, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(
      server.url,
      `${origin(server).replace("127.0.0.1", "0.0.0.0")}/?token=${server.token}`,
    );
  });

  test("answers 401 without the token: the page, its assets, the event stream and the controls", async () => {
    const run = fakeRun();
    const base = origin(await serve(run, "0.0.0.0"));
    for (const path of ["/", "/dashboard.js", "/dashboard.css", "/events"]) {
      const answer = await send(`${base}${path}`);
      assert.equal(answer.status, 401, path);
      assert.match(answer.body, /needs the token printed when it started/);
    }
    const wrong = await send(`${base}/?token=not-the-token`);
    assert.equal(wrong.status, 401);
    for (const control of ["pause", "resume", "concurrency"]) {
      const answer = await postJson(`${base}/control/${control}`, {
        stage: "fetch",
        concurrency: 2,
      });
      assert.equal(answer.status, 401, control);
    }
    assert.deepEqual(run.calls, []);
  });

  test("answers 200 with ?token= or Authorization: Bearer", async () => {
    const run = fakeRun();
    const server = await serve(run, "0.0.0.0");
    const base = origin(server);
    const page = await send(`${base}/?token=${server.token}`);
    assert.equal(page.status, 200);
    // The page's own asset URLs carry the token, so the browser can load them.
    assert.ok(page.body.includes(`src="dashboard.js?token=${server.token}"`));
    assert.ok(page.body.includes(`href="dashboard.css?token=${server.token}"`));
    assert.equal((await send(`${base}/dashboard.js?token=${server.token}`)).status, 200);
    const bearer = { authorization: `Bearer ${server.token}` };
    const events = await openEvents(`${base}/events`, bearer);
    assert.equal(events.status, 200);
    assert.equal((await events.next()).event, "hello");
    events.close();
    const paused = await postJson(`${base}/control/pause`, {}, bearer);
    assert.equal(paused.status, 200);
    assert.deepEqual(run.calls, ["pause"]);
  });
});

describe("the event stream", () => {
  test("says hello with the pipeline and its stages, then sends a frame per interval", async () => {
    const run = fakeRun();
    const server = await serve(run);
    const events = await openEvents(`${server.url}events`);
    assert.match(events.headers["content-type"]!, /^text\/event-stream/);
    const hello = await events.next();
    assert.equal(hello.event, "hello");
    assert.deepEqual(hello.data as WireHello, {
      pipeline: "orders.mjs",
      intervalMs: 1_000,
      stages: [
        { name: "fetch", kind: "map", concurrency: 4, steerable: true },
        { name: "sink", kind: "forEach", concurrency: 1, steerable: true },
      ],
      frames: [],
    });
    run.tick(
      metricsAt(1_000, [
        { ...stages[0]!, in: 40, out: 30, inFlight: 4, queueDepth: 6 },
        stages[1]!,
      ]),
    );
    const frame = await events.next();
    assert.equal(frame.event, "frame");
    const data = frame.data as WireFrame;
    assert.equal(data.durationMs, 1_000);
    assert.deepEqual(
      [
        data.stages[0]!.in,
        data.stages[0]!.out,
        data.stages[0]!.inFlight,
        data.stages[0]!.queueDepth,
      ],
      [40, 30, 4, 6],
    );
    assert.equal(data.stages[0]!.outPerSecond, 30);
    events.close();
  });

  test("a page that connects late gets the frames so far in its hello", async () => {
    const run = fakeRun();
    const server = await serve(run);
    run.tick(metricsAt(1_000, stages));
    run.tick(metricsAt(2_000, stages, { outcome: "completed" }));
    const events = await openEvents(`${server.url}events`);
    const hello = (await events.next()).data as WireHello;
    assert.deepEqual(
      hello.frames.map((f) => [f.durationMs, f.outcome]),
      [
        [1_000, "running"],
        [2_000, "completed"],
      ],
    );
    events.close();
  });
});

describe("the controls", () => {
  test("pause, resume and concurrency call the run and answer its new state", async () => {
    const run = fakeRun();
    const server = await serve(run);
    assert.deepEqual(JSON.parse((await postJson(`${server.url}control/pause`, {})).body), {
      paused: true,
    });
    assert.deepEqual(JSON.parse((await postJson(`${server.url}control/resume`, {})).body), {
      paused: false,
    });
    const width = await postJson(`${server.url}control/concurrency`, {
      stage: "fetch",
      concurrency: 7,
    });
    assert.equal(width.status, 200);
    assert.deepEqual(JSON.parse(width.body), { stage: "fetch", limit: 7 });
    assert.deepEqual(run.calls, ["pause", "resume", "setConcurrency fetch 7"]);
  });

  test("answers 400 with the reason for bad input and for what the run refuses", async () => {
    const run = fakeRun();
    const server = await serve(run);
    const url = `${server.url}control/concurrency`;
    const unknown = await postJson(url, { stage: "nope", concurrency: 2 });
    assert.equal(unknown.status, 400);
    assert.match(
      JSON.parse(unknown.body).error,
      /^Expected `stage` to be the name of one of the pipeline's stages \(fetch, sink\)/,
    );
    const fraction = await postJson(url, { stage: "fetch", concurrency: 1.5 });
    assert.equal(fraction.status, 400);
    assert.match(
      JSON.parse(fraction.body).error,
      /^Expected `concurrency` to be an integer >= 1, got `1\.5`/,
    );
    run.refuse = new Error('Stage "fetch" has an adaptive limiter');
    const refused = await postJson(url, { stage: "fetch", concurrency: 2 });
    assert.equal(refused.status, 400);
    assert.equal(JSON.parse(refused.body).error, 'Stage "fetch" has an adaptive limiter');
    const garbage = await send(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    assert.equal(garbage.status, 400);
    assert.match(JSON.parse(garbage.body).error, /^The request body is not JSON/);
  });

  test("refuses what a page on another site could send: no JSON type (415), a foreign Origin (403)", async () => {
    const run = fakeRun();
    const server = await serve(run);
    const plain = await send(`${server.url}control/pause`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    assert.equal(plain.status, 415);
    const foreign = await postJson(
      `${server.url}control/pause`,
      {},
      { origin: "http://evil.example" },
    );
    assert.equal(foreign.status, 403);
    const own = await postJson(`${server.url}control/pause`, {}, { origin: origin(server) });
    assert.equal(own.status, 200);
    assert.deepEqual(run.calls, ["pause"]);
  });

  test("a GET on a control is 405, an unknown control 404", async () => {
    const server = await serve(fakeRun());
    assert.equal((await send(`${server.url}control/pause`)).status, 405);
    assert.equal((await postJson(`${server.url}control/stop`, {})).status, 404);
  });
});

describe("closing", () => {
  test("ends the open streams with an end event, stops listening to the run, leaves nothing behind", async () => {
    const run = fakeRun();
    await assertNoLeaks(async () => {
      const server = await serveDashboard(run, { pipeline: "p", port: 0, assetsDir: pageDir });
      const events = await openEvents(`${server.url}events`);
      await events.next();
      run.tick(metricsAt(1_000, stages));
      await events.next();
      await send(server.url);
      await server.close();
      assert.equal((await events.next()).event, "end");
      await events.ended;
      await server.close(); // a second close is harmless
      await assert.rejects(send(server.url), /ECONNREFUSED/);
    });
    assert.equal(run.listeners.size, 0);
  });

  test("a page that is not built fails at start, naming the build command", async () => {
    const run = fakeRun();
    await assert.rejects(
      serveDashboard(run, { pipeline: "p", port: 0, assetsDir: "/nonexistent/page" }),
      /The dashboard page is not built \(index\.html is missing from \/nonexistent\/page\): run `npm run build`/,
    );
    assert.equal(run.listeners.size, 0);
  });

  test("a taken port fails at start and leaves the run unwatched", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as { port: number };
    const run = fakeRun();
    try {
      await assert.rejects(
        serveDashboard(run, { pipeline: "p", port, assetsDir: pageDir }),
        /EADDRINUSE/,
      );
      assert.equal(run.listeners.size, 0);
    } finally {
      taken.close();
    }
  });
});

describe("the dashboard is the CLI's", () => {
  test('import "sluice" loads none of it', () => {
    const { modules } = importGraph();
    assert.ok(modules.includes("pipeline/pipeline.js"));
    assert.deepEqual(
      modules.filter((m) => m.startsWith("dashboard/") || m.startsWith("cli/")),
      [],
    );
  });
});
