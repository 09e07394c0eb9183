import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { WireHello } from "../../src/dashboard/wire.js";
import { openEvents, send } from "../dashboard/http-client.js";
import "../dashboard/page-assets.js";
import { type CliOutput, runCli } from "./run-cli.js";

/** The compiled fixture module (.mts compiles to .mjs). */
const fixture = fileURLToPath(new URL("./run-fixtures/run-pipeline.mjs", import.meta.url));

const URL_LINE = /^dashboard: (http:\/\/\S+)$/m;

/**
 * Runs the CLI; once it has printed its dashboard URL and started working, hands the URL to
 * `visit`, then sends SIGINT so the hanging run ends.
 */
async function whileServing(args: readonly string[], visit: (url: string) => Promise<void>) {
  let visited: Promise<void> | undefined;
  const result = await runCli(args, {
    onSpawn: (child, output: CliOutput) => {
      const poll = setInterval(() => {
        const url = URL_LINE.exec(output.stderr())?.[1];
        if (url === undefined || !output.stderr().includes("working")) return;
        clearInterval(poll);
        visited = visit(url).finally(() => child.kill("SIGINT"));
      }, 10);
      child.on("exit", () => clearInterval(poll));
    },
  });
  await visited;
  return result;
}

describe("sluice run --dashboard", () => {
  test("--dashboard 0 serves the page and its event stream on a free loopback port while the run goes", async () => {
    let url = "";
    let page = "";
    let hello: WireHello | undefined;
    const result = await whileServing(
      ["run", fixture, "--no-progress", "--dashboard", "0", "--", "hang", "10"],
      async (found) => {
        url = found;
        page = (await send(url)).body;
        const events = await openEvents(`${url}events`);
        hello = (await events.next()).data as WireHello;
        events.close();
      },
    );
    assert.equal(result.code, 130, result.stderr);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(page, /<script src="dashboard\.js"><\/script>/);
    assert.equal(hello?.pipeline, "run-pipeline.mjs");
    assert.deepEqual(
      hello?.stages.map((s) => s.name),
      ["double", "sink"],
    );
    // The server closed with the run.
    await assert.rejects(send(url), /ECONNREFUSED/);
  });

  test("--dashboard without a port picks a free one; the command exits by itself when the run ends", async () => {
    const result = await runCli(["run", fixture, "--no-progress", "--dashboard", "--", "ok", "50"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^dashboard: http:\/\/127\.0\.0\.1:\d+\/\n$/);
    assert.match(result.stdout, /^completed in /m);
  });

  test("--host beyond loopback prints a token in the URL; requests without it get 401", async () => {
    let statuses: number[] = [];
    let url = "";
    const result = await whileServing(
      ["run", fixture, "--no-progress", "--dashboard", "0", "--host", "0.0.0.0", "--", "hang", "4"],
      async (found) => {
        url = found;
        const local = found.replace("0.0.0.0", "127.0.0.1");
        const bare = local.replace(/\?token=.*$/, "");
        statuses = [
          (await send(bare)).status,
          (await send(`${bare}events`)).status,
          (await send(local)).status,
        ];
      },
    );
    assert.equal(result.code, 130, result.stderr);
    assert.match(url, /^http:\/\/0\.0\.0\.0:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(statuses, [401, 401, 200]);
  });

  for (const bad of ["abc", "65536", "-1", "1.5"]) {
    test(`--dashboard ${bad} is a usage error naming the option and the value`, async () => {
      const result = await runCli(["run", fixture, "--dashboard", bad]);
      assert.equal(result.code, 2);
      assert.equal(
        result.stderr,
        `error: option '--dashboard [port]' argument '${bad}' is invalid. Expected a port number from 0 to 65535.\n`,
      );
    });
  }

  test("--host without --dashboard is a usage error", async () => {
    const result = await runCli(["run", fixture, "--host", "0.0.0.0", "--", "ok", "5"]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "error: option '--host <host>' argument '0.0.0.0' needs --dashboard: it says where the dashboard listens.\n",
    );
    assert.equal(result.stdout, "");
  });

  test("a taken port fails the command before the run does anything", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as { port: number };
    try {
      const result = await runCli(["run", fixture, "--dashboard", String(port), "--", "ok", "5"]);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(
          `^error: Cannot serve the dashboard on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`,
          "m",
        ),
      );
      assert.equal(result.stdout, "");
    } finally {
      taken.close();
    }
  });
});

describe("sluice demo --dashboard", () => {
  test("serves the demo's dashboard while it runs and exits by itself", async () => {
    const result = await runCli([
      "demo",
      "--items",
      "2000",
      "--no-progress",
      "--json",
      "--dashboard",
      "0",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^dashboard: http:\/\/127\.0\.0\.1:\d+\/\n$/);
    assert.equal(JSON.parse(result.stdout).outcome, "completed");
  });
});
