import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCli, signalWhen } from "./run-cli.js";

/** The compiled fixture module (.mts compiles to .mjs). */
const fixture = fileURLToPath(new URL("./run-fixtures/run-pipeline.mjs", import.meta.url));

describe("sluice run", () => {
  test("runs a module to its end, prints the summary, exits 0", async () => {
    const result = await runCli(["run", fixture, "--no-progress", "--", "ok", "50"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^double +map +4 /m);
    assert.match(result.stdout, /^completed in .* 50 source items/m);
    assert.equal(result.stderr, "");
  });

  test("--json prints the summary as JSON; items skipped by the stage still exit 0", async () => {
    const result = await runCli(["run", fixture, "--json", "--", "skip", "100"]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as {
      outcome: string;
      stages: { name: string; in: number; out: number; failed: number }[];
    };
    assert.equal(summary.outcome, "completed");
    const [double] = summary.stages;
    assert.deepEqual([double!.in, double!.out, double!.failed], [100, 90, 10]);
  });

  test("a failed run prints its summary and the error, exit 1", async () => {
    const result = await runCli(["run", fixture, "--no-progress", "--", "fail", "20"]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^failed in /m);
    assert.match(result.stderr, /^error: the run of .* failed: .*item 3 is broken/m);
  });

  test("an unusable module exits 2 before anything runs", async () => {
    const result = await runCli(["run", "no-such-module.mjs"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: Cannot load the pipeline module no-such-module\.mjs/);
    assert.equal(result.stdout, "");
  });

  test("Ctrl-C cancels the run, waits for it to settle, says so and exits 130", async () => {
    const result = await runCli(["run", fixture, "--no-progress", "--", "hang", "10"], {
      onSpawn: (child, output) =>
        signalWhen(child, () => output.stderr().includes("working"), "SIGINT"),
    });
    assert.equal(result.code, 130);
    assert.match(result.stdout, /^cancelled in /m);
    assert.match(
      result.stderr,
      /sluice: the run of .* was cancelled by SIGINT after 10 source items \(.*\); it settled, and its summary is partial\.\n$/,
    );
  });

  test("SIGTERM cancels it too, exit 143", async () => {
    const result = await runCli(["run", fixture, "--no-progress", "--", "hang", "10"], {
      onSpawn: (child, output) =>
        signalWhen(child, () => output.stderr().includes("working"), "SIGTERM"),
    });
    assert.equal(result.code, 143);
    assert.match(result.stderr, /cancelled by SIGTERM/);
  });

  test("without a terminal the progress view prints plain lines on stderr", async () => {
    const result = await runCli(["run", fixture, "--", "hang", "4"], {
      onSpawn: (child, output) =>
        signalWhen(child, () => /\n.*double/.test(output.stderr()), "SIGINT"),
    });
    assert.equal(result.code, 130);
    assert.match(result.stderr, /double/);
  });

  test("--metrics-port 0 serves /metrics on a free loopback port while the run goes", async () => {
    let scraped = "";
    let missing = 0;
    const result = await runCli(
      ["run", fixture, "--no-progress", "--metrics-port", "0", "--", "hang", "10"],
      {
        onSpawn: (child, output) => {
          const poll = setInterval(() => {
            const url = /^metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(
              output.stderr(),
            )?.[1];
            if (url === undefined || !output.stderr().includes("working")) return;
            clearInterval(poll);
            void (async () => {
              scraped = await (await fetch(url)).text();
              missing = (await fetch(url.replace("/metrics", "/other"))).status;
              child.kill("SIGINT");
            })();
          }, 10);
          child.on("exit", () => clearInterval(poll));
        },
      },
    );
    assert.equal(result.code, 130);
    assert.match(
      scraped,
      /^sluice_stage_items_total\{pipeline="run-pipeline\.mjs",stage="double",outcome="in"\} 4$/m,
    );
    assert.match(
      scraped,
      /^sluice_stage_in_flight\{pipeline="run-pipeline\.mjs",stage="double"\} 4$/m,
    );
    assert.equal(missing, 404);
  });

  test("a --metrics-port that is not a port number is a usage error; a taken port fails the command", async () => {
    const bad = await runCli(["run", fixture, "--metrics-port", "http"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--metrics-port/);
    const { createServer } = await import("node:net");
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const busy = await runCli(["run", fixture, "--metrics-port", String(port), "--", "ok", "5"]);
      assert.equal(busy.code, 1);
      assert.match(
        busy.stderr,
        new RegExp(`^error: Cannot serve metrics on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`, "m"),
      );
      assert.equal(busy.stdout, "");
    } finally {
      taken.close();
    }
  });

  test("sluice --help lists the run command", async () => {
    const result = await runCli(["--help"]);
    assert.match(result.stdout, /run \[options\] <module> \[args\.\.\.\]/);
  });
});
