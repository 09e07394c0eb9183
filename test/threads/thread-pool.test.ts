import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { from, isThreadPoolClosedError, isWorkerInitError } from "../../src/index.js";
import { thread, ThreadPool, type ThreadPoolOptions, threadPool } from "../../src/threads/index.js";
import type { BatchJob, BatchOwner } from "../../src/threads/pool-thread.js";
import type { DoneMessage } from "../../src/threads/protocol.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { batchMessage } from "../helpers/batch-message.js";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const fixture = (name: string) => new URL(`./fixtures/${name}.worker.js`, import.meta.url).href;

describe("threadPool", () => {
  test("has the threads asked for; close() is idempotent and waits for every thread", async () => {
    const pool = threadPool({ threads: 2 });
    assert.equal(pool.size, 2);
    assert.equal(pool.batchSlots, 4);
    await pool.prepare(fixture("double"));
    const closing = pool.close();
    assert.equal(pool.close(), closing);
    await closing;
    assert.equal(pool.closed, true);
  });

  test("new ThreadPool(options) is threadPool(options), validated the same way", async () => {
    const notObject = (got: string) =>
      `Expected \`threadPool\` to be an options object, got \`${got}\` (number)`;
    const badThreads = (got: number) =>
      `Expected \`threadPool.threads\` to be an integer from 1 to 1024 or "cpus", got \`${got}\` (number)`;
    const make = (options: unknown) => () => new ThreadPool(options as ThreadPoolOptions);
    for (const size of [0, -1, 2.5])
      assertInvalid(make(size), notObject(String(size)), "threadPool");
    assertInvalid(make({ threads: 0 }), badThreads(0), "threadPool.threads");
    assertInvalid(make({ threads: 2000 }), badThreads(2000), "threadPool.threads");
    assertInvalid(
      make({ thread: 2 }),
      "Unknown option `threadPool.thread`; did you mean `threads`? Known options: threads, resourceLimits",
      "threadPool.thread",
    );
    const pool = new ThreadPool({ threads: 2 });
    try {
      assert.equal(pool.size, 2);
      const values = await from([1, 2, 3])
        .map(
          thread<typeof import("./fixtures/double.worker.js").default>(fixture("double"), { pool }),
          {
            ordered: true,
          },
        )
        .run()
        .collect();
      assert.deepEqual(values, [2, 4, 6]);
    } finally {
      await pool.close();
    }
  });

  test("prepare() rejects with the first thread's WorkerInitError", async () => {
    const pool = threadPool({ threads: 2 });
    try {
      await assert.rejects(pool.prepare(fixture("init-throws")), (error: unknown) =>
        isWorkerInitError(error),
      );
    } finally {
      await pool.close();
    }
  });

  test("prepare() takes what thread() takes and runs each thread's init once, ahead of the run", async () => {
    const pool = threadPool({ threads: 2 });
    try {
      const url = new URL(fixture("init-time"));
      await pool.prepare(url);
      const preparedAt = Date.now();
      await sleep(5);
      // Again, as a string and as a path: the module is started already.
      await pool.prepare(url.href);
      await pool.prepare(fileURLToPath(url));
      const infos = await from(range(40))
        .map(
          thread<typeof import("./fixtures/init-time.worker.js").default>(url, { pool, batch: 1 }),
        )
        .run()
        .collect();
      assert.equal(infos.length, 40);
      for (const info of infos) assert.ok(info.initAt <= preparedAt, "init ran during prepare()");
      const perThread = new Map(infos.map((info) => [info.threadId, info.initAt]));
      for (const info of infos) assert.equal(info.initAt, perThread.get(info.threadId));
    } finally {
      await pool.close();
    }
  });

  test("prepare() refuses a module that is neither a file: URL nor an absolute path, at once", async () => {
    const pool = threadPool({ threads: 1 });
    try {
      const notFileUrl = (got: string, hint: boolean) =>
        `Expected \`ThreadPool.prepare.module\` to be a file: URL or an absolute path${
          hint ? ' (e.g. new URL("./work.js", import.meta.url))' : ""
        }, got ${got}`;
      const prepare = (module: unknown) => () => pool.prepare(module as string);
      const option = "ThreadPool.prepare.module";
      assertInvalid(
        prepare("./double.worker.js"),
        notFileUrl('`"./double.worker.js"` (string)', true),
        option,
      );
      assertInvalid(
        prepare(new URL("https://example.com/w.js")),
        notFileUrl('`"https://example.com/w.js"` (string)', false),
        option,
      );
      assertInvalid(prepare(42), notFileUrl("`42` (number)", true), option);
    } finally {
      await pool.close();
    }
  });

  test("prepare() on a pool that is closed, or closed before it is ready, rejects with ThreadPoolClosedError", async () => {
    const pool = threadPool({ threads: 2 });
    const preparing = pool.prepare(fixture("double"));
    await pool.close();
    await assert.rejects(preparing, (error: unknown) => {
      assert.ok(isThreadPoolClosedError(error));
      assert.equal(error.whileRunning, true);
      assert.equal(error.stage, undefined);
      assert.match(error.message, /closed before every thread was ready/);
      return true;
    });
    await assert.rejects(pool.prepare(fixture("double")), (error: unknown) => {
      assert.ok(isThreadPoolClosedError(error));
      assert.equal(error.whileRunning, false);
      assert.match(error.message, /ThreadPool\.prepare\(\): the pool is closed/);
      return true;
    });
  });

  test("an idle pool that was never closed does not keep the process alive", () => {
    const index = fileURLToPath(new URL("../../src/threads/index.js", import.meta.url));
    const script = `
      import { threadPool } from ${JSON.stringify(index)};
      const pool = threadPool({ threads: 2 });
      await pool.prepare(${JSON.stringify(fixture("double"))});
      console.log("ready");
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(child.stdout.trim(), "ready");
    assert.equal(child.status, 0, child.stderr);
  });

  test("a pool never used, or whose thread was replaced after a timeout, does not keep the process alive", () => {
    const core = fileURLToPath(new URL("../../src/index.js", import.meta.url));
    const index = fileURLToPath(new URL("../../src/threads/index.js", import.meta.url));
    const script = `
      import { from } from ${JSON.stringify(core)};
      import { thread, threadPool } from ${JSON.stringify(index)};
      threadPool({ threads: 1 });
      // A call past the timeout: its thread is terminated and replaced by one that never
      // takes a batch.
      const pool = threadPool({ threads: 1 });
      const out = await from([5000, 1])
        .map(thread(${JSON.stringify(fixture("busy"))}, { pool, timeout: 200 }), {
          onError: "collect",
        })
        .run()
        .collect();
      console.log(out.map((r) => (r.ok ? r.value : r.error.name)).join(" "));
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(child.stdout.trim(), "TimeoutError 1");
    assert.equal(child.status, 0, `exit ${child.status} ${child.signal ?? ""} ${child.stderr}`);
  });

  test("a batch that must be alone goes only to a thread holding none, and no other joins it", async () => {
    const pool = threadPool({ threads: 2 });
    const url = fixture("busy");
    try {
      await pool.prepare(url);
      const answered: number[] = [];
      const owner: BatchOwner = {
        batchDone: (job) => answered.push(job.message.id),
        batchLost: () => {},
        batchUnreadable: () => {},
        initFailed: () => {},
      };
      const job = (id: number, alone = false): BatchJob => ({
        message: batchMessage({ id, module: pool.moduleId(url), items: [50] }),
        owner,
        transfer: undefined,
        ...(alone ? { alone } : {}),
      });
      const first = pool.trySend(job(9101), url);
      const lone = pool.trySend(job(9102, true), url);
      assert.ok(first !== undefined && lone !== undefined);
      assert.notEqual(lone, first, "the idle thread");
      assert.equal(pool.trySend(job(9103, true), url), undefined, "no thread holds nothing");
      // One more place on the first thread, and none beside the lone batch.
      assert.equal(pool.trySend(job(9104), url), first);
      assert.equal(pool.hasRoom(), false);
      assert.equal(pool.trySend(job(9105), url), undefined);
      while (answered.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(pool.hasIdleThread(), true);
    } finally {
      await pool.close();
    }
  });

  test("threads start under V8 and per-process flags, with or without --eval", () => {
    const index = fileURLToPath(new URL("../../src/threads/index.js", import.meta.url));
    const script = `
      import { threadPool } from ${JSON.stringify(index)};
      const pool = threadPool({ threads: 1 });
      await pool.prepare(${JSON.stringify(fixture("double"))});
      await pool.close();
      console.log("ready");
    `;
    const flags = ["--trace-gc", "--max-old-space-size=200", "--title", "sluice-test"];
    for (const args of [
      [...flags, "--input-type=module", "-e", script],
      [...flags, "--input-type=module", "--eval", script],
    ]) {
      const child = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 20_000 });
      assert.equal(child.status, 0, child.stderr);
      assert.match(child.stdout, /^ready$/m, args.join(" "));
    }
  });
  test("a batch its thread could not read goes back to its owner as unreadable; the thread goes on", async () => {
    const pool = threadPool({ threads: 1 });
    const url = fixture("double");
    try {
      await pool.prepare(url);
      const heard: string[] = [];
      let settle = (): void => {};
      const owner: BatchOwner = {
        batchDone: (job, message: DoneMessage) => {
          heard.push(`done ${job.message.id}: ${JSON.stringify(message.values)}`);
          settle();
        },
        batchLost: (job) => heard.push(`lost ${job.message.id}`),
        batchUnreadable: (job, error) => {
          heard.push(`unreadable ${job.message.id}: ${error.message}`);
        },
        initFailed: (job) => heard.push(`init failed ${job.message.id}`),
      };
      const message = (id: number, items: unknown[]) =>
        batchMessage({ id, module: pool.moduleId(url), items });
      // A view over a buffer moved away already: postMessage takes it, and the thread
      // cannot read the message.
      const detached = new Uint8Array(8);
      structuredClone(detached.buffer, { transfer: [detached.buffer] });
      const unreadable: BatchJob = {
        message: message(9001, [detached]),
        owner,
        transfer: [detached.buffer as ArrayBuffer],
      };
      const fine: BatchJob = { message: message(9002, [21]), owner, transfer: undefined };
      const answered = new Promise<void>((resolve) => (settle = resolve));
      assert.ok(pool.trySend(unreadable, url));
      assert.ok(pool.trySend(fine, url));
      await answered;
      assert.equal(heard.length, 2);
      assert.match(heard[0]!, /^unreadable 9001: the thread could not read the message: /);
      assert.equal(heard[1], "done 9002: [42]");
      assert.equal(pool.hasIdleThread(), true, "both batches let go of their room");
    } finally {
      await pool.close();
    }
  });
});
