import { collectedFailure, collectedOk, Tracked } from "../ledger/lineage.js";
import { tracedValues } from "../ledger/track-specs.js";
import { ChunkChannel } from "../channel/chunk-channel.js";
import { FailureTally } from "../observe/failure-tally.js";
import { StageTiming } from "../observe/stage-timing.js";
import { traceCalls } from "../observe/traced-calls.js";
import { shedCount, shedInput } from "./shedding.js";
import type { RunControl } from "../contract/run-control.js";
import type { Stage, StageInput } from "../contract/stage.js";
import type { FunctionStageSpec } from "../contract/stage-spec.js";
import type { StageStats } from "../contract/summary.js";
import type { StageContext, StageFn } from "../contract/types.js";
import type { StageError } from "../errors/stage-error.js";
import { DispatchGate } from "./dispatch-gate.js";
import { StageLimit, startingLimit } from "../limit/stage-limit.js";
import { Admission, WeightGate } from "../limit/weight-gate.js";
import { RateAdmission, StageRate } from "../limit/stage-rate.js";
import { KeyAdmission, KeyGate } from "../limit/key-gate.js";
import { TenantAdmission, TenantGate } from "../limit/tenant-gate.js";
import { SlotResources } from "./slot-resources.js";
import type { Waiting } from "../limit/rate-gate.js";
import { applyErrorPolicy, type ErrorPolicyPlan, type FailureHost } from "./error-policy.js";
import { expandMany, type ManyHost } from "./expand-many.js";
import { OrderedCollector, Slot } from "./ordered-collector.js";
import { OutputStaging } from "./output-staging.js";
import { InputCursor } from "./stage-input.js";
import { isThenable } from "./thenable.js";
import { stageStats } from "./stage-stats.js";
import type { CallContext } from "./call-context.js";
import { type SlotHandlers, type WorkerSlot, WorkerSlots } from "./worker-slots.js";
import { StageGuard } from "./resilience/stage-guard.js";
import type { RetryWait } from "./resilience/retry-waits.js";

const MAP = 0;
const FILTER = 1;
const TAP = 2;
const FOR_EACH = 3;
const FLAT_MAP = 4;
/** {@link FunctionStage.#admitHead}: the head must wait; it left the input without starting. */
const HEAD_WAITS = -1;
const HEAD_TAKEN = -2;
/** {@link FunctionStage.#startHeld}: a held item started; none was ready; the next one must wait. */
const HELD_STARTED = 0;
const HELD_NONE = 1;
const HELD_BLOCKED = 2;
const KIND_CODES = { map: MAP, filter: FILTER, tap: TAP, forEach: FOR_EACH, flatMap: FLAT_MAP };

/** Largest chunk a stage hands downstream at once. */
const MAX_CHUNK = 256;

/**
 * Runs one function stage (map, filter, tap, forEach, flatMap) as a dispatcher over worker
 * slots gated by a live width ({@link DispatchGate}). The dispatcher is a plain synchronous
 * loop run on events (input arrived, room freed, an item finished, the width changed): it
 * starts items while the gate allows, the stage has room and the input has items. A sync
 * function runs in a burst straight from the input chunk and costs no promise; an async one
 * occupies a slot until its promise settles, costing one `then`. Results gather into a staged
 * chunk, handed downstream when it holds half the buffer, or on the next turn.
 *
 * Bounded by construction: an item starts only while
 * `inside + staged + output.size < concurrency + buffer`, where `inside` counts items in the
 * function and, when ordered, results waiting in the reorder ring for an earlier item.
 *
 * When the stage stops, calls still in flight get one turn of the event loop to settle (their
 * signals are aborted); those that ignore it are counted as abandoned, their late results
 * dropped, and the stage finishes without them.
 */
