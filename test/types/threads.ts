// thread() stages typed by their module's function: what `map()` gives, and misuses that must
// not compile.
import { from, type Pipeline } from "../../src/index.js";
import { type ThreadContext, thread, ThreadPool, threadPool } from "../../src/threads/index.js";

/** A worker module's default export, as `typeof import("./hash.worker.js").default` gives it. */
type Hash = (item: Uint8Array) => string;
type Words = (line: string) => AsyncGenerator<string>;
type Now = () => number;
type Tagged = (item: number, ctx: ThreadContext<{ id: number }>) => Promise<{ id: number }>;

const url = new URL("file:///hash.worker.js");

// The stage's output is the function's (awaited) result.
export const hashes: Pipeline<string> = from([new Uint8Array(1)]).map(thread<Hash>(url));
export const tags: Pipeline<{ id: number }> = from([1, 2]).map(thread<Tagged>(url));
export const kept: Pipeline<number> = from([1, 2]).filter(thread<Tagged>(url));
// A flatMap module may return an async iterable: its values are the output.
export const words: Pipeline<string> = from(["a b"]).flatMap(thread<Words>(url));
// A module that takes no item takes any.
export const stamps: Pipeline<number> = from(["a"]).map(thread<Now>(url));
// Untyped, the output is unknown.
export const untyped: Pipeline<unknown> = from([1]).map(thread(url));

// @ts-expect-error the module takes bytes, the stage gets numbers
from([1, 2]).map(thread<Hash>(url));
// @ts-expect-error the stage's output is a string, not a number
export const wrong: Pipeline<number> = from([new Uint8Array(1)]).map(thread<Hash>(url));
// @ts-expect-error thread() takes a URL or a string
thread(42);
// @ts-expect-error unknown key in thread()'s options
thread(url, { thread: 2 });
// @ts-expect-error prepare() takes a URL or a string
void threadPool().prepare(42);
// @ts-expect-error the pool's constructor takes threadPool()'s options
new ThreadPool(2);
// @ts-expect-error the values of a flatMap module's async iterable are strings
export const notWords: Pipeline<number> = from(["a b"]).flatMap(thread<Words>(url));
