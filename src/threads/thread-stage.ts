import { collectedFailure, collectedOk, Tracked } from "../ledger/lineage.js";
import { tracedValues, valueOf } from "../ledger/track-specs.js";
import { ChunkChannel } from "../channel/chunk-channel.js";
import { FailureTally } from "../observe/failure-tally.js";
import type { StageTiming } from "../observe/stage-timing.js";
import { shedCount, shedInput } from "../stage/shedding.js";
import type { RunControl } from "../contract/run-control.js";
import type { Stage, StageInput } from "../contract/stage.js";
import type { FunctionStageSpec } from "../contract/stage-spec.js";
import type { StageStats } from "../contract/summary.js";
import type { StageError } from "../errors/stage-error.js";
import { ThreadPoolClosedError } from "../errors/thread-pool-closed-error.js";
import { TimeoutError } from "../errors/timeout-error.js";
import { WorkerCrashedError } from "../errors/worker-crashed-error.js";
import type { WorkerInitError } from "../errors/worker-init-error.js";
import { DispatchGate } from "../stage/dispatch-gate.js";
import { applyErrorPolicy, type ErrorPolicyPlan, type FailureHost } from "../stage/error-policy.js";
import { OrderedCollector, Slot } from "../stage/ordered-collector.js";
import { OutputStaging } from "../stage/output-staging.js";
import { InputCursor } from "../stage/stage-input.js";
import { stageStats } from "../stage/stage-stats.js";
import { BatchSizer, MAX_BATCH, MAX_BATCH_BYTES, itemBytes } from "./batch-sizer.js";
import { BatchMaker } from "./batch-maker.js";
import { restoreBuffers } from "./buffer-marks.js";
import { CallSampler } from "./call-sampler.js";
import { CallSpans } from "./call-spans.js";
import type { BatchJob, BatchOwner, LostCause, PoolThread } from "./pool-thread.js";
import { type DoneMessage, isCallTimedOut, ThreadKind, type ThreadKindCode } from "./protocol.js";
import { recordToError } from "./thread-error.js";
import { FailureContext } from "./failure-context.js";
import { indexOf, keptOf, type Resend, type StageBatch, unsent } from "./stage-batch.js";
import type { ThreadExecutor } from "./thread-executor.js";
import type { ResolvedThreadOptions } from "./thread-options.js";
import { ThreadPool, type ThreadPoolOptions } from "./thread-pool.js";
import { lateBatch } from "./late-batch.js";
import { LostFate, lostItemFate } from "./lost-item-fate.js";
import { lostCallError, transferredLost, unsendableError } from "./item-errors.js";

/** Largest chunk handed downstream at once. */
const MAX_CHUNK = 1024;

/** {@link ThreadStage}'s whole-batch cases. */
const PLAIN_MAP = 1;
const PLAIN_SINK = 2;

/**
 * A function stage whose calls run on worker threads. Items leave the input in batches (one
 * message each way per batch, the size chosen from the measured cost of an item), at most two
 * batches per thread at once; results come back in batches and go through the same paths as
 * on the event loop: the ordered collector, the error policy, the staged output chunk, the
 * counters. The stage's width (`concurrency`, the live gate) bounds the items in threads.
 *
 * Bounded by construction, as the event-loop stage: an item leaves the input only while
 * `inside + staged + output.size < concurrency + buffer`, and the reorder ring has as many
 * places. A thread that dies has its items sent once more to a fresh thread; a second death
 * fails them with a `WorkerCrashedError`. Nothing is lost and nothing is emitted twice: an
 * item's result is taken only from the one batch message that answered for it.
 *
 * Observed like an event-loop stage, at no cost per item when not: with a tracer, a span per
 * item starts as its batch is sent and ends as the batch answers or is lost (see
 * {@link CallSpans}); with metrics, about one call in `sampleEvery` is timed on its thread and
 * its queue time taken at its dispatch (see {@link CallSampler}).
 */
export class ThreadStage extends OutputStaging<unknown> implements Stage, BatchOwner, FailureHost {
  readonly spec: FunctionStageSpec;
  readonly name: string;
  readonly gate: DispatchGate;
  readonly capacity: number;
  readonly #executor: ThreadExecutor;
  readonly #kind: ThreadKindCode;
  readonly #collect: boolean;
  /** Items are `Tracked` (an acknowledged source): threads get their values, fates settle lineages. */
  readonly #tracked: boolean;
  readonly #policy: ErrorPolicyPlan;
  readonly #cursor: InputCursor<unknown>;
  readonly #failures = new FailureTally();
  readonly #input: StageInput<unknown>;
  readonly #run: RunControl;
  readonly #ring: OrderedCollector | undefined;
  readonly #sizer: BatchSizer;
  /** An unordered map or forEach that does not collect ({@link PLAIN_MAP}, …), or 0. */
  readonly #plain: number;
  readonly #ctx: FailureContext;
  /** Sampled processing and queue times, when the run records metrics. */
  readonly timing: StageTiming | undefined;
  readonly #sampler: CallSampler | undefined;
  /** The tracer's side of the calls, when the run traces this stage. */
  readonly #spans: CallSpans | undefined;
  #pool: ThreadPool | undefined;
  #ownPool = false;
  #ready = false;

