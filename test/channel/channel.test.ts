import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type Channel,
  ChannelClosedError,
  channel,
  InvalidOptionError,
  isChannelClosedError,
} from "../../src/index.js";
import { settleTurns } from "../helpers/resources.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

/** Records whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>): {
  readonly settled: boolean;
  readonly promise: Promise<T>;
} {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

/** Takes every queued item without waiting. */
function takeAll<T>(ch: Channel<T>): T[] {
  const items: T[] = [];
  for (let result = ch.tryReceive(); result !== undefined && !result.done;) {
    items.push(result.value);
    result = ch.tryReceive();
  }
  return items;
}

describe("channel() options", () => {
  test("defaults to a capacity of 1024", () => {
    assert.equal(channel().capacity, 1024);
    assert.equal(channel({}).capacity, 1024);
    assert.equal(channel({ capacity: 3 }).capacity, 3);
  });

  const badCapacities: [unknown, string][] = [
    [0, "`0` (number)"],
    [-1, "`-1` (number)"],
    [1.5, "`1.5` (number)"],
    [Number.NaN, "`NaN` (number)"],
    [Number.POSITIVE_INFINITY, "`Infinity` (number)"],
    ["8", '`"8"` (string)'],
    [null, "`null` (null)"],
  ];
  for (const [capacity, shown] of badCapacities) {
    test(`rejects capacity ${shown} naming the option and the value`, () => {
      assertInvalid(
        () => channel({ capacity: capacity as number }),
        `Expected \`channel.capacity\` to be an integer >= 1, got ${shown}`,
        "channel.capacity",
      );
    });
  }

  test("rejects an unknown option with a did-you-mean hint", () => {
    assertInvalid(
      () => channel({ capasity: 4 } as never),
      "Unknown option `channel.capasity`; did you mean `capacity`? Known options: capacity",
      "channel.capasity",
    );
  });

  test("rejects options that are not an object", () => {
    assertInvalid(
      () => channel(5 as never),
      "Expected `channel` to be an options object, got `5` (number)",
      "channel",
    );
  });

  test("rejects a signal that is not an AbortSignal, naming the call", async () => {
    const ch = channel<number>();
    const options = { signal: "x" } as never;
    const message = (call: string): string =>
      `Expected \`${call}.signal\` to be an AbortSignal, got \`"x"\` (string)`;
    await assert.rejects(ch.send(1, options), { message: message("send") });
    await assert.rejects(ch.sendMany([1], options), { message: message("sendMany") });
    await assert.rejects(ch.receive(options), { message: message("receive") });
    await assert.rejects(ch.receiveMany(1, options), { message: message("receiveMany") });
    assert.equal(ch.size, 0);
  });
});

