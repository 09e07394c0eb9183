/**
 * How a thread stage's batch is made ready to go: its message, its transfer list and the
 * stage's record of it.
 * @module
 */
import { valueOf } from "../ledger/track-specs.js";
import { markBuffers } from "./buffer-marks.js";
import { PackingSpares, packBytes, sharedBufferItems } from "./packed-bytes.js";
import type { BatchOwner } from "./pool-thread.js";
import type { BatchMessage, ThreadKindCode } from "./protocol.js";
import type { Resend, StageBatch } from "./stage-batch.js";
import type { ResolvedThreadOptions } from "./thread-options.js";
import { collectTransfers } from "./transfer.js";

/** Packing buffers kept for reuse: one per batch a pool of two threads holds at once. */
const SPARE_PACKINGS = 4;

/** Batch ids, unique among the batches of every stage of the process (pools are shared). */
let nextBatchId = 1;

/** What every batch of one stage has in common. */
export interface BatchMakerOptions {
  readonly owner: BatchOwner;
  readonly stage: string;
  readonly kind: ThreadKindCode;
  readonly options: ResolvedThreadOptions;
  /** Items are `Tracked`: a thread gets each one's value, the batch keeps the item. */
  readonly tracked: boolean;
  /** The most items a batch holds: what a new packing buffer makes room for. */
  readonly fullBatch: number;
}

/**
 * Makes a stage's batches. Byte items travel packed in one transferred buffer (copied once),
 * into the buffers threads send back; other items are cloned, with the places of their
 * `Buffer`s (clone makes them `Uint8Array`s), or moved with `transfer`.
 */
export class BatchMaker {
  readonly #common: BatchMakerOptions;
  readonly #spares: PackingSpares;
  /** The stage's module in its pool, once the stage has started. */
  module = 0;

  constructor(common: BatchMakerOptions) {
    this.#common = common;
    this.#spares = new PackingSpares(SPARE_PACKINGS, common.fullBatch);
  }

  /** A packing buffer a thread sent back with its results, for a later batch. */
  giveBack(packing: ArrayBuffer): void {
    this.#spares.give(packing);
  }

  /** The packing buffer of a batch that was never posted, kept for the next batch. */
  reusePacking(batch: StageBatch): void {
    const packed = batch.message.packed;
    if (packed !== undefined) this.#spares.give(packed.buffer);
  }

  /**
   * A batch of new items, item i at index `first + i`.
   * @param claimStep positions its thread claims at a time
   * @param sample positions of the calls to time (run with metrics), if any
   */
  fresh(
    items: unknown[],
    first: number,
    claimStep: number,
    sample: number[] | undefined,
  ): StageBatch {
    return this.#make(items, undefined, undefined, undefined, first, claimStep, sample);
  }

  /**
   * A batch of items sent again, each with its own index, crash mark and attempt. A crash
   * suspect's batch (its one item marked) must be alone on its thread; a batch holding items
   * stolen once is marked `stolen`.
   */
  again(resend: readonly Resend[], claimStep: number, sample: number[] | undefined): StageBatch {
    const indices = resend.map((r) => r.index);
    return this.#make(
      resend.map((r) => r.item),
      indices,
      resend.map((r) => r.retried),
      resend.map((r) => r.attempt),
      indices[0]!,
      claimStep,
      sample,
      resend[0]!.retried,
      resend.some((r) => r.stolen === true),
    );
  }

  #make(
    items: unknown[],
    indices: number[] | undefined,
    retried: boolean[] | undefined,
    attempts: number[] | undefined,
    first: number,
    claimStep: number,
    sample: number[] | undefined,
    alone = false,
    stolen = false,
  ): StageBatch {
    const { owner, stage, kind, options, tracked } = this.#common;
    const transfer = options.transfer;
    const id = nextBatchId;
    nextBatchId = nextBatchId >= 0x7fffffff ? 1 : nextBatchId + 1;
    const sent = tracked ? items.map(valueOf) : items;
    const packed = transfer ? undefined : unlessThrown(() => packBytes(sent, this.#spares));
    const message: BatchMessage = {
      t: "batch",
      id,
      module: this.module,
      stage,
      kind,
      first,
      indices,
      items: packed === undefined ? sent : [],
      packed,
      timeout: options.timeout,
      claimStep,
    };
    // Extra fields only when set: the common message keeps one shape.
    let outgoing: BatchMessage = message;
    if (packed === undefined) {
      if (!transfer && unlessThrown(() => sharedBufferItems(sent))) {
        outgoing = { ...outgoing, sharedBuffers: true };
      } else {
        const buffers = unlessThrown(() => markBuffers(sent));
        if (buffers !== undefined) outgoing = { ...outgoing, buffers };
      }
    }
    return {
      // `sample` only on a batch with a call to time: without metrics, the message as before.
      message: sample === undefined ? outgoing : { ...outgoing, sample },
      owner,
      transfer:
        packed === undefined
          ? unlessThrown(() => collectTransfers(sent, transfer))
          : [packed.buffer],
      items,
      first,
      indices,
      retried,
      attempts,
      spans: undefined,
      thread: undefined,
      sentAt: 0,
      kept: undefined,
      stealTried: false,
      stolen,
      ...(alone ? { alone } : {}),
    };
  }
}

/**
 * What `look` finds in a batch's items, or `undefined` when an item throws as it is looked at
 * (a revoked proxy throws even from `instanceof`; it crashed the process from the stage's
 * dispatch). The batch then goes as it is: clone refuses that item, and the stage fails it
 * alone and sends the others again.
 */
function unlessThrown<T>(look: () => T): T | undefined {
  try {
    return look();
  } catch {
    return undefined;
  }
}
