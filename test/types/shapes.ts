// merge() types its pipeline by its inputs; key is typed by the stage's items; a web stream types from().
import { ReadableStream } from "node:stream/web";
import { from, merge, type Pipeline } from "../../src/index.js";

const merged = merge(
  [1, 2],
  from(["a"]).map((s) => s.length > 0),
  async function* () {
    yield "x";
  },
);
const typed: Pipeline<number | boolean | string> = merged;
// @ts-expect-error the merged type is the union of the inputs' types, not one of them
const narrow: Pipeline<number> = merged;

const web = from(new ReadableStream<{ id: number }>());
web.map((item) => item.id.toFixed());
// @ts-expect-error a web stream's chunks keep their type
web.map((item) => item.name);

from([{ host: "a" }]).map((x) => x, { key: (item) => item.host, perKey: 2 });
// @ts-expect-error key receives the stage's item type
from([{ host: "a" }]).map((x) => x, { key: (item) => item.port, perKey: 2 });
// @ts-expect-error perKey is a number
from([1]).map((x) => x, { key: (n) => n, perKey: "1" });

void typed;
void narrow;
