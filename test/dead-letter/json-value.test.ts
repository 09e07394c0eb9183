import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { reviveJson, toJsonText } from "../../src/dead-letter/json-value.js";

const roundTrip = (value: unknown): unknown => {
  const text = toJsonText(value);
  return text === undefined ? undefined : (JSON.parse(text, reviveJson) as unknown);
};

describe("toJsonText", () => {
  test("writes plain JSON exactly as JSON.stringify does", () => {
    const values: unknown[] = [
      0,
      -1.5,
      "text with \n newline and \u2028",
      true,
      null,
      [1, "a", null],
      { id: 7, tags: ["x"], nested: { deep: [{}] } },
      new Date(0),
      Buffer.from("hi"),
    ];
    for (const value of values) assert.equal(toJsonText(value), JSON.stringify(value));
  });

  test("leaves out undefined, functions and symbols as JSON does, null in arrays", () => {
    assert.equal(
      toJsonText({ a: undefined, f: () => 1, s: Symbol("s"), keep: 1, big: 1n }),
      '{"keep":1,"big":{"$bigint":"1"}}',
    );
    assert.equal(
      toJsonText([undefined, () => 1, Symbol("s"), 2n]),
      '[null,null,null,{"$bigint":"2"}]',
    );
    assert.equal(toJsonText(undefined), undefined);
    assert.equal(
      toJsonText(() => 1),
      undefined,
    );
    assert.equal(toJsonText(Symbol("s")), undefined);
  });

  test("writes BigInts as { $bigint } and reads them back as BigInts", () => {
    const item = { id: 12345678901234567890n, list: [-3n], boxed: Object(4n) as unknown };
    assert.equal(
      toJsonText(item),
      '{"id":{"$bigint":"12345678901234567890"},"list":[{"$bigint":"-3"}],"boxed":{"$bigint":"4"}}',
    );
    assert.deepEqual(roundTrip(item), { id: 12345678901234567890n, list: [-3n], boxed: 4n });
    assert.equal(roundTrip(5n), 5n);
  });

  test("only an object whose one key is $bigint with digits is revived", () => {
    assert.deepEqual(JSON.parse('{"$bigint":"1","other":2}', reviveJson), {
      $bigint: "1",
      other: 2,
    });
    assert.deepEqual(JSON.parse('{"$bigint":"1.5"}', reviveJson), { $bigint: "1.5" });
    assert.deepEqual(JSON.parse('{"$bigint":1}', reviveJson), { $bigint: 1 });
  });

  test('writes an object met inside itself as "[Circular]", a shared one twice', () => {
    const cyclic: Record<string, unknown> = { id: 1 };
    cyclic.self = cyclic;
    cyclic.list = [cyclic, { back: cyclic }];
    assert.equal(
      toJsonText(cyclic),
      '{"id":1,"self":"[Circular]","list":["[Circular]",{"back":"[Circular]"}]}',
    );
    const shared = { n: 1 };
    const both: Record<string, unknown> = { a: shared, b: shared, big: 1n };
    assert.equal(toJsonText(both), '{"a":{"n":1},"b":{"n":1},"big":{"$bigint":"1"}}');
  });

  test("writes a throwing toJSON, getter or proxy as [Unserializable: message] in its place", () => {
    const item = {
      ok: 1,
      bad: {
        toJSON(): never {
          throw new Error("no JSON for you");
        },
      },
      get broken(): never {
        throw new Error("getter broke");
      },
      trap: new Proxy(
        {},
        {
          ownKeys(): never {
            throw new Error("trap");
          },
        },
      ),
    };
    assert.equal(
      toJsonText(item),
      '{"ok":1,"bad":"[Unserializable: no JSON for you]","broken":"[Unserializable: getter broke]","trap":"[Unserializable: trap]"}',
    );
  });

  test("replaces what is nested more than 1,000 levels deep, rather than overflow the stack", () => {
    let deep: unknown = 1n;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.throws(() => JSON.stringify(deep), RangeError);
    assert.equal(
      toJsonText(deep),
      `${"[".repeat(1_000)}"[Unserializable: nested deeper than 1000 levels]"${"]".repeat(1_000)}`,
    );
  });

  test("writes non-finite numbers as null and boxed primitives as their values", () => {
    assert.equal(
      toJsonText({ n: Number.NaN, i: -Infinity, big: 1n }),
      '{"n":null,"i":null,"big":{"$bigint":"1"}}',
    );
    assert.equal(
      toJsonText([Object("s"), Object(2), Object(false), 3n]),
      '["s",2,false,{"$bigint":"3"}]',
    );
  });
});
