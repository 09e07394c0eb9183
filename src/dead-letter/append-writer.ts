import { type FileHandle, open } from "node:fs/promises";
import { DeadLetterFileError } from "../errors/dead-letter-file-error.js";

/** How the writer groups and keeps its file. */
export interface AppendWriterSettings {
  /** Ms a batch gathers lines after its first one before it is written; 0: the next turn. */
  readonly flushEvery: number;
  /** Whether each batch is `fdatasync`ed before its lines' promises resolve. */
  readonly fsync: boolean;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Appends lines to one file in batches: one `write` (looped only on a short write) per batch,
 * through a file handle opened with flag `"a"`. A batch is written `flushEvery` ms after its
 * first line, or as soon as the write before it has finished, whichever is later: under load,
 * the lines that arrive during one write go out together in the next (group commit), so
 * writes stay few without a timer adding latency.
 *
 * Every `append()` resolves once its batch is written (handed to the OS; also synced with
 * `fsync`) and rejects with a {@link DeadLetterFileError} naming the file when opening or
 * writing fails; the next batch tries again. When no line waits after a write, the handle is
 * closed before the batch's promises resolve: whoever waits on them (a run) settles with the
 * file shut, and no handle, request or timer is left behind; a quiet file can be moved or
 * deleted. Under load the handle stays open from batch to batch.
 *
 * Bounded: the pending lines are those whose callers wait on them, at most one per item a
 * stage holds. Cost: one string per line; one Buffer, one write and one promise per batch,
 * and an open and a close per run of back-to-back batches (lines that fail one at a time,
 * each after the last was written, pay all three: about 170 µs a line instead of 80 µs).
 */
export class AppendWriter {
  readonly path: string;
  readonly #settings: AppendWriterSettings;
  #lines: string[] = [];
  #waiters: Waiter[] = [];
  #written = 0;
  #handle: FileHandle | undefined = undefined;
  /** The write loop, while it runs; `#due` asks it for one more batch. */
  #loop: Promise<void> | undefined = undefined;
  #due = false;
  /** Cancels the pending batch's flush timer. */
  #cancelFlush: (() => void) | undefined = undefined;

  constructor(path: string, settings: AppendWriterSettings) {
    this.path = path;
    this.#settings = settings;
  }

  /** Lines written so far. */
  get written(): number {
    return this.#written;
  }

  /** Queues `line` (with its `\n`); resolves once it is written. */
  append(line: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#lines.push(line);
      this.#waiters.push({ resolve, reject });
      if (this.#lines.length === 1) this.#schedule();
    });
  }

  /** Writes what is queued, then closes the handle. A later line opens the file again. */
  async close(): Promise<void> {
    if (this.#lines.length > 0) {
      this.#cancelFlush?.();
      this.#cancelFlush = undefined;
      this.#kick();
    }
    if (this.#loop !== undefined) await this.#loop;
    // A line queued during that write has a batch of its own coming, which closes the file.
    if (this.#loop === undefined && this.#lines.length === 0) await this.#release();
  }

  #schedule(): void {
    const due = (): void => {
      this.#cancelFlush = undefined;
      this.#kick();
    };
    // setImmediate, not a microtask: the failures of a whole turn (a chunk of items) gather.
    if (this.#settings.flushEvery > 0) {
      const timer = setTimeout(due, this.#settings.flushEvery);
      this.#cancelFlush = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(due);
      this.#cancelFlush = () => clearImmediate(immediate);
    }
  }

  /** The queued lines are due: starts the write loop, or asks the running one for a batch more. */
  #kick(): void {
    this.#due = true;
    this.#loop ??= this.#writeLoop();
  }

  async #writeLoop(): Promise<void> {
    // Yield first, so `#kick` has stored this loop before it can end and clear `#loop`.
    await undefined;
    while (this.#due && this.#lines.length > 0) {
      this.#due = false;
      const lines = this.#lines;
      const waiters = this.#waiters;
      this.#lines = [];
      this.#waiters = [];
      try {
        await this.#write(lines.join(""));
        this.#written += lines.length;
        // Nothing more to write: close before the callers hear, so the file is shut when the
        // run that waits on them settles. Lines that came meanwhile keep it open for theirs.
        if (this.#lines.length === 0) await this.#release();
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
      // Lines that came during the write were scheduled by the first of them; under load its
      // timer has fired already (`#due`), and their batch goes out now.
    }
    // The exit check above and this reset run in one synchronous step: a `#kick` either came
    // before it (and the loop went round again) or comes after it (and starts a new loop).
    this.#loop = undefined;
  }

  async #write(text: string): Promise<void> {
    if (this.#handle === undefined) {
      try {
        this.#handle = await open(this.path, "a");
      } catch (error) {
        throw new DeadLetterFileError(
          `Cannot open the dead-letter file ${this.path} for appending`,
          this.path,
          undefined,
          error,
        );
      }
    }
    const handle = this.#handle;
    const bytes = Buffer.from(text, "utf8");
    try {
      let offset = 0;
      // A regular file takes the whole buffer at once; a short write (a full disk, a pipe)
      // continues where it stopped, so the batch stays one run of whole lines.
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
      if (this.#settings.fsync) await handle.datasync();
    } catch (error) {
      // Let the next batch start from a fresh handle.
      await this.#release();
      throw new DeadLetterFileError(
        `Cannot append to the dead-letter file ${this.path}`,
        this.path,
        undefined,
        error,
      );
    }
  }

  async #release(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    // Nothing is left to lose once the lines are written: a failing close is not reported.
    await handle?.close().catch(() => undefined);
  }
}
