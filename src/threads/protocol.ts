import type { BufferPath } from "./buffer-marks.js";
import type { PackedBytes } from "./packed-bytes.js";

/**
 * The messages between a pool's threads and the main thread. One message per batch each way;
 * item results travel as arrays, failures as a sparse list beside them.
 * @module
 */

/** Stage kinds a thread runs, as numbers (what the thread must send back differs). */
export const ThreadKind = { map: 0, filter: 1, flatMap: 2, tap: 3, forEach: 4 } as const;

/** One of {@link ThreadKind}. */
export type ThreadKindCode = (typeof ThreadKind)[keyof typeof ThreadKind];

/** Loads a module on the thread and runs its `init()`. */
export interface InitMessage {
  readonly t: "init";
  readonly module: number;
  readonly url: string;
}

/** Items to run: `items[i]` has index `indices?.[i] ?? first + i`. */
export interface BatchMessage {
  readonly t: "batch";
  readonly id: number;
  readonly module: number;
  readonly stage: string;
  readonly kind: ThreadKindCode;
  readonly first: number;
  readonly indices: readonly number[] | undefined;
  readonly items: readonly unknown[];
  /** The items packed as bytes instead (`items` is then empty); see packed-bytes.ts. */
  readonly packed: PackedBytes | undefined;
  /**
   * The items are `Buffer`s viewing shared memory, which crossed as plain `Uint8Array`s: the
   * thread makes each a `Buffer` again (`sharedBufferItems`). Absent otherwise.
   */
  readonly sharedBuffers?: true;
  /**
   * Where the cloned items hold `Buffer`s (clone makes them `Uint8Array`s): the thread makes
   * each a `Buffer` again (`restoreBuffers`). Absent when there are none.
   */
  readonly buffers?: readonly BufferPath[];
  /** The stage's timeout in ms (0: none): the thread then records when each call starts. */
  readonly timeout: number;
  /**
   * Positions of the calls to time, ascending (`run({ metrics })`); absent when the batch
   * has none, so a run without metrics sends the same message as before.
   */
  readonly sample?: readonly number[];
  /**
   * The thread's claim slot for this batch: the thread claims each position (`Atomics.add`)
   * before it runs it, so the main thread can take the positions not claimed yet
   * (`Atomics.exchange`) and send them to an idle thread. Absent: the thread runs them all.
   */
  readonly claim?: number;
  /**
   * Positions the thread claims at a time (at least 1): a claim is a locked instruction, as
   * dear as a tenth of a 1 KiB hash on a VM (S4), so cheap items are claimed a run at once;
   * a stolen tail starts at most one run later.
   */
  readonly claimStep: number;
}

/** Aborts the signals of a batch's calls (the stage stopped). */
export interface CancelMessage {
  readonly t: "cancel";
  readonly id: number;
  readonly reason: unknown;
}

/** What the main thread sends. */
export type ToThread = InitMessage | BatchMessage | CancelMessage;

/** A module is ready on the thread, or failed to be. */
export interface ReadyMessage {
  readonly t: "ready";
  readonly module: number;
  readonly error?: unknown;
}

/**
 * A batch's results. `values[i]` is item i's result (`undefined` for a failure, and the whole
 * array absent for `tap`/`forEach`, whose results are not needed); `failures` lists
 * `[i, error]` pairs, an error being what the call threw (cloned) or a {@link CallTimedOut}.
 */
export interface DoneMessage {
  readonly t: "done";
  readonly id: number;
  readonly values: unknown[] | undefined;
  readonly failures: [number, unknown][] | undefined;
  /** Time the thread spent on the batch, in ms. */
  readonly ms: number;
  /** The batch's packing buffer, handed back for reuse when nothing sent can alias it. */
  readonly packing: ArrayBuffer | undefined;
  /**
   * The timed calls of {@link BatchMessage.sample} as `[position, ms, position, ms, …]`
   * (`performance.now()` around the call, until an async one settled); absent when the batch
   * asked for none. A call lost with its thread has no entry.
   */
  readonly times?: number[];
  /** Where `values` hold `Buffer`s, to be made `Buffer`s again; absent when there are none. */
  readonly buffers?: readonly BufferPath[];
}

/**
 * A message the thread was sent could not be read there (its `"messageerror"`): `seq` counts
 * the messages the pool posted to this thread, the unreadable one included. Without it the
 * batch would be lost without a word and its run would never settle.
 */
export interface UnreadableMessage {
  readonly t: "unreadable";
  readonly seq: number;
  /** Why it could not be read (a cloned error record). */
  readonly error: unknown;
}

/** What a thread sends. */
export type FromThread = ReadyMessage | DoneMessage | UnreadableMessage;

/** A failure that is an async call which ran past the timeout (its signal was aborted). */
export interface CallTimedOut {
  readonly timedOutAfterMs: number;
}

/** Whether a failure sent by a thread is a {@link CallTimedOut}. */
export function isCallTimedOut(value: unknown): value is CallTimedOut {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as CallTimedOut).timedOutAfterMs === "number" &&
    Object.keys(value).length === 1
  );
}

/**
 * Layout of the shared progress record of a thread: `[batch id, position]` as Int32 at byte 8,
 * the call's start (`Date.now()`) as Float64 at byte 0. The thread writes the position before
 * each call (the pool reads it after a crash, to suspect only that call); before each call
 * of a timed batch it also writes the start and the batch id, in that order, for the watchdog.
 */
export const PROGRESS_BYTES = 16;

/** Claim slots per thread: more than the batches a thread holds at once. */
export const CLAIM_SLOTS = 4;
