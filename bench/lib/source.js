/**
 * Inputs and stage functions shared by every scenario, so all contenders do the same work.
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * The source of every scenario: a sync generator of `0, 1, …, n - 1`.
 * @param {number} n
 * @returns {Generator<number>}
 */
export function* gen(n) {
  for (let i = 0; i < n; i++) yield i;
}

/** The async stage of S1/S2: `async x => x + 1`. */
export const inc = async (x) => x + 1;

/** The sync stage of S6: `x => x + 1`. */
export const incSync = (x) => x + 1;

/** The async no-op of S5. */
export const identity = async (x) => x;

/** The I/O stage of S3: a 5 ms timer, then `x + 1`. */
export async function sleepInc(x) {
  await sleep(5);
  return x + 1;
}

/** The stage of S7 without a signal: a 0 ms timer (`await setTimeout(0)`), then `x + 1`. */
export async function tickInc(x) {
  await sleep(0);
  return x + 1;
}

/**
 * The stage of S7: a 0 ms timer given the call's signal (`ctx.signal` in sluice), then `x + 1`.
 * @param {number} x
 * @param {{ signal: AbortSignal }} ctx
 */
export async function tickIncSignal(x, ctx) {
  await sleep(0, undefined, { signal: ctx.signal });
  return x + 1;
}

/**
 * Sum of `i + offset` for `i` in `0 … n - 1` (exact below 2^53: fine up to ~100M items).
 * @param {number} n
 * @param {number} offset
 */
export function expectedSum(n, offset) {
  return (n * (n - 1)) / 2 + offset * n;
}

/**
 * A seeded 32-bit PRNG (mulberry32): the same seed gives the same inputs in every process.
 * @param {number} seed
 * @returns {() => number} the next unsigned 32-bit value
 */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * The inputs of S4 and S8a: `count` buffers of `size` pseudo-random bytes (`size` a multiple
 * of 4), made from `seed`. Each is a `Buffer.alloc(size)`, so it owns its `ArrayBuffer`:
 * posting one to a thread copies `size` bytes. (A slice of a shared slab, such as a
 * `Buffer.allocUnsafe` pool slice, would be cloned with its whole slab.)
 * @param {number} count
 * @param {number} size
 * @param {number} seed
 * @returns {Buffer[]}
 */
export function randomBuffers(count, size, seed) {
  const next = prng(seed);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const buf = Buffer.alloc(size);
    const words = new Uint32Array(buf.buffer, buf.byteOffset, size >>> 2);
    for (let w = 0; w < words.length; w++) words[w] = next();
    out[i] = buf;
  }
  return out;
}

/**
 * The number a hex digest is checked by: its first 8 hex digits (32 bits), so the sink can
 * sum and order-check digests as numbers.
 * @param {string} hex
 */
export const hexKey = (hex) => Number.parseInt(hex.slice(0, 8), 16);

/**
 * The document of S8b: a JSON text of at least `minBytes`, `{ "generated": …, "items": [ …
 * records with strings, numbers, booleans, a nested object and arrays … ] }`, made from
 * `seed`, and the length of its `items` (what the worker returns after parsing it).
 * @param {number} minBytes
 * @param {number} seed
 * @returns {{ text: string, items: number }}
 */
export function jsonDocument(minBytes, seed) {
  const next = prng(seed);
  const words = ["alpha", "bravo", "delta", "echo", "golf", "hotel", "kilo", "lima", "oscar"];
  const word = () => words[next() % words.length];
  const items = [];
  let size = 0;
  while (size < minBytes) {
    const id = items.length;
    const record = {
      id,
      name: `${word()} ${word()}`,
      email: `${word()}.${id}@example.com`,
      active: next() % 2 === 0,
      score: next() / 2 ** 32,
      tags: [word(), word(), word()],
      address: {
        city: word(),
        zip: String(10000 + (next() % 90000)),
        geo: [(next() / 2 ** 32) * 180 - 90, (next() / 2 ** 32) * 360 - 180],
      },
      history: Array.from({ length: 4 }, () => next() % 1000),
    };
    items.push(record);
    size += JSON.stringify(record).length + 1;
  }
  const text = JSON.stringify({ generated: "sluice bench S8b", items });
  return { text, items: items.length };
}