export class FunctionStage
  extends OutputStaging<unknown>
  implements Stage, ManyHost, SlotHandlers, FailureHost
{
  readonly spec: FunctionStageSpec;
  readonly name: string;
  /** The live width; flow control changes it while the run goes. */
  readonly gate: DispatchGate;
  /** Items the stage may hold at once: `concurrency + buffer`. */
  readonly capacity: number;
  readonly #kind: number;
  readonly #fn: StageFn<unknown, unknown>;
  readonly #collect: boolean;
  /** Items are `Tracked` (an acknowledged source): fates settle their lineages. */
  readonly #tracked: boolean;
  readonly #policy: ErrorPolicyPlan;
  readonly #cursor: InputCursor<unknown>;
  readonly #input: StageInput<unknown>;
  readonly #run: RunControl;
  readonly #ring: OrderedCollector | undefined;
  readonly #slots: WorkerSlots;
  /** The stage's adaptive limiter, when `concurrency` was one. */
  readonly #limit: StageLimit | undefined;
  /** The stage's weighted semaphore, when it has a `weight` option. */
  readonly #weights: WeightGate | undefined;
  /** The stage's token bucket(s), when it has a `rateLimit` option. */
  readonly #rate: StageRate | undefined;
  /** One resource per slot (`resources`), when the stage has them. */
  readonly #resources: SlotResources | undefined;
  /** The `perKey` bulkhead, when the stage has `key`. */
  readonly #keys: KeyGate | undefined;
  /** Per-tenant quotas and turns, when the stage has `tenants`. */
  readonly #tenants: TenantGate | undefined;
  /** Items dropped because their tenant's queue was full. */
  #tenantShed = 0;
  /** Timeout, retry, hedge, breaker and dedupe, when the stage sets any: it calls `#fn`. */
  readonly #guard: StageGuard | undefined;
  readonly #failures = new FailureTally();
  /** Sampled processing and queue times, when the run records metrics. */
  readonly timing: StageTiming | undefined;
  /**
   * The function timed (see `StageTiming.timed`), for a plain stage that records metrics:
   * called instead of `#fn` for the calls `timing.nextGap()` picks. `undefined` otherwise.
   */
  readonly #timedFn: StageFn<unknown, unknown> | undefined;
  /** Calls until the next timed one, counting it (with `#timedFn`). */
  #untilTimed = 1;
  /** Items may wait inside the stage to start later: rate-limited ones, or retries backing off. */
  readonly #holds: boolean;
  /**
   * Weights or a rate limit decide what starts next: a settled call frees its slot and the
   * dispatcher starts the next item, never the settle path's shortcut. (A limiter only moves
   * the gate, which the shortcut reads.)
   */
  readonly #settleThroughDispatch: boolean;
  /** An unordered map that does not collect: its values go straight to the staged chunk. */
  readonly #plainMap: boolean;
  /** A plain map that is running: its settled values take the short path. Off once stopped. */
  #fastSettle: boolean;
  /** An unordered forEach that does not collect: it emits nothing. */
  readonly #plainSink: boolean;
  /** An ordered flatMap: items take turns, in input order, to stream their values out. */
  readonly #manyInTurn: boolean;

  #out = 0;
  /** Values of the fast settle path: each counts in `out` and `emitted` (one add per item). */
  #fastOut = 0;
  #filtered = 0;
  #failed = 0;
  #cancelled = 0;
  #abandoned = 0;
  #emitted = 0;
  #inFlight = 0;
  #maxInFlight = 0;
  #inside = 0;
  #nextIndex = 0;
  /** A burst's last call, when it went async or threw: its item and its thenable or error. */
  #burstItem: unknown = undefined;
  #burstResult: unknown = undefined;
  #burstThrew = false;

  /** flatMap items holding a slot while they wait for room for their next value. */
  #roomWaiters: (() => void)[] = [];
  /** Ordered flatMap: the index whose values stream now, and the items waiting their turn. */
  #turn = 0;
  readonly #turnWaiters = new Map<number, (go: boolean) => void>();
  #spaceArmed = false;
  #inputArmed = false;
  /** Set while the stage's state is being changed; events that arrive then are replayed. */
  #busy = false;
  #again = false;
  #finished = false;
  /** Set one turn after the stage stopped: calls still in flight then are abandoned. */
  #graceOver = false;
  #grace: NodeJS.Immediate | undefined;
  #resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });

  constructor(spec: FunctionStageSpec, input: StageInput<unknown>, run: RunControl) {
    // Half the buffer per chunk: downstream works on one chunk while the next fills.
    super(
      new ChunkChannel<unknown>(spec.buffer),
      Math.max(1, Math.min(MAX_CHUNK, spec.buffer >> 1)),
    );
    this.spec = spec;
    this.name = spec.name;
    this.capacity = spec.concurrency + spec.buffer;
    this.gate = new DispatchGate(
      spec.limiter === undefined ? spec.concurrency : startingLimit(spec.limiter, spec.concurrency),
    );
    this.#limit =
      spec.limiter === undefined
        ? undefined
        : new StageLimit(spec.limiter, spec.concurrency, this.gate);
    this.#kind = KIND_CODES[spec.kind];
    this.#cursor = new InputCursor(input, run.sampleEvery > 0);
    // Metrics time one call in sampleEvery: the user's function itself, so each retry and
    // each call of a hedged attempt is a call of its own, and a breaker's refusal or a
    // deduplicated item makes none. An unwatched run keeps the bare function.
    this.timing =
      run.sampleEvery > 0 ? new StageTiming(run.sampleEvery, run.maxSamplesPerSecond) : undefined;
    // A tracer (`run({ trace })`, a logger) sees each call of the user's function, inside
    // the timing: a traced call is timed as the user's work plus its span.
    const hook = tracedValues(run.callHook(spec, false), spec.tracked === true);
    const traced = hook === undefined ? spec.fn : traceCalls(spec.fn, hook, run.fail);
    // A stage whose calls go through a wrapper anyway (resilience, a flatMap's expansion)
    // times through one more; a plain stage picks its timed calls itself and keeps the bare
    // function, which V8 inlines where the stage calls it (a wrapper cost S1 a fifth).
    const wrapped = spec.resilience !== undefined || this.#kind === FLAT_MAP;
    const fn =
      this.timing === undefined || !wrapped
        ? traced
        : this.timing.wrap(traced, this.#cursor, this.#kind !== FLAT_MAP);
    this.#timedFn =
      this.timing === undefined || wrapped ? undefined : this.timing.timed(traced, this.#cursor);
    this.#guard =
      spec.resilience === undefined
        ? undefined
        : new StageGuard(spec.resilience, spec.name, fn, {
            heldChanged: (delta) => {
              this.#slots.held += delta;
            },
            wake: this.#eventHandler,
          });
    this.#fn = this.#guard?.wraps === true ? this.#guard.call : fn;
    this.#collect = spec.onError === "collect";
    this.#tracked = spec.tracked === true;
    this.#policy = {
      collect: this.#collect,
      skip: spec.onError === "skip",
      deadLetter: spec.deadLetter,
    };
    this.#input = input;
    shedInput(input, spec, run);
    this.#run = run;
    this.#manyInTurn = spec.ordered && this.#kind === FLAT_MAP;
    this.#ring =
      spec.ordered && !this.#manyInTurn
        ? new OrderedCollector(this.capacity, this.#deliverInOrder)
        : undefined;
    // A tracked stage settles each item's lineage in #completed, and a keyed or multi-tenant
    // stage releases each item's key or tenant there: no fast path around it.
    const plain =
      !spec.ordered &&
      !this.#collect &&
      !this.#tracked &&
      spec.key === undefined &&
      spec.tenants === undefined;
    this.#plainMap = plain && this.#kind === MAP;
    this.#weights =
      spec.weight === undefined
        ? undefined
        : new WeightGate(spec.weight, spec.concurrency, spec.name, spec.kind);
    this.#rate =
      spec.rateLimit === undefined ? undefined : new StageRate(spec.rateLimit, this.#eventHandler);
    this.#keys = spec.key === undefined ? undefined : new KeyGate(spec.key.keyOf, spec.key.perKey);
    this.#tenants =
      spec.tenants === undefined ? undefined : new TenantGate(spec.tenants, this.#eventHandler);
    this.#holds =
      this.#rate !== undefined ||
      this.#keys !== undefined ||
      this.#tenants !== undefined ||
      this.#guard?.waits !== undefined;
    // A retry starts from the dispatcher, before new input; a hedge's loser holds a place; an
    // item whose key's turn came starts there too.
    this.#settleThroughDispatch =
      this.#weights !== undefined ||
      this.#rate !== undefined ||
      this.#keys !== undefined ||
      this.#tenants !== undefined ||
      this.#guard?.wraps === true;
    // A limiter hears of every settled call: on the slower path, so static stages pay nothing.
    this.#fastSettle = this.#plainMap && !this.#settleThroughDispatch && this.#limit === undefined;
    this.#plainSink = plain && this.#kind === FOR_EACH;
    this.#slots = new WorkerSlots(this.gate, spec.name, this);
    this.#resources =
      spec.resources === undefined ? undefined : new SlotResources(spec.resources, spec.name);
    // No slot takes an item before its resource is made.
    if (this.#resources !== undefined) this.gate.setCeiling(0);
    const resilience = spec.resilience;
    if (resilience !== undefined && resilience.timeoutMs !== Infinity && !resilience.hedge) {
      // A plain timeout lives in the slots: the fast paths stay on, no promise per item.
      this.#slots.enableTimeout(resilience.timeoutMs, resilience.clock);
    }
  }

  start(): void {
    // Width changes made before the start (run.setConcurrency, pause) only set the gate.
    this.gate.onChange(() => this.#widthChanged());
    if (this.#resources !== undefined) this.#makeResources(this.#resources);
    this.#limit?.watch(() => this.#inputFill());
    this.#busy = true;
    this.#dispatch();
  }

  stop(reason: unknown): void {
    if (this.gate.stopped) return;
    this.gate.stop(reason);
    this.#fastSettle = false;
    this.#limit?.unwatch();
    this.#slots.stopTimeouts();
    this.#slots.abortAll(reason);
    if (this.#rate !== undefined) {
      // Items waiting for a token never started: they end here, cancelled.
      const held = this.#rate.clear();
      this.#cancelled += held;
      this.#inside -= held;
    }
    if (this.#keys !== undefined) {
      // Items waiting for their key's turn never started: they end here, cancelled.
      const held = this.#keys.clear();
      this.#cancelled += held;
      this.#inside -= held;
    }
    if (this.#tenants !== undefined) {
      // Items waiting for their tenant's turn never started: they end here, cancelled.
      const held = this.#tenants.clear();
      this.#cancelled += held;
      this.#inside -= held;
    }
    if (this.#guard !== undefined) {
      // Items backing off before a retry: they end here, cancelled.
      const waiting = this.#guard.stop(reason);
      this.#cancelled += waiting;
      this.#inside -= waiting;
    }
    this.cancelTurn();
    this.#wakeRoomWaiters();
    this.#wakeTurnWaiters();
    if (!this.#finished && !this.#slots.allFree) {
      this.#grace = setImmediate(this.#endGrace);
    }
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
    return stageStats(this.spec, this.gate.target, {
      // Every item that starts takes the next index: the count in is the next index.
      in: this.#nextIndex + shedCount(this.#input) + this.#tenantShed,
      shed: shedCount(this.#input) + this.#tenantShed,
      out: this.#out + this.#fastOut,
      filtered: this.#filtered,
      failed: this.#failed,
      cancelled: this.#cancelled,
      abandoned: this.#abandoned + (this.#guard?.abandonedCalls ?? 0),
      retried: this.#guard?.retried ?? 0,
      hedged: this.#guard?.hedged ?? 0,
      discarded: this.#cursor.discarded,
      emitted: this.#emitted + this.#fastOut,
      maxInFlight: this.#maxInFlight,
      inFlight: this.#inFlight,
      ...(this.#keys === undefined ? {} : { keys: this.#keys.stats() }),
      ...(this.#tenants === undefined ? {} : { tenants: this.#tenants.stats() }),
    });
  }

  /** The width changed: slots it opens get their resources first; dispatch. */
  #widthChanged(): void {
    const resources = this.#resources;
    if (resources !== undefined && this.gate.target > resources.requested) {
      this.#makeResources(resources);
    }
    this.#event();
  }

  /**
   * Makes the resources of the slots the width asks for, all at once, then opens the gate to
   * them; a resource that cannot be made fails the run with a `ResourceError`.
   */
  #makeResources(resources: SlotResources): void {
    resources.grow(this.gate.target).then(
      (ready) => {
        if (this.gate.stopped) return;
        this.#slots.giveResources((slot) => resources.of(slot));
        this.gate.setCeiling(ready);
      },
      (error: unknown) => this.#run.fail(error),
    );
  }

  /** How full the input is, from 0 to 1; an input read on demand is full while it has items. */
  #inputFill(): number {
    const { depth, capacity } = this.#input;
    if (depth === undefined || capacity === undefined) return this.#cursor.hasMore() ? 1 : 0;
    return capacity > 0 ? depth / capacity : 0;
  }

  /** An input, room, width or stop event: dispatch now, or after the change under way. */
  #event(): void {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    this.#dispatch();
  }

  readonly #eventHandler = (): void => {
    this.#event();
  };

  /** Runs the dispatch loop until no event is pending; the caller set `#busy`. */
  #dispatch(): void {
    try {
      do {
        this.#again = false;
        if (this.#kind === FLAT_MAP) this.#dispatchMany();
        else this.#dispatchItems();
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
    if (this.#finished) return;
    if (
      this.#slots.idle
        ? this.gate.stopped ||
          (this.#cursor.ended &&
            (this.#rate?.held ?? 0) === 0 &&
            (this.#keys?.held ?? 0) === 0 &&
            (this.#tenants?.held ?? 0) === 0 &&
            (this.#guard?.waits?.size ?? 0) === 0)
        : this.#graceOver
    ) {
      this.#finish();
    }
  }

  #dispatchItems(): void {
    const cursor = this.#cursor;
    const gate = this.gate;
    const fn = this.#fn;
    const output = this.output;
    const capacity = this.capacity;
    const slots = this.#slots;
    const run = this.#run;
    const resume = this.#eventHandler;
    // The common cases, in bursts of their own: an unordered map's value goes straight to
    // the chunk; an unordered forEach has nothing to emit. Their counters are added once per
    // burst.
    const plainMap = this.#plainMap;
    const plainSink = this.#plainSink;
    const intake = this.#tenants !== undefined;
    for (;;) {
      if (gate.stopped || (slots.allBusy && !intake) || run.holdTurn(resume)) return;
      if (this.#holds) {
        const held = this.#startHeldOrRetry();
        if (held === HELD_STARTED) continue;
        if (held === HELD_BLOCKED) return;
      }
      const room = capacity - (this.#inside + this.values.length + output.size);
      if (!this.#canStart(room <= 0)) return;
      // A burst: run items straight from the input chunk while the function answers
      // synchronously. Counters for the burst are added once at its end.
      const slot = slots.peek();
      const ctx = slot.ctx;
      const buffer = cursor.buffer;
      const start = cursor.position;
      let end = Math.min(buffer.length, start + room);
      let weight = 0;
      if (
        this.#weights !== undefined ||
        this.#rate !== undefined ||
        this.#keys !== undefined ||
        this.#tenants !== undefined
      ) {
        // One item at a time, each weighed, given its key's or tenant's turn and a token
        // before it starts.
        const admitted = this.#admitHead(slot);
        if (admitted === HEAD_WAITS) return;
        if (admitted === HEAD_TAKEN) continue;
        weight = admitted;
        end = start + 1;
      }
      // Each case in a small method of its own: the fewer bytecodes a hot loop has, the
      // sooner V8 compiles it and the less a user function's deopt takes down with it.
      // With metrics, a burst stops short of the next timed call, which is made on its own:
      // the bursts' call sites see the user's function only, and V8 inlines it there.
      let timedCall = false;
      if (this.#timedFn !== undefined) {
        if (this.#untilTimed === 1) timedCall = true;
        else end = Math.min(end, start + this.#untilTimed - 1);
      }
      const position = timedCall
        ? this.#timedBurst(buffer, start, ctx)
        : plainSink
          ? this.#sinkBurst(fn, buffer, start, end, ctx)
          : plainMap
            ? this.#mapBurst(fn, buffer, start, end, ctx)
            : this.#anyBurst(fn, buffer, start, end, ctx);
      if (this.#timedFn !== undefined) this.#countCalls(position - start);
      const item = this.#burstItem;
      const result = this.#burstResult;
      const threw = this.#burstThrew;
      this.#burstItem = undefined;
      this.#burstResult = undefined;
      this.#burstThrew = false;
      // Items that completed synchronously: all started, less one that threw or went async.
      const plainDone =
        (plainMap || plainSink) && !timedCall
          ? position - start - (threw || result !== undefined ? 1 : 0)
          : 0;
      if (plainDone > 0) {
        this.#out += plainDone;
        if (plainMap) this.#emitted += plainDone;
      }
      const started = position - start;
      cursor.advanceTo(position);
      if (plainMap) this.flushOnTurn();
      if (this.#maxInFlight === 0) this.#maxInFlight = 1;
      if (threw) {
        this.#inside++;
        const pending = this.#failedItem(item, ctx.index, result, ctx);
        if (pending !== undefined) slots.holdUntil(slot, pending);
      } else if (result !== undefined) {
        this.#inside++;
        this.#awaitIn(slot, item, ctx.index, result as PromiseLike<unknown>, weight);
      }
      run.mustYield(started);
    }
  }

  /**
   * The timed call (metrics on): `buffer[start]` through the timed function, completed in
   * full as {@link #anyBurst} completes its items.
   */
  #timedBurst(buffer: readonly unknown[], start: number, ctx: CallContext): number {
    const item = buffer[start];
    const index = this.#nextIndex++;
    ctx.index = index;
    let result: unknown;
    try {
      result = this.#timedFn!(item, ctx);
    } catch (error) {
      this.#burstItem = item;
      this.#burstResult = error;
      this.#burstThrew = true;
      return start + 1;
    }
    if (isThenable(result)) {
      this.#burstItem = item;
      this.#burstResult = result;
    } else {
      this.#inside++;
      this.#completed(item, index, result);
    }
    return start + 1;
  }

  /** `calls` more calls were made: the timed one among them draws the gap to the next. */
  #countCalls(calls: number): void {
    if ((this.#untilTimed -= calls) <= 0) this.#untilTimed = this.timing!.nextGap();
  }

  /**
   * Whether the call about to be made is the next timed one (metrics on, a plain stage): if
   * so the caller calls {@link #callTimed} instead of `#fn`.
   */
  #timesNext(): boolean {
    return this.#timedFn !== undefined && --this.#untilTimed === 0;
  }

  /** Makes the call {@link #timesNext} picked, and draws the gap to the next. */
  #callTimed(item: unknown, ctx: CallContext): unknown {
    this.#untilTimed = this.timing!.nextGap();
    return this.#timedFn!(item, ctx);
  }

  /**
   * A plain forEach's burst: calls `fn` on `buffer[start..end)` while it answers
   * synchronously and the stage runs. Returns the position reached and leaves, for the
   * caller, the last call's item and thenable (or what it threw) in the burst fields.
   */
  #sinkBurst(
    fn: StageFn<unknown, unknown>,
    buffer: readonly unknown[],
    start: number,
    end: number,
    ctx: CallContext,
  ): number {
    const gate = this.gate;
    let index = this.#nextIndex;
    let position = start;
    let item: unknown;
    try {
      while (position < end && !gate.stopped) {
        item = buffer[position++];
        ctx.index = index++;
        const result = fn(item, ctx);
        // isThenable, written out: until the optimizing compiler inlines it, a call per
        // item is a fifth of a sync burst's cost (the first ~100k items of a run).
        if (
          typeof result === "object" &&
          result !== null &&
          typeof (result as PromiseLike<unknown>).then === "function"
        ) {
          this.#burstItem = item;
          this.#burstResult = result;
          break;
        }
      }
    } catch (error) {
      this.#burstItem = item;
      this.#burstResult = error;
      this.#burstThrew = true;
    }
    this.#nextIndex = index;
    return position;
  }

  /** A plain map's burst: as {@link #sinkBurst}, staging each value for the next chunk. */
  #mapBurst(
    fn: StageFn<unknown, unknown>,
    buffer: readonly unknown[],
    start: number,
    end: number,
    ctx: CallContext,
  ): number {
    const gate = this.gate;
    const chunk = this.chunk;
    let index = this.#nextIndex;
    let position = start;
    let item: unknown;
    try {
      while (position < end && !gate.stopped) {
        item = buffer[position++];
        ctx.index = index++;
        const result = fn(item, ctx);
        if (
          typeof result === "object" &&
          result !== null &&
          typeof (result as PromiseLike<unknown>).then === "function"
        ) {
          this.#burstItem = item;
          this.#burstResult = result;
          break;
        }
        if (this.values.push(result) >= chunk) this.flush();
      }
    } catch (error) {
      this.#burstItem = item;
      this.#burstResult = error;
      this.#burstThrew = true;
    }
    this.#nextIndex = index;
    return position;
  }

  /** Any other stage's burst: as {@link #sinkBurst}, completing each item in full. */
  #anyBurst(
    fn: StageFn<unknown, unknown>,
    buffer: readonly unknown[],
    start: number,
    end: number,
    ctx: CallContext,
  ): number {
    const gate = this.gate;
    let index = this.#nextIndex;
    let position = start;
    let item: unknown;
    try {
      while (position < end && !gate.stopped) {
        item = buffer[position++];
        ctx.index = index++;
        const result = fn(item, ctx);
        if (
          typeof result === "object" &&
          result !== null &&
          typeof (result as PromiseLike<unknown>).then === "function"
        ) {
          this.#burstItem = item;
          this.#burstResult = result;
          break;
        }
        this.#inside++;
        this.#completed(item, ctx.index, result);
      }
    } catch (error) {
      this.#burstItem = item;
      this.#burstResult = error;
      this.#burstThrew = true;
    }
    this.#nextIndex = index;
    return position;
  }

  /** flatMap: one item per slot, each expanded by an async task that may wait for room. */
  #dispatchMany(): void {
    const cursor = this.#cursor;
    const slots = this.#slots;
    for (;;) {
      const busy = slots.allBusy && this.#tenants === undefined;
      if (this.gate.stopped || busy || this.#run.holdTurn(this.#eventHandler)) return;
      if (this.#rate !== undefined || this.#keys !== undefined || this.#tenants !== undefined) {
        const held = this.#startHeldOrRetry();
        if (held === HELD_STARTED) continue;
        if (held === HELD_BLOCKED) return;
      }
      const full = this.values.length + this.output.size >= this.spec.buffer;
      if (!this.#canStart(full)) return;
      const slot = slots.peek();
      let weight = 0;
      if (
        this.#weights !== undefined ||
        this.#rate !== undefined ||
        this.#keys !== undefined ||
        this.#tenants !== undefined
      ) {
        weight = this.#admitHead(slot);
        if (weight === HEAD_WAITS) return;
        if (weight === HEAD_TAKEN) continue;
      }
      const item = cursor.take();
      const index = this.#nextIndex++;
      slot.ctx.index = index;
      this.#inside++;
      this.#awaitIn(slot, item, index, expandMany(this, this.#fn, item, index, slot.ctx), weight);
      this.#run.mustYield(1);
    }
  }

  /**
   * Weighs the input's head item and asks the rate limit for its token. Answers its weight
   * (>= 0) when it may start now; {@link HEAD_WAITS} when it must wait (the gate's room or
   * the stage's one bucket; an event wakes the stage); {@link HEAD_TAKEN} when it left the
   * input without starting: it failed (its weight or key was refused) or waits for its key's
   * token in its line.
   */
  #admitHead(slot: WorkerSlot): number {
    const cursor = this.#cursor;
    const head = cursor.buffer[cursor.position];
    const weights = this.#weights;
    if (weights !== undefined) {
      const admission = weights.admit(head, this.#nextIndex, this.gate.limit);
      if (admission === Admission.Wait) return HEAD_WAITS;
      if (admission === Admission.Fail) {
        this.#failHead(slot, weights.failure);
        return HEAD_TAKEN;
      }
    }
    const keys = this.#keys;
    if (keys !== undefined) {
      // As for a keyed rate limit below: an ordered flatMap's later items wait for an
      // earlier one that waits for its key, which could otherwise find every slot taken.
      if (this.#manyInTurn && keys.held > 0) return HEAD_WAITS;
      const admission = keys.admit(head, this.#nextIndex, weights?.headWeight ?? 0);
      if (admission === KeyAdmission.Fail) {
        this.#failHead(slot, keys.failure);
        return HEAD_TAKEN;
      }
      if (admission === KeyAdmission.Parked) {
        this.#park();
        return HEAD_TAKEN;
      }
    }
    const tenants = this.#tenants;
    if (tenants !== undefined) {
      if (this.#manyInTurn && tenants.held > 0) return HEAD_WAITS;
      const admission = tenants.admit(head, this.#nextIndex, 0, !this.#slots.allBusy);
      if (admission === TenantAdmission.Wait) return HEAD_WAITS;
      if (admission === TenantAdmission.Fail) {
        this.#failHead(slot, tenants.failure);
        return HEAD_TAKEN;
      }
      if (admission === TenantAdmission.Parked) {
        this.#park();
        return HEAD_TAKEN;
      }
      if (admission === TenantAdmission.Shed) {
        this.#shedHead();
        return HEAD_TAKEN;
      }
    }
    const rate = this.#rate;
    if (rate !== undefined) {
      // An ordered flatMap's items hold their slots while they wait for their turn: a later
      // item must not start while an earlier one waits for its key's token, or it could take
      // the slot that earlier item needs. Its items pass the rate limit in input order.
      if (this.#manyInTurn && rate.held > 0) return HEAD_WAITS;
      const admission = rate.admit(head, this.#nextIndex, weights?.headWeight ?? 0);
      if (admission === RateAdmission.Wait) return HEAD_WAITS;
      if (admission === RateAdmission.Fail) {
        this.#failHead(slot, rate.failure);
        return HEAD_TAKEN;
      }
      if (admission === RateAdmission.Parked) {
        this.#park();
        return HEAD_TAKEN;
      }
    }
    return weights === undefined ? 0 : weights.consumed();
  }

  /**
   * The input's head waits in a line (its key's, or its key's bucket's): it takes its index
   * and its place in the stage now, and starts when its turn or token comes (and, weighed,
   * when its weight fits: its line holds no weight meanwhile).
   */
  #park(): void {
    const cursor = this.#cursor;
    this.#weights?.consumed();
    cursor.advanceTo(cursor.position + 1);
    this.#nextIndex++;
    this.#inside++;
    this.#run.mustYield(1);
  }

  /**
   * Starts the next held item whose token has come (keyed rate limits) in the peeked slot:
   * {@link HELD_STARTED}, {@link HELD_NONE} when none is ready, {@link HELD_BLOCKED} when the
   * next one's weight does not fit yet (it keeps its place; a settle frees weight). The item
   * already holds its index and its place in the stage.
   */
  #startHeld(): number {
    const rate = this.#rate!;
    const waiting: Waiting | undefined = rate.peekReady();
    if (waiting === undefined) return HELD_NONE;
    const weights = this.#weights;
    if (weights !== undefined && !weights.fits(waiting.weight, this.gate.limit)) {
      return HELD_BLOCKED;
    }
    rate.shiftReady();
    return this.#startWaiting(waiting.item, waiting.index, waiting.weight);
  }

  /**
   * Starts an item that left the input earlier, if one may start: a retry whose backoff is
   * over first, then a rate-limited item whose token came. One method, so a stage that holds
   * neither pays one field check per burst.
   */
  #startHeldOrRetry(): number {
    // A stage with tenants takes input while its slots are busy (into the tenants' queues).
    if (this.#slots.allBusy) return HELD_NONE;
    const retries = this.#guard?.waits;
    if (retries !== undefined && retries.size > 0) {
      const held = this.#startRetry(retries.peekReady());
      if (held !== HELD_NONE) return held;
    }
    if (this.#rate !== undefined) {
      const held = this.#startHeld();
      if (held !== HELD_NONE) return held;
    }
    if (this.#tenants !== undefined) {
      const waiting = this.#tenants.next();
      return waiting === undefined
        ? HELD_NONE
        : this.#startWaiting(waiting.item, waiting.index, waiting.weight);
    }
    return this.#keys === undefined || this.#keys.ready.length === 0
      ? HELD_NONE
      : this.#startKeyTurn(this.#keys);
  }

  /**
   * Drops the input's head: its tenant's queue is full (`overflow: "shed"`). It counts in and
   * as shed, and `onShed` hears of it (a throw there fails the run).
   */
  #shedHead(): void {
    const cursor = this.#cursor;
    const item = cursor.buffer[cursor.position];
    cursor.advanceTo(cursor.position + 1);
    this.#tenantShed++;
    this.#run.mustYield(1);
    const onShed = this.spec.onShed;
    if (onShed === undefined) return;
    try {
      onShed(item);
    } catch (error) {
      this.#run.fail(new Error(`Stage "${this.name}": its onShed threw`, { cause: error }));
    }
  }

  /**
   * Starts the oldest item whose key's turn came, as {@link #startHeld} does: it waits still
   * when its weight does not fit or the stage's bucket is empty, and joins its key's bucket's
   * line when that bucket is (a keyed rate limit).
   */
  #startKeyTurn(keys: KeyGate): number {
    const waiting = keys.ready[0]!;
    const weights = this.#weights;
    if (weights !== undefined && !weights.fits(waiting.weight, this.gate.limit)) {
      return HELD_BLOCKED;
    }
    const rate = this.#rate;
    if (rate !== undefined) {
      const admission = rate.admit(waiting.item, waiting.index, waiting.weight);
      if (admission === RateAdmission.Wait) return HELD_BLOCKED;
      keys.ready.shift();
      if (admission === RateAdmission.Parked) return HELD_STARTED;
      if (admission === RateAdmission.Fail) {
        const slot = this.#slots.peek();
        slot.ctx.index = waiting.index;
        const pending = this.#failedItem(
          waiting.item,
          waiting.index,
          rate.failure,
          slot.ctx,
          false,
        );
        if (pending !== undefined) this.#slots.holdUntil(slot, pending);
        return HELD_STARTED;
      }
    } else {
      keys.ready.shift();
    }
    return this.#startWaiting(waiting.item, waiting.index, waiting.weight);
  }

  /**
   * Starts the item that has backed off longest, if its time has come, as
   * {@link #startHeld} does for a rate-limited item: it already holds its index and its place.
   */
  #startRetry(waiting: RetryWait | undefined): number {
    if (waiting === undefined) return HELD_NONE;
    const weights = this.#weights;
    if (weights !== undefined && !weights.fits(waiting.weight, this.gate.limit)) {
      return HELD_BLOCKED;
    }
    this.#guard!.waits!.shift();
    return this.#startWaiting(waiting.item, waiting.index, waiting.weight);
  }

  /** Starts an item that left the input earlier (held or backing off) in the peeked slot. */
  #startWaiting(item: unknown, index: number, weight: number): number {
    const slot = this.#slots.peek();
    const ctx = slot.ctx;
    ctx.index = index;
    if (this.#maxInFlight === 0) this.#maxInFlight = 1;
    this.#run.mustYield(1);
    if (this.#kind === FLAT_MAP) {
      const expanding = expandMany(this, this.#fn, item, index, ctx);
      this.#awaitIn(slot, item, index, expanding, weight);
      return HELD_STARTED;
    }
    let result: unknown;
    try {
      result = this.#timesNext() ? this.#callTimed(item, ctx) : this.#fn(item, ctx);
    } catch (error) {
      const pending = this.#failedItem(item, index, error, ctx);
      if (pending !== undefined) this.#slots.holdUntil(slot, pending);
      return HELD_STARTED;
    }
    if (isThenable(result)) this.#awaitIn(slot, item, index, result, weight);
    else this.#completed(item, index, result);
    return HELD_STARTED;
  }

  /**
   * An item counted inside the stage went async in `slot`: it is in flight (its limiter and
   * its `weight` hear of it) until `pending` settles.
   */
  #awaitIn(
    slot: WorkerSlot,
    item: unknown,
    index: number,
    pending: PromiseLike<unknown>,
    weight: number,
  ): void {
    if (++this.#inFlight > this.#maxInFlight) this.#maxInFlight = this.#inFlight;
    this.#limit?.started(slot.ctx.slot, this.#inFlight);
    this.#weights?.started(slot.ctx.slot, weight);
    this.#slots.await(slot, item, index, pending);
  }

  /**
   * Fails the item at the head of the input before it starts (its weight was refused): it
   * takes its index, counts in, and goes through the error policy like a throw of its call.
   */
  #failHead(slot: WorkerSlot, error: unknown): void {
    const cursor = this.#cursor;
    const item = cursor.buffer[cursor.position];
    const index = this.#nextIndex++;
    const ctx = slot.ctx;
    ctx.index = index;
    cursor.advanceTo(cursor.position + 1);
    this.#weights?.consumed();
    this.#inside++;
    if (this.#maxInFlight === 0) this.#maxInFlight = 1;
    const pending = this.#failedItem(item, index, error, ctx, false);
    if (pending !== undefined) this.#slots.holdUntil(slot, pending);
    // An ordered flatMap's later items wait for this one's turn: it ends when it comes.
    if (this.#manyInTurn) {
      void Promise.resolve(this.waitTurn(index)).then((go) => {
        if (go) this.#endTurn(index);
      });
    }
    this.#run.mustYield(1);
  }

  /** @internal A slot became free after a failed item: dispatch again. */
  slotReleased(): void {
    this.#event();
  }

  /** Whether an item can start now; if not, arms the event (room or input) that ends the wait. */
  #canStart(full: boolean): boolean {
    if (full) {
      this.#needRoom();
      return false;
    }
    const cursor = this.#cursor;
    if (cursor.position < cursor.buffer.length) return true;
    if (cursor.tryRefill()) {
      // Once per input chunk: async items that settle in microtasks never let the event loop
      // turn, and a slot runs through a chunk without a dispatcher pass, so this is where the
      // work is counted (a check per item cost ~5% of S1 in lost inlining). No branch of its
      // own: see RunControl.holdTurn.
      const run = this.#run;
      run.mustYield(cursor.buffer.length);
      return !run.holdTurn(this.#eventHandler);
    }
    if (!cursor.ended) this.#needInput();
    return false;
  }

  /**
   * @internal An async item fulfilled; its slot is still taken (see {@link WorkerSlots}).
   * The commonest case (an unordered map, running) is written out and kept small: it is
   * optimized together with {@link nextInSlot} and the user's function, within V8's inlining
   * budget (bench/ S1 lost a fifth when rarer checks sat on this path).
   */
  itemSettled(slot: WorkerSlot, item: unknown, index: number, value: unknown): void {
    if (!this.#fastSettle) {
      this.#settledSlowly(slot, item, index, value);
      return;
    }
    this.#busy = true;
    this.#fastOut++;
    // OutputStaging.push, whose rare branch (schedule a turn) ran with the first value.
    this.push(value);
    // The settled item is still counted inside and in flight: the next one takes that over.
    if (this.#nextInSlot(slot)) {
      if (this.#again) this.#dispatch();
      else this.#busy = false;
      return;
    }
    this.#inFlight--;
    this.#inside--;
    this.#slots.free(slot);
    this.#dispatch();
  }

  /** An item settled off the fast path: a stage that stopped, filters, collects or orders. */
  #settledSlowly(slot: WorkerSlot, item: unknown, index: number, value: unknown): void {
    if (this.#finished) {
      // An abandoned call settled after the stage finished without it: drop its result.
      this.#slots.free(slot);
      return;
    }
    this.#busy = true;
    this.#limit?.finished(slot.ctx.slot, false);
    this.#weights?.finished(slot.ctx.slot);
    this.#inFlight--;
    if (this.#kind === FLAT_MAP) {
      this.#expanded(item, index, value as number);
      this.#slots.free(slot);
      this.#dispatch();
      return;
    }
    this.#completed(item, index, value);
    if (this.#settleThroughDispatch) {
      // The dispatcher starts the next item, where the limiter's gate and clock are read.
      this.#slots.free(slot);
      this.#dispatch();
      return;
    }
    // #nextInSlot hands a counted place inside and in flight to the next item: hold one.
    this.#inFlight++;
    this.#inside++;
    const settled = slot.ctx.index;
    if (this.#nextInSlot(slot)) {
      // The slot took the next item (or freed itself after its sync throw, which the
      // limiter then hears of as a start that is overwritten by the slot's next one).
      if (slot.ctx.index !== settled) this.#limit?.started(slot.ctx.slot, this.#inFlight);
      if (this.#again) this.#dispatch();
      else this.#busy = false;
      return;
    }
    this.#inFlight--;
    this.#inside--;
    this.#slots.free(slot);
    this.#dispatch();
  }

  /**
   * The busy stage's common case, without a full dispatcher pass: starts the next input item
   * in the slot whose item just settled. That item is still counted inside and in flight, and
   * a new async item takes its place in both counts: the commonest step changes no counter.
   * Returns false, leaving the settled item's counts and the slot to be released, when no item
   * is ready, there is no room, the gate's width went down, and after a sync result (the
   * dispatcher's burst takes over from there). Returns true when the slot is accounted for: it
   * holds the new item, or a sync throw freed it (and `#again` asks for a dispatch).
   */
  #nextInSlot(slot: WorkerSlot): boolean {
    const cursor = this.#cursor;
    const position = cursor.position;
    if (position >= cursor.buffer.length) return false;
    const gate = this.gate;
    // The slot is still taken: it may carry on while taken slots are within the width.
    if (gate.guarded && (gate.stopped || this.#slots.taken > gate.limit)) return false;
    // Room for one more once the settled item leaves (it is still counted in `#inside`).
    if (this.#inside + this.values.length + this.output.size > this.capacity) {
      return false;
    }
    // The timed call (metrics on) is left to the dispatcher's #timedBurst: written here, its
    // branch, first taken after V8 had optimized this path into the settle callback, cost a
    // deopt of the whole settle path early in every run (S1 with metrics, ~10%).
    if (this.#timedFn !== undefined && this.#untilTimed === 1) return false;
    const index = this.#nextIndex++;
    const item = cursor.buffer[position];
    const ctx = slot.ctx;
    ctx.index = index;
    cursor.advanceTo(position + 1);
    let result: unknown;
    try {
      if (this.#timedFn !== undefined) this.#untilTimed--;
      result = this.#fn(item, ctx);
    } catch (error) {
      // The new item keeps the counted place inside; the settled one leaves the flight.
      this.#inFlight--;
      this.#slots.free(slot);
      const pending = this.#failedItem(item, index, error, ctx);
      if (pending !== undefined) this.#slots.holdUntil(this.#slots.peek(), pending);
      this.#again = true;
      return true;
    }
    // isThenable written out, as in the sync burst.
    if (
      typeof result !== "object" ||
      result === null ||
      typeof (result as PromiseLike<unknown>).then !== "function"
    ) {
      // Counted on its own, so the settled item's counts are still the caller's to release.
      this.#inside++;
      this.#completed(item, index, result);
      return false;
    }
    this.#slots.reuse(slot, item, index, result as PromiseLike<unknown>);
    return true;
  }

  /**
   * @internal An async item rejected. The slot stays taken; WorkerSlots frees it and calls
   * {@link slotReleased} (at once, or once the returned dead-letter promise settles).
   */
  itemFailed(
    item: unknown,
    index: number,
    error: unknown,
    ctx: StageContext,
  ): Promise<void> | undefined {
    if (this.#finished) return undefined;
    this.#busy = true;
    this.#limit?.finished((ctx as CallContext).slot, true);
    this.#weights?.finished((ctx as CallContext).slot);
    this.#inFlight--;
    try {
      return this.#failedItem(item, index, error, ctx);
    } finally {
      if (this.#manyInTurn) this.#endTurn(index);
      this.#busy = false;
    }
  }

  /**
   * @internal An item's call ran past the stage's `timeout`: the item fails (or backs off
   * for a retry) now, while the call keeps its slot until it settles.
   */
  itemTimedOut(
    item: unknown,
    index: number,
    error: unknown,
    ctx: StageContext,
  ): Promise<void> | undefined {
    if (this.#finished) return undefined;
    this.#abandoned++;
    const pending = this.itemFailed(item, index, error, ctx);
    this.#event();
    return pending;
  }

  /**
   * An item's call failed: it backs off for another attempt (`retry`; it keeps its place in
   * the stage) or goes through the error policy. `attempted` is false for an item refused
   * before its call (its weight), which is never retried.
   */
  #failedItem(
    item: unknown,
    index: number,
    error: unknown,
    ctx: StageContext,
    attempted = true,
  ): Promise<void> | undefined {
    const guard = this.#guard;
    if (guard === undefined || !attempted || this.gate.stopped) {
      this.#leftFor(index);
      return applyErrorPolicy(this, this.#policy, item, index, error, ctx);
    }
    // A retry keeps its key's turn: the key's next item waits for its last attempt.
    if (guard.retry(item, index, error, this.#weightOf(item))) return undefined;
    this.#leftFor(index);
    return applyErrorPolicy(this, this.#policy, item, index, error, ctx, guard.takeHistory());
  }

  /** The weight an item takes again when it is retried. */
  #weightOf(item: unknown): number {
    const weigh = this.spec.weight;
    if (weigh === undefined) return 0;
    try {
      const weight = weigh(item);
      return Number.isFinite(weight) && weight >= 0 ? weight : 0;
    } catch {
      // It weighed this item once already; a weight function that throws now weighs nothing.
      return 0;
    }
  }

  /**
   * The item of `index` has left the stage for good (emitted, filtered, failed after its
   * retries): its key's and its tenant's next items may have their turn.
   */
  #leftFor(index: number): void {
    this.#keys?.release(index);
    this.#tenants?.release(index);
  }

  #completed(item: unknown, index: number, result: unknown): void {
    if (this.gate.stopped) {
      this.cancelledItem();
      return;
    }
    this.#leftFor(index);
    let value: unknown;
    switch (this.#kind) {
      case MAP:
        value = this.#tracked ? new Tracked(result, (item as Tracked).lineage) : result;
        break;
      case FILTER:
        if (!result) {
          this.#filtered++;
          if (this.#tracked) (item as Tracked).lineage.done();
          if (this.#ring === undefined) this.#freeInside();
          else this.#ring.settle(index, Slot.None, undefined);
          return;
        }
        value = item;
        break;
      case TAP:
        value = item;
        break;
      default:
        this.#out++;
        if (this.#tracked) (item as Tracked).lineage.done();
        if (this.#ring === undefined) this.#freeInside();
        else this.#ring.settle(index, Slot.None, undefined);
        return;
    }
    if (this.#collect) value = this.#tracked ? collectedOk(value as Tracked) : { ok: true, value };
    const ring = this.#ring;
    if (ring === undefined || index === ring.head) {
      // Unordered, or the head of an ordered stage (the commonest ordered case): emit now,
      // without the collector's callback. A head that was waiting frees what queued behind it.
      this.#inside--;
      this.#out++;
      this.#emitted++;
      if (this.values.push(value) >= this.chunk) this.flush();
      else if (!this.scheduled) this.schedule();
      if (ring !== undefined) ring.advancePastHead();
    } else {
      ring.store(index, Slot.Value, value);
    }
  }

  /** Accounts for a finished flatMap item: `count` values emitted, or -1 if it stopped. */
  #expanded(item: unknown, index: number, count: number): void {
    if (count < 0) this.cancelledItem();
    else {
      this.#leftFor(index);
      // The item itself is done once its values went on (each of them is counted apart).
      if (this.#tracked) (item as Tracked).lineage.done();
      if (count === 0) this.#filtered++;
      else this.#out++;
      this.#freeInside();
    }
    if (this.#manyInTurn) this.#endTurn(index);
  }

  /** Results of an ordered stage, in input order. */
  readonly #deliverInOrder = (state: Slot, value: unknown): void => {
    this.#inside--;
    if (state === Slot.Value) {
      this.#out++;
      this.#emit(value);
    } else if (state === Slot.Failure) {
      this.#emit(value);
    }
  };

  // FailureHost: what the error policy does to this stage.

  /** @internal */
  get stopping(): boolean {
    return this.gate.stopped;
  }

  /** @internal An item whose call ended because the stage stopped. */
  cancelledItem(): void {
    this.#cancelled++;
    this.#freeInside();
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
    if (this.#ring === undefined || this.gate.stopped) this.#freeInside();
    else this.#ring.settle(index, Slot.None, undefined);
  }

  /** @internal */
  failRun(error: StageError): void {
    this.#freeInside();
    this.#run.fail(error);
  }

  // ManyHost: what flatMap tasks do to this stage.

  /** @internal Whether this flatMap stage keeps input order. */
  get ordered(): boolean {
    return this.#manyInTurn;
  }

  /** @internal Ordered flatMap: true once it is item `index`'s turn, false if stopped first. */
  waitTurn(index: number): boolean | Promise<boolean> {
    if (this.gate.stopped) return false;
    if (index === this.#turn) return true;
    return new Promise<boolean>((resolve) => this.#turnWaiters.set(index, resolve));
  }

  #endTurn(index: number): void {
    if (index !== this.#turn) return;
    const next = ++this.#turn;
    const waiter = this.#turnWaiters.get(next);
    if (waiter !== undefined) {
      this.#turnWaiters.delete(next);
      waiter(true);
    }
  }

  #wakeTurnWaiters(): void {
    for (const wake of this.#turnWaiters.values()) wake(false);
    this.#turnWaiters.clear();
  }

  /** @internal Emits one flatMap value downstream, guarded like every other state change. */
  emit(value: unknown, item: unknown): void {
    let wrapped: unknown;
    if (this.#tracked) {
      const lineage = (item as Tracked).lineage;
      lineage.add(1);
      const tracked = new Tracked(value, lineage);
      wrapped = this.#collect ? collectedOk(tracked) : tracked;
    } else {
      wrapped = this.#collect ? { ok: true, value } : value;
    }
    if (this.#busy) {
      this.#emit(wrapped);
      return;
    }
    this.#busy = true;
    this.#emit(wrapped);
    this.#dispatch();
  }

  /** @internal Whether a flatMap may emit one more value now; false once the stage stopped. */
  roomForOne(): boolean | Promise<boolean> {
    if (this.gate.stopped) return false;
    if (this.values.length + this.output.size < this.spec.buffer) return true;
    this.flush();
    this.#armSpace();
    return new Promise<void>((resolve) => this.#roomWaiters.push(resolve)).then(() =>
      this.roomForOne(),
    );
  }

  #emit(value: unknown): void {
    this.#emitted++;
    this.push(value);
  }

  /** A partial chunk waited a turn: hand it over, guarded like every other state change. */
  protected override onTurn(): void {
    if (this.#busy) {
      this.flush();
      return;
    }
    this.#busy = true;
    this.flush();
    this.#dispatch();
  }

  #freeInside(): void {
    this.#inside--;
    if (this.#roomWaiters.length > 0) this.#wakeRoomWaiters();
  }

  /** The stage is full: hand over what downstream needs and wait for it to free room. */
  #needRoom(): void {
    // Flushing a few staged values into a channel that still holds plenty only makes
    // small chunks; downstream will free room (and tell us) without them.
    if (this.output.size <= this.spec.buffer >> 1) this.flush();
    this.#armSpace();
  }

  #needInput(): void {
    if (this.#inputArmed) return;
    this.#inputArmed = true;
    this.#cursor.onData(this.#onInput);
  }

  #armSpace(): void {
    if (this.#spaceArmed) return;
    this.#spaceArmed = true;
    this.output.onSpace(this.#onSpace);
  }

  readonly #onInput = (): void => {
    this.#inputArmed = false;
    this.#event();
  };

  readonly #onSpace = (): void => {
    this.#spaceArmed = false;
    this.#wakeRoomWaiters();
    this.#event();
  };

  readonly #endGrace = (): void => {
    this.#grace = undefined;
    this.#graceOver = true;
    this.#event();
  };

  #wakeRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    if (waiters.length === 0) return;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  #finish(): void {
    this.#finished = true;
    this.#limit?.unwatch();
    this.#guard?.finish();
    this.#slots.stopTimeouts();
    if (this.#grace !== undefined) clearImmediate(this.#grace);
    if (this.gate.stopped) {
      if (this.#ring !== undefined) this.#cancelled += this.#ring.countWaiting();
      // Calls that ignored their aborted signal: the stage does not wait for them.
      this.#abandoned += this.#inFlight;
      this.#cancelled += this.#inFlight;
      this.#inFlight = 0;
    }
    // Staged results go downstream even when stopping, so the next stage (or the run)
    // counts them as discarded rather than losing track of them.
    this.flush();
    this.cancelTurn();
    this.output.close();
    // The tenants' state (and its sweep timer) lives no longer than the stage.
    this.#tenants?.clear();
    const resources = this.#resources;
    if (resources === undefined) {
      this.#resolveDone();
      return;
    }
    // The stage is done once its resources are let go (on abort too); a disposal that throws
    // fails a run that would have completed.
    void resources.dispose().then((error) => {
      if (error !== undefined) this.#run.cleanupFailed(error);
      this.#resolveDone();
    });
  }
}
