import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isDeadLetterFileError, replay } from "../../src/dead-letter/index.js";
import { readRecords } from "../../src/dead-letter/replay.js";
import { from, isSourceError } from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { assertNoLeaks } from "../helpers/resources.js";
import { hasProc, openDescriptors } from "../helpers/open-descriptors.js";

const scratch = mkdtempSync(join(tmpdir(), "sluice-replay-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;

/** A dead-letter line as deadLetterFile writes it, with `item` spliced in as JSON text. */
const line = (stage: string, index: number, itemJson: string): string =>
  `{"stage":${JSON.stringify(stage)},"index":${index},"item":${itemJson},"error":{"name":"Error","message":"m"},"attempts":[{"attempt":1,"at":"2030-01-01T00:00:00.000Z","error":{"name":"Error","message":"m"}}],"at":"2030-01-01T00:00:00.000Z"}\n`;

function writeTemp(text: string): string {
  const path = join(scratch, `dead-${++files}.ndjson`);
  writeFileSync(path, text);
  return path;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe("replay", () => {
  test("yields the items in file order, or only one stage's", async () => {
    const path = writeTemp(
      line("fetch", 0, '{"url":"a"}') +
        line("parse", 3, '"<html>"') +
        line("fetch", 1, '{"url":"b"}'),
    );
    assert.deepEqual(await collect(replay(path)), [{ url: "a" }, "<html>", { url: "b" }]);
    assert.deepEqual(await collect(replay(path, { stage: "fetch" })), [{ url: "a" }, { url: "b" }]);
    assert.deepEqual(await collect(replay(path, { stage: "none" })), []);
  });

  test("is a source for from(), read afresh by each run", async () => {
    const path = writeTemp(line("s", 0, "1") + line("s", 1, "2"));
    const pipeline = from(replay<number>(path)).map((n) => n * 10);
    assert.deepEqual(await pipeline.run().collect(), [10, 20]);
    appendFileSync(path, line("s", 2, "3"));
    assert.deepEqual(await pipeline.run().collect(), [10, 20, 30]);
  });

  test("revives BigInts, skips blank lines and takes CRLF line ends", async () => {
    const path = writeTemp(
      `${line("s", 0, '{"n":{"$bigint":"9007199254740993"}}')}\n   \r\n${line("s", 1, "null").replace("\n", "\r\n")}`,
    );
    assert.deepEqual(await collect(replay(path)), [{ n: 9007199254740993n }, null]);
  });

  test("yields undefined for a line without an item", async () => {
    const path = writeTemp(
      '{"stage":"s","index":0,"error":{"name":"x","message":"y"},"attempts":[],"at":"t"}\n',
    );
    assert.deepEqual(await collect(replay(path)), [undefined]);
  });

  test("a malformed line throws naming the file and the line number", async () => {
    const path = writeTemp(`${line("s", 0, "1")}\n{"stage":"s","item":\n${line("s", 2, "3")}`);
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const item of replay(path)) seen.push(item);
      })(),
      (error: unknown) => {
        assert.ok(isDeadLetterFileError(error));
        assert.equal(error.line, 3);
        assert.equal(error.path, path);
        assert.match(
          error.message,
          new RegExp(`^Malformed dead-letter line ${path}:3: not JSON \\(`),
        );
        return true;
      },
    );
    assert.deepEqual(seen, [1]);
  });

  test("a line that is JSON but no dead letter is malformed too", async () => {
    for (const [text, reason] of [
      ["[1,2]", "not a JSON object"],
      ["42", "not a JSON object"],
      ['{"item":1}', 'no "stage" string'],
      ['{"stage":7,"item":1}', 'no "stage" string'],
    ] as const) {
      const path = writeTemp(`${text}\n`);
      await assert.rejects(collect(replay(path)), {
        message: `Malformed dead-letter line ${path}:1: ${reason}`,
        line: 1,
      });
    }
  });

  test("a run over a malformed file fails with a SourceError whose cause names the line", async () => {
    const path = writeTemp(`${line("s", 0, "1")}oops\n`);
    await assert.rejects(from(replay(path)).run().drain(), (error: unknown) => {
      assert.ok(isSourceError(error));
      assert.ok(isDeadLetterFileError(error.cause));
      assert.equal(error.cause.line, 2);
      return true;
    });
  });

  test("a missing file rejects the first read, naming the file", async () => {
    const path = join(scratch, "missing.ndjson");
    await assert.rejects(collect(replay(path)), (error: unknown) => {
      assert.ok(isDeadLetterFileError(error));
      assert.equal(error.line, undefined);
      assert.equal(
        error.message,
        `Cannot read the dead-letter file ${path}: ENOENT: no such file or directory, open '${path}'`,
      );
      return true;
    });
    await assert.rejects(collect(replay(scratch)), {
      message: `Cannot read the dead-letter file ${scratch}: not a file`,
    });
  });

  test("reads only the bytes the file had when it was opened", async () => {
    const path = writeTemp(line("s", 0, "1") + line("s", 1, "2"));
    const seen: unknown[] = [];
    for await (const item of replay(path)) {
      seen.push(item);
      // The replayed run's own dead letters, appended to the same file, are not read back.
      appendFileSync(path, line("s", 9, "99"));
    }
    assert.deepEqual(seen, [1, 2]);
    const bounded = await collect(readRecords(path, { end: line("s", 0, "1").length }));
    assert.deepEqual(
      bounded.map((record) => record.item),
      [1],
    );
  });

  test("streams a large file and closes it when the iteration stops early", async () => {
    const count = 50_000;
    const path = writeTemp(
      Array.from({ length: count }, (_, i) => line("s", i, String(i))).join(""),
    );
    await assertNoLeaks(async () => {
      const firstThree: unknown[] = [];
      // break awaits the generator's return(): the file is closed when the loop is left.
      for await (const item of replay(path)) {
        firstThree.push(item);
        if (firstThree.length === 3) break;
      }
      assert.deepEqual(firstThree, [0, 1, 2]);
      // The close was asked for and awaited; under load its request can still be listed for
      // a turn or two after its promise settled. Polled, with no bound on time asserted.
      for (let i = 0; i < 1_000 && process.getActiveResourcesInfo().includes("CloseReq"); i++) {
        await sleep(1);
      }
    });
    let total = 0;
    for await (const item of replay<number>(path)) total += item;
    assert.equal(total, (count * (count - 1)) / 2);
  });

  test(
    "a run that stops early (take) closes the file once the read under way ends",
    { skip: !hasProc },
    async () => {
      const path = writeTemp(
        Array.from({ length: 50_000 }, (_, i) => line("s", i, String(i))).join(""),
      );
      assert.deepEqual(await from(replay<number>(path)).take(3).run().collect(), [0, 1, 2]);
      // The run gives its source one turn to close; the read in flight may finish after it.
      // Polled until the descriptor is gone, with no bound on time asserted.
      for (let i = 0; i < 1_000 && openDescriptors(path) > 0; i++) await sleep(1);
      assert.equal(openDescriptors(path), 0);
    },
  );

  test("validates its path and options at once", () => {
    assertInvalid(
      () => replay(""),
      'Expected `replay.path` to be a file path (a non-empty string) or a file: URL, got `""` (string)',
      "replay.path",
    );
    assertInvalid(
      () => replay("d.ndjson", { stage: "" }),
      'Expected `replay.stage` to be a non-empty string, got `""` (string)',
      "replay.stage",
    );
    assertInvalid(
      () => replay("d.ndjson", { stag: "x" } as never),
      "Unknown option `replay.stag`; did you mean `stage`? Known options: stage",
      "replay.stag",
    );
  });
});
