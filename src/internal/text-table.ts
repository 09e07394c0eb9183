/** How a column's cells line up: numbers read best right-aligned, names left-aligned. */
export type Align = "left" | "right";

/** One column of a {@link renderTable} table. */
export interface Column {
  /** The header cell. */
  readonly header: string;
  readonly align: Align;
}

/**
 * Lays out `rows` under a header row as plain text lines, each column as wide as its
 * widest cell, separated by `gap` spaces. No box-drawing characters: the output must
 * survive a pipe, a CI log and copy-paste into an issue. Trailing spaces are trimmed.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  gap = 2,
): string[] {
  return alignRows(
    columns.map((column) => column.align),
    [columns.map((column) => column.header), ...rows],
    gap,
  );
}

/**
 * Lays out `rows` in aligned columns, like {@link renderTable} without a header. A row
 * shorter than `aligns` leaves the missing cells blank.
 */
export function alignRows(
  aligns: readonly Align[],
  rows: readonly (readonly string[])[],
  gap = 2,
): string[] {
  const widths = aligns.map((_, i) =>
    Math.max(0, ...rows.map((row) => visibleLength(row[i] ?? ""))),
  );
  const separator = " ".repeat(gap);
  return rows.map((cells) =>
    aligns
      .map((align, i) => pad(cells[i] ?? "", widths[i] ?? 0, align))
      .join(separator)
      .trimEnd(),
  );
}

/** Pads `text` to `width` visible characters on the side `align` says. */
export function pad(text: string, width: number, align: Align): string {
  const fill = " ".repeat(Math.max(0, width - visibleLength(text)));
  return align === "left" ? text + fill : fill + text;
}

/** Cuts `text` to at most `width` visible characters, marking the cut with `…`. */
export function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  return width <= 1 ? chars.slice(0, width).join("") : `${chars.slice(0, width - 1).join("")}…`;
}

/**
 * Characters as a terminal shows them. Counting code points, not UTF-16 units, keeps `✓`
 * and `…` one column wide; the renderers use no wide (CJK) or combining characters.
 */
function visibleLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}
