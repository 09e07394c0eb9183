import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { alignRows, pad, renderTable, truncate } from "../../src/internal/text-table.js";

describe("renderTable", () => {
  test("sizes each column to its widest cell and aligns it", () => {
    const lines = renderTable(
      [
        { header: "name", align: "left" },
        { header: "n", align: "right" },
      ],
      [
        ["a", "1,000"],
        ["longer", "5"],
      ],
    );
    assert.deepEqual(lines, ["name        n", "a       1,000", "longer      5"]);
  });

  test("counts ✓ as one column and trims trailing spaces", () => {
    const lines = renderTable(
      [
        { header: "ok", align: "left" },
        { header: "x", align: "left" },
      ],
      [["✓", ""]],
    );
    assert.deepEqual(lines, ["ok  x", "✓"]);
  });
});

describe("alignRows", () => {
  test("lays out rows without a header; missing cells are blank", () => {
    assert.deepEqual(alignRows(["left", "right"], [["a", "1"], ["bb"]], 1), ["a  1", "bb"]);
  });
});

describe("pad and truncate", () => {
  test("pad fills on the side opposite the alignment", () => {
    assert.equal(pad("7", 3, "right"), "  7");
    assert.equal(pad("7", 3, "left"), "7  ");
    assert.equal(pad("long", 2, "left"), "long");
  });

  test("truncate marks a cut with an ellipsis within the width", () => {
    assert.equal(truncate("abcdef", 4), "abc…");
    assert.equal(truncate("abc", 3), "abc");
    assert.equal(truncate("abc", 1), "a");
  });
});
