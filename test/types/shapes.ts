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

class Conn {
  query(): number {
    return 1;
  }
}
from([1]).map((n, ctx) => ctx.resource.query() + n, { resources: () => new Conn() });
from([1]).map((n, ctx) => ctx.resource.query() + n, {
  resources: { create: async (_slot: number) => new Conn(), dispose: (conn) => conn.query() },
});
// @ts-expect-error ctx.resource is typed by what resources makes
from([1]).map((n, ctx) => ctx.resource.nope() + n, { resources: () => new Conn() });

interface Hit {
  readonly kind: "click" | "view";
  readonly x: number;
}
const routed: Pipeline<number | string> = from<Hit>([]).route((e) => e.kind, {
  click: (p) => p.map((e) => e.x),
  view: (p) => p.map((e) => String(e.x)),
});
// @ts-expect-error route's function names one of the branches
from<Hit>([]).route(() => "zoom", { click: (p) => p.map((e) => e.x) });
const looped: Pipeline<string> = from([1]).loop((back) => back.map((n) => String(n)), {
  times: 2,
});
const teed: Pipeline<number> = from([1]).tee((side) => side.forEach(() => {}));

void routed;
void looped;
void teed;
void typed;
void narrow;