describe("send and trySend", () => {
  test("trySend adds while there is room and answers false, changing nothing, when full", () => {
    const ch = channel<number>({ capacity: 2 });
    assert.equal(ch.trySend(1), true);
    assert.equal(ch.trySend(2), true);
    assert.equal(ch.trySend(3), false);
    assert.equal(ch.size, 2);
    assert.deepEqual(takeAll(ch), [1, 2]);
  });

  test("send resolves at once while there is room", async () => {
    const ch = channel<string>({ capacity: 2 });
    await ch.send("a");
    await ch.send("b");
    assert.equal(ch.size, 2);
    assert.equal(ch.ready, true);
  });

  test("send waits while the channel is full and resumes once half of it is free", async () => {
    const ch = channel<number>({ capacity: 4 });
    await ch.sendMany([1, 2, 3, 4]);
    const blocked = track(ch.send(5));
    await settleTurns();
    assert.equal(blocked.settled, false);
    ch.tryReceive();
    await settleTurns();
    // 3 of 4 held: producers are woken at half capacity, not per freed item.
    assert.equal(blocked.settled, false);
    ch.tryReceive();
    await blocked.promise;
    assert.deepEqual(takeAll(ch), [3, 4, 5]);
  });

  test("trySend answers false while a sender is blocked, so it cannot jump the queue", async () => {
    const ch = channel<number>({ capacity: 4 });
    await ch.sendMany([1, 2, 3, 4]);
    const blocked = ch.send(5);
    ch.tryReceive();
    // One slot is free, but the blocked sender came first (it is woken at half capacity).
    assert.equal(ch.trySend(99), false);
    assert.equal(ch.size, 3);
    ch.tryReceive();
    await blocked;
    assert.deepEqual(takeAll(ch), [3, 4, 5]);
  });

  test("blocked senders are served in FIFO order", async () => {
    const ch = channel<string>({ capacity: 1 });
    await ch.send("first");
    const order: string[] = [];
    const signal = new AbortController().signal;
    const sends = ["a", "b", "c"].map((name, i) =>
      ch.send(name, i === 1 ? { signal } : undefined).then(() => order.push(name)),
    );
    const received: string[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await ch.receive();
      if (!result.done) received.push(result.value);
    }
    await Promise.all(sends);
    assert.deepEqual(received, ["first", "a", "b", "c"]);
    assert.deepEqual(order, ["a", "b", "c"]);
  });

  test("rejects a send after close with ChannelClosedError", async () => {
    const ch = channel<number>();
    ch.close();
    await assert.rejects(ch.send(1), (error: unknown) => {
      assert.ok(error instanceof ChannelClosedError);
      assert.ok(isChannelClosedError(error));
      assert.equal(error.code, "ERR_SLUICE_CHANNEL_CLOSED");
      assert.equal(error.message, "Cannot send on a closed channel (1 item(s) not sent)");
      return true;
    });
    assert.throws(() => ch.trySend(1), ChannelClosedError);
    await assert.rejects(ch.sendMany([1, 2, 3]), {
      message: "Cannot send on a closed channel (3 item(s) not sent)",
    });
    assert.equal(ch.size, 0);
  });

  test("close rejects a blocked send with ChannelClosedError and keeps queued items for receivers", async () => {
    const ch = channel<number>({ capacity: 1 });
    await ch.send(1);
    const blocked = ch.send(2);
    ch.close();
    await assert.rejects(blocked, ChannelClosedError);
    assert.deepEqual(await ch.receive(), { done: false, value: 1 });
    assert.deepEqual(await ch.receive(), { done: true, value: undefined });
  });

  test("a blocked send cancelled by its signal rejects with the reason and adds nothing", async () => {
    const ch = channel<number>({ capacity: 1 });
    await ch.send(1);
    const controller = new AbortController();
    const blocked = ch.send(2, { signal: controller.signal });
    await settleTurns();
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(blocked, (error) => error === reason);
    assert.equal(ch.size, 1);
    assert.equal(getEventListeners(controller.signal, "abort").length, 0);
    // Its place in the queue is gone: the next sender gets the room.
    ch.tryReceive();
    assert.equal(ch.trySend(3), true);
    assert.deepEqual(takeAll(ch), [3]);
  });

  test("a send with an already-aborted signal rejects and adds nothing, even with room", async () => {
    const ch = channel<number>({ capacity: 4 });
    const reason = new Error("already");
    await assert.rejects(ch.send(1, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
    assert.equal(ch.size, 0);
  });

  test("a send that completes leaves no abort listener on its signal", async () => {
    const ch = channel<number>({ capacity: 1 });
    const controller = new AbortController();
    await ch.send(1, { signal: controller.signal });
    const blocked = ch.send(2, { signal: controller.signal });
    await settleTurns();
    assert.equal(getEventListeners(controller.signal, "abort").length, 1);
    ch.tryReceive();
    await blocked;
    assert.equal(getEventListeners(controller.signal, "abort").length, 0);
  });
});

describe("sendMany", () => {
  test("moves more items than the capacity, in order, never holding more than the capacity", async () => {
    const ch = channel<number>({ capacity: 3 });
    const items = Array.from({ length: 20 }, (_, i) => i);
    const sending = ch.sendMany(items).then(() => ch.close());
    const received: number[] = [];
    for (;;) {
      assert.ok(ch.size <= ch.capacity, `size ${ch.size} exceeds capacity`);
      const chunk = await ch.receiveMany();
      if (chunk === undefined) break;
      received.push(...chunk);
    }
    await sending;
    assert.deepEqual(received, items);
  });

  test("accepts any iterable and copies the items, so later changes to an array do not reach receivers", async () => {
    const ch = channel<number>({ capacity: 8 });
    await ch.sendMany(new Set([1, 2]));
    const array = [3, 4];
    await ch.sendMany(array);
    array[0] = 99;
    assert.deepEqual(takeAll(ch), [1, 2, 3, 4]);
  });

  test("interrupted by close, keeps the items already added and counts the rest in the message", async () => {
    const ch = channel<number>({ capacity: 2 });
    const sending = ch.sendMany([1, 2, 3, 4, 5]);
    await settleTurns();
    ch.close();
    await assert.rejects(sending, {
      name: "ChannelClosedError",
      message: "Cannot send on a closed channel (3 item(s) not sent)",
    });
    assert.deepEqual(takeAll(ch), [1, 2]);
  });

  test("interrupted by its signal, keeps the items already added and adds none of the rest", async () => {
    const ch = channel<number>({ capacity: 2 });
    const controller = new AbortController();
    const sending = ch.sendMany([1, 2, 3, 4], { signal: controller.signal });
    await settleTurns();
    controller.abort(new Error("enough"));
    await assert.rejects(sending, { message: "enough" });
    assert.equal(ch.size, 2);
    assert.deepEqual(takeAll(ch), [1, 2]);
  });
});

describe("receive and tryReceive", () => {
  test("tryReceive answers undefined when open and empty, an item when queued, done when closed and drained", () => {
    const ch = channel<number>();
    assert.equal(ch.tryReceive(), undefined);
    ch.trySend(7);
    assert.deepEqual(ch.tryReceive(), { done: false, value: 7 });
    assert.equal(ch.size, 0);
    ch.close();
    assert.deepEqual(ch.tryReceive(), { done: true, value: undefined });
    assert.equal(ch.drained, true);
  });

  test("receive waits for an item", async () => {
    const ch = channel<string>();
    const waiting = track(ch.receive());
    await settleTurns();
    assert.equal(waiting.settled, false);
    ch.trySend("x");
    assert.deepEqual(await waiting.promise, { done: false, value: "x" });
  });

  test("blocked receivers are served in FIFO order", async () => {
    const ch = channel<number>();
    const signal = new AbortController().signal;
    const order: [string, number | undefined][] = [];
    const receivers = ["a", "b", "c"].map((name, i) =>
      ch.receive(i !== 1 ? { signal } : undefined).then((r) => order.push([name, r.value])),
    );
    await settleTurns();
    ch.trySend(1);
    ch.trySend(2);
    ch.trySend(3);
    await Promise.all(receivers);
    assert.deepEqual(order, [
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ]);
  });

  test("a blocked receive cancelled by its signal rejects with the reason and takes nothing", async () => {
    const ch = channel<number>();
    const controller = new AbortController();
    const blocked = ch.receive({ signal: controller.signal });
    await settleTurns();
    controller.abort("gone");
    await assert.rejects(blocked, (error) => error === "gone");
    assert.equal(getEventListeners(controller.signal, "abort").length, 0);
    ch.trySend(1);
    // The cancelled receiver no longer waits: the item stays for the next one.
    assert.equal(ch.size, 1);
    assert.deepEqual(ch.tryReceive(), { done: false, value: 1 });
  });

  test("close ends a blocked receive with done", async () => {
    const ch = channel<number>();
    const blocked = ch.receive();
    await settleTurns();
    ch.close();
    assert.deepEqual(await blocked, { done: true, value: undefined });
  });

  test("after close, receivers drain the queued items and then see done", async () => {
    const ch = channel<number>();
    await ch.sendMany([1, 2]);
    ch.close();
    assert.equal(ch.closed, true);
    assert.equal(ch.drained, false);
    assert.deepEqual(await ch.receive(), { done: false, value: 1 });
    assert.deepEqual(await ch.receive(), { done: false, value: 2 });
    assert.deepEqual(await ch.receive(), { done: true, value: undefined });
    assert.equal(ch.drained, true);
  });
});

describe("receiveMany", () => {
  test("takes up to max items of the head chunk and leaves the rest queued", async () => {
    const ch = channel<number>();
    await ch.sendMany([1, 2, 3, 4, 5]);
    assert.deepEqual(await ch.receiveMany(2), [1, 2]);
    assert.equal(ch.size, 3);
    assert.deepEqual(await ch.receiveMany(), [3, 4, 5]);
    assert.equal(ch.size, 0);
  });

  test("waits while the channel is empty and resolves undefined once closed and drained", async () => {
    const ch = channel<number>();
    const waiting = ch.receiveMany();
    await settleTurns();
    await ch.sendMany([1, 2]);
    assert.deepEqual(await waiting, [1, 2]);
    ch.close();
    assert.equal(await ch.receiveMany(), undefined);
  });

  test("a blocked receiveMany cancelled by its signal takes nothing", async () => {
    const ch = channel<number>();
    const controller = new AbortController();
    const blocked = ch.receiveMany(4, { signal: controller.signal });
    await settleTurns();
    controller.abort(new Error("cancel"));
    await assert.rejects(blocked, { message: "cancel" });
    await ch.sendMany([1, 2]);
    assert.deepEqual(await ch.receiveMany(4), [1, 2]);
  });

  for (const [max, shown] of [
    [0, "`0` (number)"],
    [-1, "`-1` (number)"],
    [1.5, "`1.5` (number)"],
    [Number.NaN, "`NaN` (number)"],
  ] as const) {
    test(`rejects max ${shown} and takes nothing`, async () => {
      const ch = channel<number>();
      await ch.sendMany([1, 2, 3]);
      await assert.rejects(ch.receiveMany(max), (error: unknown) => {
        assert.ok(error instanceof InvalidOptionError);
        assert.equal(
          error.message,
          `Expected \`receiveMany.max\` to be an integer >= 1, got ${shown}`,
        );
        return true;
      });
      assert.deepEqual(takeAll(ch), [1, 2, 3]);
    });
  }
});

describe("abort", () => {
  test("drops and counts the queued items, and rejects pending and later calls with the reason", async () => {
    const full = channel<number>({ capacity: 2 });
    await full.sendMany([1, 2]);
    const blockedSend = full.send(3);
    const empty = channel<number>();
    const blockedReceive = empty.receive();
    const reason = new Error("abandon");
    assert.equal(full.abort(reason), 2);
    empty.abort(reason);
    await assert.rejects(blockedSend, (e) => e === reason);
    await assert.rejects(blockedReceive, (e) => e === reason);
    assert.equal(full.size, 0);
    assert.equal(full.aborted, true);
    assert.equal(full.closed, true);
    await assert.rejects(full.send(4), (e) => e === reason);
    await assert.rejects(full.receive(), (e) => e === reason);
    await assert.rejects(full.receiveMany(), (e) => e === reason);
    assert.throws(
      () => full.tryReceive(),
      (e) => e === reason,
    );
    assert.throws(
      () => full.trySend(5),
      (e) => e === reason,
    );
  });

  test("without a reason, rejects with an AbortError", async () => {
    const ch = channel<number>();
    ch.abort();
    await assert.rejects(ch.receive(), { name: "AbortError" });
  });

  test("abort and close are idempotent; a second abort drops nothing", async () => {
    const ch = channel<number>();
    await ch.sendMany([1]);
    ch.close();
    ch.close();
    assert.equal(ch.abort(), 1);
    assert.equal(ch.abort(), 0);
    ch.close();
    assert.equal(ch.aborted, true);
  });
});

describe("async iteration", () => {
  test("yields every item in order and ends once the channel is closed and drained", async () => {
    const ch = channel<number>({ capacity: 2 });
    const producing = (async () => {
      for (let i = 0; i < 10; i++) await ch.send(i);
      ch.close();
    })();
    const seen: number[] = [];
    for await (const item of ch) seen.push(item);
    await producing;
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("breaking out leaves the unread items queued and the channel open", async () => {
    const ch = channel<number>();
    await ch.sendMany([1, 2, 3]);
    for await (const item of ch) {
      assert.equal(item, 1);
      break;
    }
    assert.equal(ch.closed, false);
    assert.equal(ch.size, 2);
    assert.deepEqual(takeAll(ch), [2, 3]);
  });

  test(
    "return() ends a next() that waits on an empty channel, taking nothing",
    {
      timeout: 5_000,
    },
    async () => {
      const ch = channel<number>();
      const iterator = ch[Symbol.asyncIterator]();
      const pending = iterator.next();
      await settleTurns();
      await iterator.return?.();
      assert.deepEqual(await pending, { done: true, value: undefined });
      assert.deepEqual(await iterator.next(), { done: true, value: undefined });
      ch.trySend(1);
      assert.deepEqual(ch.tryReceive(), { done: false, value: 1 });
    },
  );

  test("rejects with the abort reason once the channel is aborted", async () => {
    const ch = channel<number>();
    const iterator = ch[Symbol.asyncIterator]();
    const pending = iterator.next();
    ch.abort(new Error("torn down"));
    await assert.rejects(pending, { message: "torn down" });
  });
});

describe("many producers and many consumers", () => {
  type SendOp = "send" | "sendMany" | "trySend";
  type ReceiveOp = "receive" | "receiveMany" | "tryReceive";
  const yieldNow = (mode: number): Promise<void> | undefined =>
    mode === 0
      ? undefined
      : mode === 1
        ? Promise.resolve()
        : new Promise((resolve) => setImmediate(resolve));

  test("every item sent is received exactly once, each producer's order is kept, size never exceeds capacity", async () => {
    const producerArb = fc.array(
      fc.record({
        op: fc.constantFrom<SendOp>("send", "sendMany", "trySend"),
        count: fc.integer({ min: 1, max: 5 }),
        pause: fc.integer({ min: 0, max: 2 }),
      }),
      { maxLength: 12 },
    );
    const consumerArb = fc.array(
      fc.record({
        op: fc.constantFrom<ReceiveOp>("receive", "receiveMany", "tryReceive"),
        max: fc.integer({ min: 1, max: 4 }),
        pause: fc.integer({ min: 0, max: 2 }),
      }),
      { minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(producerArb, { minLength: 1, maxLength: 4 }),
        fc.array(consumerArb, { minLength: 1, maxLength: 4 }),
        async (capacity, producers, consumers) => {
          const ch = channel<[number, number]>({ capacity });
          let maxSize = 0;
          const watch = (): void => {
            maxSize = Math.max(maxSize, ch.size);
          };
          const sent: string[] = [];
          const produce = async (plan: (typeof producers)[number], p: number): Promise<void> => {
            let seq = 0;
            for (const { op, count, pause } of plan) {
              const items = Array.from({ length: op === "sendMany" ? count : 1 }, () => {
                sent.push(`${p}:${seq}`);
                return [p, seq++] as [number, number];
              });
              if (op === "sendMany") await ch.sendMany(items);
              else if (op === "send") await ch.send(items[0]!);
              else while (!ch.trySend(items[0]!)) await yieldNow(2);
              watch();
              await yieldNow(pause);
            }
          };
          const consume = async (plan: (typeof consumers)[number]): Promise<[number, number][]> => {
            const got: [number, number][] = [];
            for (let step = 0; ; step++) {
              const { op, max, pause } = plan[step % plan.length]!;
              watch();
              if (op === "receiveMany") {
                const chunk = await ch.receiveMany(max);
                if (chunk === undefined) return got;
                assert.ok(chunk.length >= 1 && chunk.length <= max);
                got.push(...chunk);
              } else {
                const result = op === "receive" ? await ch.receive() : ch.tryReceive();
                if (result === undefined) await yieldNow(2);
                else if (result.done) return got;
                else got.push(result.value);
              }
              await yieldNow(pause);
            }
          };
          const receiving = consumers.map(consume);
          await Promise.all(producers.map(produce));
          ch.close();
          const received = await Promise.all(receiving);

          const all = received.flat().map(([p, seq]) => `${p}:${seq}`);
          assert.deepEqual([...all].sort(), [...sent].sort(), "each item exactly once");
          for (const got of received) {
            const last = new Map<number, number>();
            for (const [p, seq] of got) {
              assert.ok(seq > (last.get(p) ?? -1), `producer ${p}'s order broken`);
              last.set(p, seq);
            }
          }
          assert.ok(maxSize <= capacity, `size ${maxSize} exceeded capacity ${capacity}`);
          assert.equal(ch.size, 0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("channel() public surface", () => {
  test("shows only the documented API at runtime", () => {
    const ch = channel<number>();
    const names = new Set<string>();
    for (let proto = Object.getPrototypeOf(ch); proto !== Object.prototype;) {
      for (const name of Object.getOwnPropertyNames(proto)) names.add(name);
      proto = Object.getPrototypeOf(proto);
    }
    for (const name of Object.keys(ch)) names.add(name);
    names.delete("constructor");
    assert.deepEqual([...names].sort(), [
      "abort",
      "aborted",
      "capacity",
      "close",
      "closed",
      "drained",
      "ready",
      "receive",
      "receiveMany",
      "send",
      "sendMany",
      "size",
      "tryReceive",
      "trySend",
    ]);
    for (const internal of ["pushChunk", "takeChunk", "onData", "onSpace", "release", "discard"]) {
      assert.equal(internal in ch, false, internal);
    }
  });
});