  readonly #batches = new Map<number, StageBatch>();
  readonly #maker: BatchMaker;
  #resend: Resend[] = [];
  #deadLetters = 0;

  #nextIndex = 0;
  #out = 0;
  #filtered = 0;
  #failed = 0;
  #cancelled = 0;
  #abandoned = 0;
  #emitted = 0;
  #inFlight = 0;
  #maxInFlight = 0;
  #inside = 0;
  #sentBatches = 0;
  /** Items taken from a batch held up by a long call, for an idle thread. */
  #stolen = 0;
  /** Wakes dispatch when a held batch would be late enough to steal from. */
  #stealTimer: NodeJS.Timeout | undefined;
  #crashes = 0;
  #retried = 0;
  #timedOut = 0;
  readonly #deaths = new WeakSet<object>();

  #busy = false;
  #again = false;
  #spaceArmed = false;
  #inputArmed = false;
  #roomArmed = false;
  /** Whether this stage holds the pool for a crash suspect ({@link ThreadPool.wantIdle}). */
  #idleWanted = false;
  #finished = false;
  #resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });

  constructor(
    spec: FunctionStageSpec,
    input: StageInput<unknown>,
    run: RunControl,
    executor: ThreadExecutor,
  ) {
    super(
      new ChunkChannel<unknown>(spec.buffer),
      Math.max(1, Math.min(MAX_CHUNK, spec.buffer >> 1)),
    );
    this.spec = spec;
    this.name = spec.name;
    this.capacity = spec.concurrency + spec.buffer;
    this.gate = new DispatchGate(spec.concurrency);
    this.#executor = executor;
    this.#kind = ThreadKind[spec.kind];
    this.#collect = spec.onError === "collect";
    this.#tracked = spec.tracked === true;
    this.#policy = {
      collect: this.#collect,
      skip: spec.onError === "skip",
      deadLetter: spec.deadLetter,
    };
    // Arrivals are stamped (one chunk in 16) only when the run records metrics.
    this.#cursor = new InputCursor(input, run.sampleEvery > 0);
    this.#sampler = run.sampleEvery > 0 ? new CallSampler(run.sampleEvery) : undefined;
    this.timing = this.#sampler?.timing;
    const hook = tracedValues(run.callHook(spec, true), this.#tracked);
    this.#spans = hook === undefined ? undefined : new CallSpans(hook, run.fail);
    this.#input = input;
    shedInput(input, spec, run);
    this.#run = run;
    this.#ring = spec.ordered
      ? new OrderedCollector(this.capacity, this.#deliverInOrder)
      : undefined;
    this.#sizer = new BatchSizer(executor.options.batch);
    this.#maker = new BatchMaker({
      owner: this,
      stage: spec.name,
      kind: this.#kind,
      options: executor.options,
      tracked: this.#tracked,
      fullBatch: executor.options.batch ?? MAX_BATCH,
    });
    // A tracked stage settles each item's lineage in #completed: no fast path around it.
    const plain = !spec.ordered && !this.#collect && !this.#tracked;
    this.#plain = !plain
      ? 0
      : spec.kind === "map"
        ? PLAIN_MAP
        : spec.kind === "forEach"
          ? PLAIN_SINK
          : 0;
    this.#ctx = new FailureContext(spec.name, run.signal);
  }

  start(): void {
    // Width changes made before the start (run.setConcurrency, pause) only set the gate.
    this.gate.onChange(() => this.#event());
    const shared = this.#executor.options.pool;
    if (shared !== undefined && shared.closed) {
      this.#run.fail(new ThreadPoolClosedError(this.name, false));
      this.#event();
      return;
    }
    this.#ownPool = shared === undefined;
    const pool = (this.#pool = shared ?? new ThreadPool(ownPoolOptions(this.#executor.options)));
    this.#maker.module = pool.moduleId(this.#executor.url);
    // Every thread's init runs in parallel; the stage takes its first item once all are ready.
    pool.prepare(this.#executor.url).then(
      () => {
        this.#ready = true;
        this.#event();
      },
      (error: unknown) => {
        this.#run.fail(pool.closed ? this.#poolClosed() : error);
        this.#event();
      },
    );
  }

  stop(reason: unknown): void {
    if (this.gate.stopped) return;
    this.gate.stop(reason);
    this.#unwantIdle();
    clearTimeout(this.#stealTimer);
    this.#stealTimer = undefined;
    this.#ctx.abort(reason);
    const pool = this.#pool;
    if (pool !== undefined && this.#batches.size > 0) {
      const held = [...this.#batches.keys()];
      // The calls in flight are cancelled: their results, if any come, are dropped.
      if (this.#spans !== undefined) {
        for (const batch of this.#batches.values()) {
          if (batch.spans !== undefined) this.#spans.failAll(batch.spans, reason);
        }
      }
      // Let go first, so the close's "lost" reports (own pool) find nothing to count.
      this.#batches.clear();
      if (this.#ownPool) {
        // The stage's own threads: stop CPU work where it is (nothing else stops it).
        void pool.close();
      } else {
        // A shared pool keeps its threads: abort the calls' signals and drop their results.
        for (const id of held) {
          pool.cancel(id, reason);
          pool.forget(id);
        }
        this.#abandoned += this.#inFlight;
      }
      this.#cancelled += this.#inFlight;
      this.#inside -= this.#inFlight;
      this.#inFlight = 0;
    }
    this.#cancelled += this.#resend.length;
    this.#inside -= this.#resend.length;
    this.#resend = [];
    this.cancelTurn();
    this.#spans?.flush();
    this.#event();
  }

  collectLeftovers(): void {
    this.#cursor.discard();
  }

  failedBy(): Record<string, number> {
    return this.#failures.snapshot();
  }

  get queueDepth(): number {
    return this.#cursor.waiting;
  }

  stats(): StageStats {
    return {
      ...stageStats(this.spec, this.gate.target, {
        in: this.#nextIndex + shedCount(this.#input),
        shed: shedCount(this.#input),
        out: this.#out,
        filtered: this.#filtered,
        failed: this.#failed,
        cancelled: this.#cancelled,
        abandoned: this.#abandoned,
        retried: 0,
        hedged: 0,
        discarded: this.#cursor.discarded,
        emitted: this.#emitted,
        maxInFlight: this.#maxInFlight,
        inFlight: this.#inFlight,
      }),
      threads: {
        threads: this.#pool?.size ?? this.#executor.options.threads,
        batch: this.#sizer.size,
        batches: this.#sentBatches,
        crashes: this.#crashes,
        retried: this.#retried,
        timedOut: this.#timedOut,
        stolen: this.#stolen,
      },
    };
  }

  // Dispatch.

  #event(): void {
    // A finished stage has let go of its threads; a late wake (the next stage reading from
    // an output this stage once waited on) has nothing to do here.
    if (this.#finished) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#again = false;
        this.#dispatch();
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
    if (!this.#finished && this.#batches.size === 0 && this.#deadLetters === 0) {
      const idle = this.#resend.length === 0 && (this.gate.stopped || this.#cursor.ended);
      if (idle || (this.gate.stopped && !this.#ready)) this.#finish();
    }
  }

  #dispatch(): void {
    const pool = this.#pool;
    if (!this.#ready || pool === undefined) return;
    // The stop is checked per batch: a batch's own failures may stop the run (an item that
    // cannot be sent, a hook that threw).
    while (!this.gate.stopped) {
      const width = this.gate.limit - this.#inFlight;
      if (width <= 0) {
        // The width is held by batches: one stuck behind a long call may give up its tail.
        if (this.#steal(pool)) continue;
        return;
      }
      // A crash suspect's second try waits for a thread that holds nothing (see
      // BatchJob.alone): its death then takes no other batch with it.
      const suspect = this.#resend.length > 0 && this.#resend[0]!.retried;
      // Held for a suspect that is no longer first in line (it went, or failed to send).
      if (!suspect) this.#unwantIdle();
      if (suspect ? !pool.hasIdleThread() : !pool.hasRoom()) {
        if (pool.closed) {
          this.#run.fail(this.#poolClosed());
          return;
        }
        // The pool sends nothing else until a thread comes free for the suspect.
        if (suspect) this.#wantIdle(pool);
        // Every thread holds its two batches: wait, before taking (and packing) any item.
        this.#armPoolRoom();
        return;
      }
      const size = Math.min(this.#sizer.size, width);
      let batch: StageBatch | undefined;
      if (this.#resend.length > 0) {
        // A call sent again is a call of its own to time, but its queue time was taken.
        const resend = this.#takeResend(size);
        const sample = this.#sampler?.pick(0, resend.length, 0, undefined);
        batch = this.#maker.again(resend, this.#sizer.claimStep, sample);
      } else {
        const room = this.capacity - (this.#inside + this.values.length + this.output.size);
        if (room <= 0) {
          if (this.#steal(pool)) continue;
          this.#needRoom();
          return;
        }
        batch = this.#takeBatch(Math.min(size, room));
        // Nothing new to send while a thread is idle: take the tail of a batch stuck behind
        // a long call, if there is one, and send that instead.
        if (batch === undefined) {
          if (this.#steal(pool)) continue;
          return;
        }
      }
      // Taking the batch released input space, and the stage before this one, woken by
      // that there and then, may have failed the run (it stopped this stage too).
      if (this.gate.stopped) {
        this.#dropUnsent(batch);
        return;
      }
      // Counted in flight before it goes: the pool may report on it at once (a thread whose
      // start of the module failed answers `initFailed` from inside `trySend`).
      this.#track(batch);
      let thread: PoolThread | undefined;
      try {
        thread = pool.trySend(batch, this.#executor.url);
      } catch (error) {
        this.#untrack(batch);
        this.#unsendable(batch, error);
        continue;
      }
      if (thread === undefined) {
        // The room `hasRoom()` saw is gone: the stage before this one, on the same shared
        // pool and woken by the space the batch's taking released, sent a batch into it
        // first. This batch's items go first in line for the next room.
        this.#untrack(batch);
        this.#putBack(batch);
        continue;
      }
      this.#sentBatches++;
      if (batch.alone === true) this.#unwantIdle();
      batch.thread = thread;
      batch.sentAt = performance.now();
      // Spans start once the batch is on its way (its thread known), unless it already
      // failed: a thread whose module did not start answers from inside `trySend`.
      if (this.#spans !== undefined && this.#batches.get(batch.message.id) === batch) {
        this.#startSpans(batch, thread);
      }
    }
  }

  #startSpans(batch: StageBatch, thread: PoolThread): void {
    const spans = this.#spans!;
    const started = spans.start(
      batch.items,
      batch.first,
      batch.indices,
      batch.attempts,
      thread.number,
      thread.threadId,
    );
    batch.spans = started;
    // A hook that stopped the run from inside `start` (a cancel) let go of the batch before
    // its spans were kept: they end here, as the stop ended the others.
    if (started !== undefined && this.gate.stopped && !this.#batches.has(batch.message.id)) {
      spans.failAll(started, this.gate.reason);
    }
    // A hook that threw fails the run now: the stop finds this batch held and ends its spans.
    spans.flush();
  }

  /**
   * Work stealing: when a thread is idle and no input waits, the batch that has run longest
   * past what its items should take (a call that runs long, with items queued behind it)
   * gives up the positions its thread has not begun; they go first in line again, so the
   * idle thread takes them. Each position is claimed atomically by the one thread that runs
   * it, so nothing runs twice and nothing is lost. Not while calls are traced (their spans
   * belong to their first batch).
   */
  #steal(pool: ThreadPool): boolean {
    // Not with `transfer`: the tail's bytes have moved to the thread that holds the batch.
    if (
      this.#executor.options.transfer ||
      this.#spans !== undefined ||
      this.#batches.size === 0 ||
      !pool.hasIdleThread()
    ) {
      return false;
    }
    // A batch whose thread has claimed every position gives up nothing: the next late one
    // is tried (a batch queued behind a long call on the same thread, say).
    for (;;) {
      const victim = this.#lateBatch();
      if (victim === undefined) return false;
      victim.stealTried = true;
      const count = victim.items.length;
      const kept = victim.thread!.steal(victim.message.id, count);
      if (kept === undefined || kept >= count) continue;
      victim.kept = kept;
      this.#inFlight -= count - kept;
      this.#stolen += count - kept;
      this.#sendAgain(unsent(victim, kept, true));
      return true;
    }
  }

  /**
   * The batch sent first among those running late and not tried yet; when none is late, the
   * stage looks again once the first of them would be, unless a batch answers before.
   */
  #lateBatch(): StageBatch | undefined {
    const perItem = this.#sizer.msPerItem ?? 1;
    const { victim, lateInMs } = lateBatch(this.#batches.values(), perItem, performance.now());
    if (victim === undefined && Number.isFinite(lateInMs) && this.#stealTimer === undefined) {
      this.#stealTimer = setTimeout(this.#stealLater, Math.ceil(lateInMs));
    }
    return victim;
  }

  #wantIdle(pool: ThreadPool): void {
    if (this.#idleWanted) return;
    this.#idleWanted = true;
    pool.wantIdle();
  }

  #unwantIdle(): void {
    if (!this.#idleWanted) return;
    this.#idleWanted = false;
    this.#pool?.unwantIdle();
  }

  readonly #stealLater = (): void => {
    this.#stealTimer = undefined;
    this.#event();
  };

  #track(batch: StageBatch): void {
    this.#batches.set(batch.message.id, batch);
    this.#inFlight += batch.items.length;
    if (this.#inFlight > this.#maxInFlight) this.#maxInFlight = this.#inFlight;
  }

  #untrack(batch: StageBatch): void {
    this.#batches.delete(batch.message.id);
    this.#inFlight -= keptOf(batch);
  }

  /** A batch taken but not sent goes back to the head of the line, whole. */
  #putBack(batch: StageBatch): void {
    this.#maker.reusePacking(batch);
    this.#resend = unsent(batch, 0, batch.stolen).concat(this.#resend);
  }

  /** A batch taken but not sent after all, the stage having stopped: its items are cancelled. */
  #dropUnsent(batch: StageBatch): void {
    this.#maker.reusePacking(batch);
    this.#cancelled += batch.items.length;
    this.#inside -= batch.items.length;
  }

  /** Takes up to `count` items from the input into a new batch; `undefined` if none is ready. */
  #takeBatch(count: number): StageBatch | undefined {
    const cursor = this.#cursor;
    const sampler = this.#sampler;
    // Pushed, not made at its full size: an array made with `new Array(n)` is cloned item by
    // item as a sparse object when the batch's items are not packed (see dense-array.ts).
    const items: unknown[] = [];
    let taken = 0;
    const first = this.#nextIndex;
    let sample: number[] | undefined;
    // Byte and string items are weighed as they are taken: a batch holds at most the byte
    // limit, or one item (a fixed `batch` is the user's to choose).
    const byteLimit = this.#sizer.fixed ? Number.POSITIVE_INFINITY : MAX_BATCH_BYTES;
    const tracked = this.#tracked;
    let bytes = 0;
    let full = false;
    while (taken < count && !full) {
      if (cursor.position >= cursor.buffer.length && !cursor.tryRefill()) break;
      const buffer = cursor.buffer;
      let end = Math.min(buffer.length, cursor.position + count - taken);
      const from = taken;
      for (let i = cursor.position; i < end; i++) {
        const item = buffer[i];
        const weight = itemBytes(tracked ? valueOf(item) : item);
        if (bytes + weight > byteLimit && taken > 0) {
          end = i;
          full = true;
          break;
        }
        items.push(item);
        taken++;
        bytes += weight;
      }
      cursor.advanceTo(end);
      // Per input chunk, as its items all arrived together.
      if (sampler !== undefined)
        sample = sampler.pick(from, taken - from, cursor.arrivedAt, sample);
    }
    if (taken === 0) {
      if (!cursor.ended) this.#needInput();
      return undefined;
    }
    if (bytes > 0) this.#sizer.observeBytes(taken, bytes);
    this.#nextIndex += taken;
    this.#inside += taken;
    return this.#maker.fresh(items, first, this.#sizer.claimStep, sample);
  }

  /** The next items to send again: a suspect of a crash alone, others up to `size`. */
  #takeResend(size: number): Resend[] {
    const queue = this.#resend;
    if (queue[0]!.retried) return queue.splice(0, 1);
    let count = 1;
    while (count < size && count < queue.length && !queue[count]!.retried) count++;
    return queue.splice(0, count);
  }

  /**
   * A batch `postMessage` refused (`DataCloneError`): the items that cannot be cloned fail
   * with an error naming the stage, the index and what could not be cloned; the rest go first
   * in line again.
   */
  #unsendable(batch: StageBatch, error: unknown): void {
    const rest: Resend[] = [];
    for (let i = 0; i < batch.items.length; i++) {
      const item = batch.items[i];
      const index = indexOf(batch, i);
      try {
        structuredClone(item);
        // Never sent: the same attempt again.
        const attempt = batch.attempts?.[i] ?? 1;
        rest.push({ item, index, retried: batch.retried?.[i] === true, attempt });
      } catch (cloneError) {
        const transfer = this.#executor.options.transfer;
        this.#fail(item, index, unsendableError(this.name, index, item, cloneError, transfer));
      }
    }
    if (rest.length === batch.items.length) {
      // Every item clones on its own: the batch failed for another reason. Fail the run.
      this.#inside -= rest.length;
      this.#cancelled += rest.length;
      this.#run.fail(error);
      return;
    }
    this.#sendAgain(rest);
  }

  // Results.

  /** @internal A batch answered. */
  batchDone(job: BatchJob, message: DoneMessage): void {
    const batch = job as StageBatch;
    if (!this.#batches.delete(message.id)) return;
    const kept = keptOf(batch);
    this.#inFlight -= kept;
    this.#sizer.observe(kept, message.ms);
    if (message.packing !== undefined) {
      this.#maker.giveBack(message.packing);
    }
    const values = message.values;
    if (message.buffers !== undefined && values !== undefined) {
      restoreBuffers(values, message.buffers);
    }
    const errors = message.failures === undefined ? undefined : this.#errors(batch, message);
    // Metrics and tracing apart, one check here: this method's loop is the ordered path's.
    if (message.times !== undefined || batch.spans !== undefined) {
      this.#observeDone(batch, message, errors);
    }
    if (errors === undefined && this.#plain !== 0 && !this.gate.stopped) {
      // An unordered map or forEach that does not collect, and a batch without a failure:
      // the batch's values go downstream as one chunk, the very array the thread sent, and
      // the counters move once for the whole batch.
      const count = kept;
      this.#inside -= count;
      this.#out += count;
      if (this.#plain === PLAIN_MAP && count > 0) {
        this.#emitted += count;
        this.flush();
        // A batch split by a steal answers for the positions it kept only.
        this.output.pushChunk(count === values!.length ? values! : values!.slice(0, count));
      }
      this.#event();
      return;
    }
    for (let i = 0; i < kept; i++) {
      const index = indexOf(batch, i);
      const error = errors?.get(i);
      if (error !== undefined || errors?.has(i) === true) {
        this.#fail(batch.items[i], index, error);
      } else {
        this.#completed(batch.items[i], index, values?.[i]);
      }
    }
    this.#event();
  }

  /**
   * Records an answered batch's call times, and ends its spans: failed with the error its
   * item fails with, or ok with the call's result. A hook that threw fails the run now: the
   * batch's items then count as cancelled.
   */
  #observeDone(
    batch: StageBatch,
    message: DoneMessage,
    errors: Map<number, unknown> | undefined,
  ): void {
    if (message.times !== undefined) this.#sampler?.record(message.times);
    const spans = batch.spans;
    if (spans === undefined) return;
    const tracer = this.#spans!;
    const values = message.values;
    if (errors === undefined) {
      tracer.okAll(spans, values);
    } else {
      for (let i = 0; i < spans.length; i++) {
        if (errors.has(i)) tracer.failed(spans, i, errors.get(i));
        else tracer.ok(spans, i, values?.[i]);
      }
    }
    tracer.flush();
  }

  /** A batch's failures as the errors its items fail with, by position. */
  #errors(batch: StageBatch, message: DoneMessage): Map<number, unknown> {
    const errors = new Map<number, unknown>();
    for (const [i, failure] of message.failures!) {
      errors.set(
        i,
        isCallTimedOut(failure)
          ? this.#timeoutError(indexOf(batch, i), failure.timedOutAfterMs)
          : recordToError(failure),
      );
    }
    return errors;
  }

  /** @internal A batch's thread went away before answering. */
  batchLost(job: BatchJob, cause: LostCause): void {
    const batch = job as StageBatch;
    if (!this.#batches.delete(batch.message.id)) return;
    const kept = keptOf(batch);
    this.#inFlight -= kept;
    if (cause.reason === "crash" && !this.#deaths.has(cause)) {
      this.#deaths.add(cause);
      this.#crashes++;
    }
    const spans = batch.spans;
    if (cause.reason === "closed") {
      this.#cancelled += kept;
      this.#inside -= kept;
      const error = this.#poolClosed();
      if (spans !== undefined) this.#spans!.failAll(spans, error);
      this.#run.fail(error);
      this.#spans?.flush();
      this.#event();
      return;
    }
    const transfer = this.#executor.options.transfer;
    const resend: Resend[] = [];
    for (let i = 0; i < kept; i++) {
      const item = batch.items[i];
      const index = indexOf(batch, i);
      // A tracer sees each send of an item as an attempt of its own, ended here.
      const attempt = (batch.attempts?.[i] ?? 1) + 1;
      const fate = lostItemFate(batch, i, cause, transfer);
      let error: Error;
      switch (fate) {
        case LostFate.timedOut:
          error = this.#timeoutError(index, (cause as { elapsedMs: number }).elapsedMs);
          break;
        case LostFate.transferred: {
          const timedOut = cause.reason === "timeout" ? indexOf(batch, cause.position) : undefined;
          error = transferredLost(this.name, index, cause, timedOut);
          break;
        }
        case LostFate.crashed: {
          const crash = cause as Extract<LostCause, { reason: "crash" }>;
          error = new WorkerCrashedError(this.name, index, crash.exitCode, crash.error);
          break;
        }
        default: {
          // Sent again; a suspect of a crash marked, so it goes alone and a second death
          // fails it.
          const retry = fate === LostFate.retry;
          if (retry) this.#retried++;
          if (spans !== undefined) {
            this.#spans!.failed(spans, i, lostCallError(this.name, index, cause));
          }
          resend.push({ item, index, retried: retry || batch.retried?.[i] === true, attempt });
          continue;
        }
      }
      if (spans !== undefined) this.#spans!.failed(spans, i, error);
      this.#fail(item, index, error);
    }
    this.#sendAgain(resend);
    this.#spans?.flush();
    this.#event();
  }

  /**
   * Queues items to be sent again before new input, in index order, so an ordered stage's
   * head comes first. A stage that stopped meanwhile (another item of the same batch failed
   * the run: the stop found none of these queued) counts them as cancelled instead.
   */
  #sendAgain(resend: Resend[]): void {
    if (this.gate.stopped) {
      this.#cancelled += resend.length;
      this.#inside -= resend.length;
      return;
    }
    this.#resend = resend.concat(this.#resend);
  }

  /**
   * @internal The thread could not read the batch's message: none of its items ran, and the
   * same message would fail the same way again. Each item fails through the error policy.
   */
  batchUnreadable(job: BatchJob, error: Error): void {
    const batch = job as StageBatch;
    if (!this.#batches.delete(batch.message.id)) return;
    const kept = keptOf(batch);
    this.#inFlight -= kept;
    const spans = batch.spans;
    for (let i = 0; i < kept; i++) {
      const index = indexOf(batch, i);
      const failure = new TypeError(
        `Stage "${this.name}": the thread could not read the batch holding item #${index}: ${error.message}`,
        { cause: error },
      );
      if (spans !== undefined) this.#spans!.failed(spans, i, failure);
      this.#fail(batch.items[i], index, failure);
    }
    this.#spans?.flush();
    this.#event();
  }

  /** @internal The stage's module failed to start on a replacement thread. */
  initFailed(job: BatchJob, error: WorkerInitError): void {
    const batch = job as StageBatch;
    if (!this.#batches.delete(batch.message.id)) return;
    const kept = keptOf(batch);
    this.#inFlight -= kept;
    this.#cancelled += kept;
    this.#inside -= kept;
    if (batch.spans !== undefined) this.#spans!.failAll(batch.spans, error);
    this.#run.fail(error);
    this.#spans?.flush();
    this.#event();
  }

  #poolClosed(): Error {
    return new ThreadPoolClosedError(this.name, true);
  }

  #timeoutError(index: number, elapsedMs: number): TimeoutError {
    this.#timedOut++;
    return new TimeoutError(this.name, index, elapsedMs, this.#executor.options.timeout);
  }

  #fail(item: unknown, index: number, error: unknown): void {
    this.#ctx.index = index;
    const pending = applyErrorPolicy(this, this.#policy, item, index, error, this.#ctx);
    if (pending === undefined) return;
    this.#deadLetters++;
    void pending.then(() => {
      this.#deadLetters--;
      this.#event();
    });
  }

  #completed(item: unknown, index: number, result: unknown): void {
    if (this.gate.stopped) {
      this.cancelledItem();
      return;
    }
    let value: unknown;
    switch (this.#kind) {
      case ThreadKind.map:
      case ThreadKind.flatMap:
        // A flatMap's values go on as one tracked array until #deliver spreads them.
        value = this.#tracked ? new Tracked(result, (item as Tracked).lineage) : result;
        break;
      case ThreadKind.filter:
        if (!result) {
          this.#filtered++;
          if (this.#tracked) (item as Tracked).lineage.done();
          this.#settleNone(index);
          return;
        }
        value = item;
        break;
      case ThreadKind.tap:
        value = item;
        break;
      default:
        this.#out++;
        if (this.#tracked) (item as Tracked).lineage.done();
        this.#settleNone(index);
        return;
    }
    const ring = this.#ring;
    if (ring === undefined) {
      this.#inside--;
      this.#deliver(value);
    } else {
      ring.settle(index, Slot.Value, value);
    }
  }

  #settleNone(index: number): void {
    if (this.#ring === undefined) this.#inside--;
    else this.#ring.settle(index, Slot.None, undefined);
  }

  /** Emits one item's result: a flatMap's values one by one, others as they are. */
  #deliver(value: unknown): void {
    if (this.#kind !== ThreadKind.flatMap) {
      this.#out++;
      this.#emit(this.#collect ? this.#collected(value) : value);
      return;
    }
    if (this.#tracked) {
      this.#deliverTracked(value as Tracked);
      return;
    }
    const values = value as unknown[];
    if (values.length === 0) {
      this.#filtered++;
      return;
    }
    this.#out++;
    for (const each of values) this.#emit(this.#collect ? { ok: true, value: each } : each);
  }

  /** A tracked flatMap's values: each a tracked item of the input's lineage, which counts them. */
  #deliverTracked(result: Tracked): void {
    const values = result.value as unknown[];
    const lineage = result.lineage;
    if (values.length === 0) {
      this.#filtered++;
      lineage.done();
      return;
    }
    this.#out++;
    lineage.add(values.length - 1);
    for (const each of values) this.#emit(this.#collected(new Tracked(each, lineage)));
  }

  /** `onError: "collect"`'s `{ ok: true, value }` (tracked: the value's, still tracked). */
  #collected(value: unknown): unknown {
    if (!this.#collect) return value;
    return this.#tracked ? collectedOk(value as Tracked) : { ok: true, value };
  }

  readonly #deliverInOrder = (state: Slot, value: unknown): void => {
    this.#inside--;
    if (state === Slot.Value) this.#deliver(value);
    else if (state === Slot.Failure) this.#emit(value);
  };

  #emit(value: unknown): void {
    this.#emitted++;
    this.push(value);
  }

  // FailureHost: what the error policy does to this stage.

  /** @internal */
  get stopping(): boolean {
    return this.gate.stopped;
  }

  /** @internal */
  cancelledItem(): void {
    this.#cancelled++;
    this.#inside--;
  }

  /** @internal */
  countFailed(error: unknown): void {
    this.#failed++;
    this.#failures.add(error);
  }

  /** @internal */
  emitFailure(index: number, failure: { ok: false; error: unknown; item: unknown }): void {
    const emitted = this.#tracked ? collectedFailure(failure) : failure;
    if (this.#ring === undefined) {
      this.#inside--;
      this.#emit(emitted);
    } else {
      this.#ring.settle(index, Slot.Failure, emitted);
    }
  }

  /** @internal */
  skipped(index: number, item: unknown, error: unknown, deadLettered: boolean): void {
    if (this.#tracked) {
      // Dead-lettered, the item is dealt with; skipped without, its message comes again.
      if (deadLettered) (item as Tracked).lineage.done();
      else (item as Tracked).lineage.fail(error);
    }
    if (this.#ring === undefined || this.gate.stopped) this.#inside--;
    else this.#ring.settle(index, Slot.None, undefined);
  }

  /** @internal */
  failRun(error: StageError): void {
    this.#inside--;
    this.#run.fail(error);
  }

  // Waiting.

  protected override onTurn(): void {
    this.flush();
    this.#event();
  }

  #needRoom(): void {
    if (this.output.size <= this.spec.buffer >> 1) this.flush();
    if (this.#spaceArmed) return;
    this.#spaceArmed = true;
    this.output.onSpace(this.#onSpace);
  }

  #needInput(): void {
    if (this.#inputArmed) return;
    this.#inputArmed = true;
    this.#cursor.onData(this.#onInput);
  }

  #armPoolRoom(): void {
    if (this.#roomArmed) return;
    this.#roomArmed = true;
    this.#pool!.onRoom(this.#onPoolRoom);
  }

  readonly #onSpace = (): void => {
    this.#spaceArmed = false;
    this.#event();
  };

  readonly #onInput = (): void => {
    this.#inputArmed = false;
    this.#event();
  };

  readonly #onPoolRoom = (): void => {
    this.#roomArmed = false;
    this.#pool?.offRoom(this.#onPoolRoom);
    this.#event();
  };

  #finish(): void {
    this.#finished = true;
    this.#unwantIdle();
    clearTimeout(this.#stealTimer);
    this.#stealTimer = undefined;
    if (this.gate.stopped && this.#ring !== undefined) {
      this.#cancelled += this.#ring.countWaiting();
    }
    this.#pool?.offRoom(this.#onPoolRoom);
    this.flush();
    this.cancelTurn();
    this.output.close();
    if (this.#ownPool && this.#pool !== undefined) {
      // The run settles only once its threads have exited: no handle is left behind.
      void this.#pool.close().then(() => this.#resolveDone());
    } else {
      this.#resolveDone();
    }
  }
}

/** The options of a stage's own pool: its `threads` and `resourceLimits`. */
function ownPoolOptions(options: ResolvedThreadOptions): ThreadPoolOptions {
  const { threads, resourceLimits } = options;
  return resourceLimits === undefined ? { threads } : { threads, resourceLimits };
}
