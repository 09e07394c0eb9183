import {
  type ResourceLimits,
  type TransferListItem,
  Worker,
  type WorkerOptions,
} from "node:worker_threads";
import { WorkerInitError } from "../errors/worker-init-error.js";
import { beside } from "../internal/beside.js";
import {
  type BatchMessage,
  CLAIM_SLOTS,
  type DoneMessage,
  type FromThread,
  PROGRESS_BYTES,
  type ReadyMessage,
  type UnreadableMessage,
} from "./protocol.js";
import { recordToError } from "./thread-error.js";
import { tsxApiUrl } from "./typescript-loader.js";
import { isTypeScriptUrl } from "./typescript-url.js";

/** Why a batch's thread went away before answering. */
export type LostCause =
  /**
   * The thread died on its own (threw at top level, exited, ran out of memory). `running`
   * names the sync call under way then, if any: the one suspect among the batches' items.
   */
  | {
      readonly reason: "crash";
      readonly exitCode: number;
      readonly error: unknown;
      readonly running: { readonly id: number; readonly position: number } | undefined;
    }
  /** The call at `position` ran past the timeout; the thread was terminated for it. */
  | { readonly reason: "timeout"; readonly position: number; readonly elapsedMs: number }
  /** Another batch's call timed out on the same thread; this one never ran to its end. */
  | { readonly reason: "evicted" }
  /** The pool was closed while the batch was held: its stage cannot go on. */
  | { readonly reason: "closed" };

/** Who sent a batch, and hears how it ended. */
export interface BatchOwner {
  batchDone(job: BatchJob, message: DoneMessage): void;
  batchLost(job: BatchJob, cause: LostCause): void;
  /** The thread could not read the batch's message: none of its items ran. */
  batchUnreadable(job: BatchJob, error: Error): void;
  /** The batch's module failed to start on a (replacement) thread. */
  initFailed(job: BatchJob, error: WorkerInitError): void;
}

/** A batch on its way to, or running on, a thread. */
export interface BatchJob {
  readonly message: BatchMessage;
  readonly owner: BatchOwner;
  readonly transfer: readonly TransferListItem[] | undefined;
  /**
   * The batch goes only to a thread holding none, and no other goes to that thread while it
   * runs: a crash suspect's second try, whose death must not take another batch with it.
   */
  readonly alone?: boolean;
}

/** One module made ready (or failing) on one thread. */
interface ModuleStart {
  readonly url: string;
  readonly waiters: ((error: WorkerInitError | undefined) => void)[];
  error: WorkerInitError | undefined;
  ready: boolean;
}

/** What a pool thread tells its pool. */
export interface ThreadEvents {
  /** A batch answered: the thread has room for another. */
  freed(thread: PoolThread): void;
  /** The thread is gone (crashed, or terminated by the pool): replace it unless closing. */
  exited(thread: PoolThread): void;
  /** Whether a stage waits for room in the pool (then a thread finishing a batch is owed). */
  waiting(): boolean;
}

/**
 * One worker thread of a pool: the batches it holds (in send order), the modules started on
 * it, and its progress record (which call of which batch runs now, since when), which the
 * pool's watchdog reads to stop a call that ran past its timeout.
 */
export class PoolThread {
  /** The thread's slot in its pool, from 0; a replacement takes the slot of the thread it replaces. */
  readonly number: number;
  /** The worker's `threadId` (a replacement has a new one). */
  readonly threadId: number;
  readonly batches = new Map<number, BatchJob>();
  /** Batches whose stage stopped: still running here, their answers dropped. */
  readonly #forgotten = new Set<number>();
  /** Ids of the batches here that must be alone on the thread ({@link BatchJob.alone}). */
  readonly #alone = new Set<number>();
  readonly #worker: Worker;
  readonly #startedAt: Float64Array;
  readonly #current: Int32Array;
  /** One claim cursor per slot: how far the thread has claimed the batch in the slot. */
  readonly #claims = new Int32Array(new SharedArrayBuffer(4 * CLAIM_SLOTS));
  /** The batch id in each claim slot (0: free). */
  readonly #slotOf = new Int32Array(CLAIM_SLOTS);
  readonly #modules = new Map<number, ModuleStart>();
  readonly #events: ThreadEvents;
  /** Messages posted to the thread so far (the thread counts what it receives alike). */
  #posted = 0;
  /** What the batch and init messages still unanswered were, by their number. */
  readonly #sentAt = new Map<number, { batch: number } | { module: number }>();
  /** The number of each held batch's message. */
  readonly #seqOf = new Map<number, number>();
  /** Set when the pool terminates the thread: its exit is then not a crash. */
  #killed: "timeout" | "close" | undefined;
  #lastError: unknown;
  /** A message from the thread could not be read: it is being terminated, as a crash. */
  #unreadableReply = false;
  #referenced = false;
  /** Set once the thread has exited. */
  gone = false;
  readonly exited: Promise<void>;

