import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { AppendWriter } from "../../src/dead-letter/append-writer.js";
import { hasProc, openDescriptors } from "../helpers/open-descriptors.js";

const scratch = mkdtempSync(join(tmpdir(), "sluice-append-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(scratch, `lines-${++files}.ndjson`);

const settings = { flushEvery: 0, fsync: false };

describe("AppendWriter", () => {
  test("lines appended in one turn go out in one batch: all resolve together", async () => {
    const path = tempFile();
    const writer = new AppendWriter(path, settings);
    const seen: number[] = [];
    const appended = Array.from({ length: 1_000 }, (_, i) =>
      writer.append(`${i}\n`).then(() => seen.push(writer.written)),
    );
    await Promise.all(appended);
    // One write for the thousand: every promise saw the counter at its final value.
    assert.deepEqual(new Set(seen), new Set([1_000]));
    assert.equal(
      readFileSync(path, "utf8"),
      Array.from({ length: 1_000 }, (_, i) => `${i}\n`).join(""),
    );
    await writer.close();
  });

  test("lines that arrive during a write go out together in the next one", async () => {
    const path = tempFile();
    const writer = new AppendWriter(path, settings);
    const first = writer.append("a\n");
    // Queued after the first batch has started writing.
    await nextTurn();
    const seen: number[] = [];
    const rest = ["b\n", "c\n", "d\n"].map((line) =>
      writer.append(line).then(() => seen.push(writer.written)),
    );
    await first;
    await Promise.all(rest);
    assert.deepEqual(seen, [4, 4, 4]);
    assert.equal(readFileSync(path, "utf8"), "a\nb\nc\nd\n");
    await writer.close();
  });

  test("flushEvery holds a batch back until it is due", async () => {
    const path = tempFile();
    const writer = new AppendWriter(path, { ...settings, flushEvery: 60_000 });
    let written = false;
    const pending = writer.append("late\n").then(() => {
      written = true;
    });
    await nextTurn();
    assert.equal(written, false);
    assert.equal(existsSync(path), false);
    // close() does not wait for the timer: it writes what is queued at once.
    await writer.close();
    await pending;
    assert.equal(readFileSync(path, "utf8"), "late\n");
  });

  test(
    "close() writes what is queued at once, and a later line opens the file again",
    { skip: !hasProc },
    async () => {
      const path = tempFile();
      const writer = new AppendWriter(path, { ...settings, flushEvery: 60_000 });
      const pending = writer.append("one\n");
      await writer.close();
      await pending;
      assert.equal(openDescriptors(path), 0);
      const again = writer.append("two\n");
      await writer.close();
      await again;
      assert.equal(openDescriptors(path), 0);
      assert.equal(readFileSync(path, "utf8"), "one\ntwo\n");
      assert.equal(writer.written, 2);
    },
  );

  test(
    "closes its file before the lines' promises resolve once no line waits",
    { skip: !hasProc },
    async () => {
      const path = tempFile();
      const writer = new AppendWriter(path, settings);
      await writer.append("x\n");
      assert.equal(openDescriptors(path), 0);
      let openDuringSecondBatch = -1;
      const first = writer.append("y\n");
      await nextTurn();
      // Queued while "y" is written: the file stays open for it.
      const second = writer.append("z\n");
      await first;
      openDuringSecondBatch = openDescriptors(path);
      await second;
      assert.equal(openDuringSecondBatch, 1);
      assert.equal(openDescriptors(path), 0);
      assert.equal(readFileSync(path, "utf8"), "x\ny\nz\n");
    },
  );

  test("a failed batch rejects its own lines only, with the file named", async () => {
    const path = join(scratch, "missing", "x.ndjson");
    const writer = new AppendWriter(path, settings);
    await assert.rejects(writer.append("x\n"), {
      name: "DeadLetterFileError",
      code: "ERR_SLUICE_DEAD_LETTER_FILE",
      path,
    });
    assert.equal(writer.written, 0);
    await writer.close();
  });
});
