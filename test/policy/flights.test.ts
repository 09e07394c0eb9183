import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Flights } from "../../src/policy/flights.js";
import { settle } from "../helpers/manual-clock.js";

describe("Flights", () => {
  test("holds one entry per key in flight and frees it before the waiters hear the outcome", async () => {
    const flights = new Flights();
    let release!: (value: number) => void;
    const start = (): Promise<number> => new Promise<number>((resolve) => (release = resolve));
    const a = flights.run("k", start);
    const b = flights.run("k", () => Promise.resolve(-1));
    assert.equal(flights.size, 1);
    release(7);
    const seen = await a.then((value) => ({ value, size: flights.size }));
    assert.deepEqual(seen, { value: 7, size: 0 });
    assert.equal(await b, 7);
  });

  test("a start that throws synchronously rejects every waiter and frees the key", async () => {
    const flights = new Flights();
    const boom = new Error("sync");
    const a = flights.run("k", () => {
      throw boom;
    });
    const b = flights.run("k", () => Promise.resolve("unused"));
    await assert.rejects(a, (error) => error === boom);
    await assert.rejects(b, (error) => error === boom);
    assert.equal(flights.size, 0);
  });

  test("undefined is no key: each run starts alone and is not held", async () => {
    const flights = new Flights();
    let starts = 0;
    const start = (): Promise<number> => Promise.resolve(++starts);
    const results = await Promise.all([
      flights.run(undefined, start),
      flights.run(undefined, start),
    ]);
    assert.deepEqual(results, [1, 2]);
    assert.equal(flights.size, 0);
  });

  test("a waiter's listener is removed when the execution settles", async () => {
    const flights = new Flights();
    const controller = new AbortController();
    await flights.run("k", () => Promise.resolve(1), controller.signal);
    // Aborting later neither throws nor aborts anything: nobody is listening.
    controller.abort();
    await settle();
    assert.equal(flights.size, 0);
  });
});