  /** Batches the thread is working through: held ones and forgotten ones. */
  get load(): number {
    return this.batches.size + this.#forgotten.size;
  }

  /** Whether the thread runs a batch that must be alone on it (held or forgotten). */
  get isolated(): boolean {
    return this.#alone.size > 0;
  }

  /**
   * Stops waiting for a batch: its answer will be dropped. The thread still finishes it (it
   * counts in {@link load}), but no longer keeps the process alive for it.
   */
  forget(id: number): void {
    if (!this.batches.delete(id)) return;
    this.#forgotten.add(id);
    this.#updateRef();
  }

  /** Whether the thread takes batches: not exited, and not being terminated. */
  get usable(): boolean {
    return !this.gone && this.#killed === undefined && !this.#unreadableReply;
  }

  constructor(number: number, resourceLimits: ResourceLimits | undefined, events: ThreadEvents) {
    this.number = number;
    this.#events = events;
    const progress = new SharedArrayBuffer(PROGRESS_BYTES);
    this.#startedAt = new Float64Array(progress, 0, 1);
    this.#current = new Int32Array(progress, 8, 2);
    this.#worker = startWorker({
      eval: entry.eval,
      workerData: { thread: number, progress, claims: this.#claims.buffer },
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
    });
    this.threadId = this.#worker.threadId;
    this.#worker.on("message", (message: FromThread) => {
      if (message.t === "done") this.#done(message);
      else if (message.t === "ready") this.#ready(message);
      else if (message.t === "unreadable") this.#unreadable(message);
    });
    this.#worker.on("error", (error) => {
      this.#lastError = error;
    });
    // A message from the thread that the main thread cannot read (an ArrayBuffer result too
    // large to allocate here, say) would leave its batch unanswered and the run waiting
    // forever: which batch it answered is unknown, so the thread is treated as crashed. Each
    // item it held is retried once on a fresh thread, then fails with this as the cause.
    this.#worker.on("messageerror", (error: Error) => {
      if (this.#killed !== undefined || this.gone || this.#unreadableReply) return;
      this.#unreadableReply = true;
      this.#lastError = new Error(
        `a message from the thread could not be read on the main thread: ${error.message}`,
        { cause: error },
      );
      this.#holdUntilExit();
      void this.#worker.terminate();
    });
    this.exited = new Promise((resolve) => {
      this.#worker.once("exit", (code) => {
        this.#exit(code);
        resolve();
      });
    });
    // An idle thread does not keep the process alive; one holding batches does. Unref'd
    // only now: on Node 20 a "message" listener added after `unref()` refs the thread's
    // port again, and a thread that never took a batch (a pool never used, a replacement)
    // then held the process open forever.
    this.#worker.unref();
  }

  /** Starts `module` on this thread (once); resolves with its init error, if any. */
  start(module: number, url: string): Promise<WorkerInitError | undefined> {
    let start = this.#modules.get(module);
    if (start === undefined) {
      start = { url, waiters: [], error: undefined, ready: false };
      this.#modules.set(module, start);
      this.#worker.postMessage({ t: "init", module, url });
      this.#sentAt.set(++this.#posted, { module });
    }
    if (start.ready || start.error !== undefined) return Promise.resolve(start.error);
    this.#updateRef();
    const waiting = start;
    return new Promise((resolve) => waiting.waiters.push(resolve));
  }

  /** Re-reads whether the thread owes an answer (the pool's waiters changed). */
  refreshRef(): void {
    if (!this.gone && this.#killed === undefined) this.#updateRef();
  }

  /** A thread being terminated keeps the process alive until it has exited (and is replaced). */
  #holdUntilExit(): void {
    this.#referenced = true;
    this.#worker.ref();
  }

  /**
   * Keeps the process alive while the thread owes an answer (a module start, a batch, or a
   * forgotten batch a waiting stage needs the room of), and lets it exit while idle.
   */
  #updateRef(): void {
    // A thread being terminated for an unreadable answer is held until it exits (and is
    // replaced): its lost batches are retried only then.
    if (this.#unreadableReply) return;
    // A forgotten batch is owed only while a stage waits for the room it will free.
    let owed = this.batches.size > 0 || (this.#forgotten.size > 0 && this.#events.waiting());
    if (!owed) {
      for (const start of this.#modules.values()) {
        if (!start.ready && start.error === undefined) owed = true;
      }
    }
    if (owed === this.#referenced) return;
    this.#referenced = owed;
    if (owed) this.#worker.ref();
    else this.#worker.unref();
  }

  /** Sends a batch; the module must have been started (messages keep their order). */
  send(job: BatchJob): void {
    const message = job.message;
    const start = this.#modules.get(message.module);
    if (start?.error !== undefined) {
      job.owner.initFailed(job, start.error);
      return;
    }
    // A free claim slot lets the stage take the batch's tail later (see steal()).
    const slot = this.#slotOf.indexOf(0);
    let sent = message;
    if (slot >= 0) {
      Atomics.store(this.#claims, slot, 0);
      sent = { ...message, claim: slot };
    }
    // Sent first: an item that cannot be cloned throws here, and nothing is recorded.
    this.#worker.postMessage(sent, job.transfer);
    const seq = ++this.#posted;
    this.#sentAt.set(seq, { batch: message.id });
    this.#seqOf.set(message.id, seq);
    if (slot >= 0) this.#slotOf[slot] = message.id;
    this.batches.set(message.id, job);
    if (job.alone === true) this.#alone.add(message.id);
    if (!this.#referenced) this.#updateRef();
  }

  /**
   * Whether a message posted before the batch `id` (a batch or a module start, of any stage)
   * is still unanswered: the batch waits behind it, not yet being read.
   */
  waitsBehind(id: number): boolean {
    const seq = this.#seqOf.get(id);
    if (seq === undefined) return false;
    for (const earlier of this.#sentAt.keys()) if (earlier < seq) return true;
    return false;
  }

  /**
   * Takes the positions of a held batch that its thread has not begun (its tail, behind a
   * call that runs long): the thread will run none of them. Resolves to how many positions
   * the thread keeps (it ran or runs them); `undefined` when the batch cannot be split (no
   * claim slot, or not held here).
   */
  steal(id: number, count: number): number | undefined {
    if (this.gone || !this.batches.has(id)) return undefined;
    const slot = this.#slotOf.indexOf(id);
    if (slot < 0) return undefined;
    return Math.min(count, Atomics.exchange(this.#claims, slot, count));
  }

  /** Frees the claim slot, and the message number, of a batch that answered or was lost. */
  #freeSlot(id: number): void {
    const slot = this.#slotOf.indexOf(id);
    if (slot >= 0) this.#slotOf[slot] = 0;
    const seq = this.#seqOf.get(id);
    if (seq !== undefined) {
      this.#seqOf.delete(id);
      this.#sentAt.delete(seq);
    }
  }

  /** Asks the thread to abort the signals of a batch's calls. */
  cancel(id: number, reason: unknown): void {
    if (this.gone) return;
    let sent: unknown = reason;
    try {
      structuredClone(reason);
    } catch {
      sent = String(reason);
    }
    this.#worker.postMessage({ t: "cancel", id, reason: sent });
    this.#posted++;
  }

  /**
   * The call running now past `timeout`, if any: which batch, which position, for how long.
   * Read from the progress record the thread writes before each call of a timed batch.
   */
  overdue(now: number): { job: BatchJob; position: number; elapsedMs: number } | undefined {
    const id = Atomics.load(this.#current, 0);
    if (id === 0) return undefined;
    const job = this.batches.get(id);
    if (job === undefined || job.message.timeout <= 0) return undefined;
    // The call's start is written just before its batch id: a zero start is not yet written.
    if (this.#startedAt[0] === 0) return undefined;
    const elapsedMs = now - this.#startedAt[0]!;
    if (elapsedMs <= job.message.timeout) return undefined;
    return { job, position: Atomics.load(this.#current, 1), elapsedMs };
  }

  /** Terminates the thread for a call past its timeout: its batches are lost as such. */
  killForTimeout(job: BatchJob, position: number, elapsedMs: number): void {
    if (this.#killed !== undefined || this.gone) return;
    this.#killed = "timeout";
    this.#holdUntilExit();
    const batches = [...this.batches.values()];
    this.batches.clear();
    this.#forgotten.clear();
    void this.#worker.terminate();
    for (const lost of batches) {
      lost.owner.batchLost(
        lost,
        lost === job ? { reason: "timeout", position, elapsedMs } : { reason: "evicted" },
      );
    }
  }

  /**
   * Terminates the thread (its pool is closing); the owners of the batches it held hear that
   * they are lost to the close.
   */
  terminate(): Promise<void> {
    if (this.#killed === undefined) this.#killed = "close";
    this.#holdUntilExit();
    const held = [...this.batches.values()];
    this.batches.clear();
    for (const job of held) job.owner.batchLost(job, { reason: "closed" });
    this.#forgotten.clear();
    void this.#worker.terminate();
    return this.exited;
  }

  #done(message: DoneMessage): void {
    this.#letGo(message.id, (job) => job.owner.batchDone(job, message));
  }

  /**
   * Lets go of batch `id`, which the thread is done with: its room is free again, and its
   * owner hears how it ended through `tell`, unless the stage had forgotten it.
   */
  #letGo(id: number, tell: (job: BatchJob) => void): void {
    this.#freeSlot(id);
    this.#alone.delete(id);
    if (this.#forgotten.delete(id)) {
      this.#updateRef();
      this.#events.freed(this);
      return;
    }
    const job = this.batches.get(id);
    if (job === undefined) return;
    this.batches.delete(id);
    if (this.batches.size === 0) this.#updateRef();
    // The stages waiting for room hear first, then the batch's own: told first, the owner
    // refilled the room at once, and on a shared pool a busy stage starved the others.
    this.#events.freed(this);
    tell(job);
  }

  /**
   * A message the thread could not read: a batch's (its owner fails its items, none of which
   * ran) or a module start's (the module failed to start here). A cancel's is of no matter.
   */
  #unreadable(message: UnreadableMessage): void {
    const sent = this.#sentAt.get(message.seq);
    if (sent === undefined) return;
    this.#sentAt.delete(message.seq);
    if ("module" in sent) {
      this.#ready({ t: "ready", module: sent.module, error: message.error });
      return;
    }
    const cause = recordToError(message.error);
    const error = new Error(
      `the thread could not read the message: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.#letGo(sent.batch, (job) => job.owner.batchUnreadable(job, error));
  }

  #ready(message: ReadyMessage): void {
    for (const [seq, sent] of this.#sentAt) {
      if ("module" in sent && sent.module === message.module) this.#sentAt.delete(seq);
    }
    const start = this.#modules.get(message.module);
    if (start === undefined) return;
    if (message.error === undefined) start.ready = true;
    else start.error = new WorkerInitError(start.url, this.number, recordToError(message.error));
    for (const wake of start.waiters) wake(start.error);
    start.waiters.length = 0;
    this.#updateRef();
    if (start.error === undefined) return;
    // Batches sent behind a failed init never run: their owners fail them.
    for (const [id, job] of this.batches) {
      if (job.message.module !== message.module) continue;
      this.batches.delete(id);
      this.#alone.delete(id);
      job.owner.initFailed(job, start.error);
    }
  }

  #exit(code: number): void {
    this.gone = true;
    const batches = [...this.batches.values()];
    this.batches.clear();
    this.#forgotten.clear();
    if (this.#killed === undefined) {
      // One cause for every batch the thread held: a stage counts one death once.
      const id = Atomics.load(this.#current, 0);
      const running = id === 0 ? undefined : { id, position: Atomics.load(this.#current, 1) };
      const cause = { reason: "crash", exitCode: code, error: this.#lastError, running } as const;
      for (const job of batches) job.owner.batchLost(job, cause);
    }
    // A module whose init never answered on the gone thread: its waiters hear of it.
    for (const start of this.#modules.values()) {
      if (start.ready || start.error !== undefined) continue;
      start.error = new WorkerInitError(
        start.url,
        this.number,
        this.#lastError ?? new Error(`the thread exited with code ${code} before it was ready`),
      );
      for (const wake of start.waiters) wake(start.error);
      start.waiters.length = 0;
    }
    this.#events.exited(this);
  }
}

/**
 * The code each thread runs: `worker-main.js` beside this module, or in `threads/` when this
 * code was bundled into a chunk (the built package). When sluice itself runs from its
 * TypeScript sources (under tsx), a small script registers tsx in the thread first, then
 * loads `worker-main.ts` (Node 20 does not pass loader hooks on).
 */
function workerEntry(): { entry: URL | string; eval: boolean } {
  if (!isTypeScriptUrl(import.meta.url)) {
    return {
      entry: beside(import.meta.url, ["./worker-main.js", "../threads/worker-main.js"]),
      eval: false,
    };
  }
  const main = new URL("./worker-main.ts", import.meta.url).href;
  const api = tsxApiUrl(import.meta.url);
  if (api === undefined) return { entry: new URL(main), eval: false };
  const script = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(main)}); });`;
  return { entry: script, eval: true };
}

const entry = workerEntry();

/**
 * The process's Node options for its threads: `undefined` (the thread inherits them all, V8
 * flags such as `--trace-gc` included) unless one must go. Options about the main script's
 * own input (`--eval`, `--print`, `--input-type`) must, as a thread started from a file
 * refuses them; loaders such as `--import tsx` stay, so a `.ts` worker module loads as it
 * does in the main thread.
 */
function inheritedExecArgv(): string[] | undefined {
  const kept: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (/^(-e|-p|--eval|--print|--input-type)$/.test(arg))
      i++; // and its value
    else if (!/^--(eval|print|input-type)=/.test(arg)) kept.push(arg);
  }
  return kept.length === argv.length ? undefined : kept;
}

/** What the threads are started with; loses the flags a thread refused, once. */
let execArgv = inheritedExecArgv();

/**
 * Starts a thread. An explicit `execArgv` must hold only per-thread options: V8 and
 * per-process flags (`--trace-gc`, `--max-old-space-size`, `--title`) that the thread would
 * have inherited unasked are refused by name (`ERR_WORKER_INVALID_EXEC_ARGV`); those are
 * dropped, the rest kept, and the thread started again.
 */
function startWorker(options: WorkerOptions): Worker {
  try {
    return new Worker(entry.entry, { ...options, execArgv });
  } catch (error) {
    const refused = refusedFlags(error);
    if (execArgv === undefined || refused === undefined) throw error;
    execArgv = withoutFlags(execArgv, refused);
    return new Worker(entry.entry, { ...options, execArgv });
  }
}

/** The flags an `ERR_WORKER_INVALID_EXEC_ARGV` names, without their values. */
function refusedFlags(error: unknown): Set<string> | undefined {
  if ((error as { code?: unknown } | null)?.code !== "ERR_WORKER_INVALID_EXEC_ARGV") {
    return undefined;
  }
  const list = /flags: (.*)$/.exec((error as Error).message)?.[1];
  if (list === undefined) return undefined;
  return new Set(list.split(", ").map((flag) => flag.split("=")[0]!));
}

/** `argv` without `flags` (as `--flag`, `--flag=value` or `--flag value`). */
function withoutFlags(argv: readonly string[], flags: ReadonlySet<string>): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.split("=")[0]!;
    if (!flags.has(name)) kept.push(arg);
    else if (!arg.includes("=") && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("-")) {
      i++; // its value
    }
  }
  return kept;
}
