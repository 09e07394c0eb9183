import type { SourceContext } from "../contract/types.js";
import { claimOnce, openWebStream } from "./open-source.js";
import { isWebStream } from "./web-stream.js";

/** One input of a merge, open: its iterator and its pull under way. */
interface Open {
  readonly iterator: AsyncIterator<unknown> | Iterator<unknown>;
  /** Ends a Node `Readable` input at once (its iterator waits for a pending read first). */
  readonly destroy: (() => void) | undefined;
  /** The pull under way, if any. */
  next: Promise<Pulled> | undefined;
}

interface Pulled {
  readonly input: Open;
  readonly result: IteratorResult<unknown>;
}

/** What an input turns into once opened: something to iterate. */
export type Opened = AsyncIterable<unknown> | Iterable<unknown>;

/**
 * Many inputs read as one async iterator: each input has at most one pull under way, and
 * items are taken from the inputs that have one ready in turn (round robin), so a fast input
 * cannot starve a slow one and no input is read further ahead than one item. An input that
 * throws ends the merge with its error (the others are closed); `return()` closes them all.
 */
export class MergedInputs implements AsyncIterator<unknown> {
  #inputs: Open[];
  #turn = 0;
  #closed = false;

  /**
   * `opened` are the inputs as this run opened them (a pipeline's run, a function's result,
   * a stream): each is read through an iterator of its own from here on.
   *
   * @throws {InvalidOptionError} when an input is a generator object or a stream that an
   *   earlier run read already (`merge.inputs[i]`), or a locked web stream.
   */
  constructor(opened: readonly Opened[], ctx: SourceContext) {
    this.#inputs = opened.map((input, i) => {
      const path = `merge.inputs[${i}]`;
      if (isWebStream(input)) {
        return {
          iterator: openWebStream(input, ctx.signal, path).iterator,
          destroy: undefined,
          next: undefined,
        };
      }
      const destroy = destroyerOf(input);
      const iterator =
        typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"
          ? (input as AsyncIterable<unknown>)[Symbol.asyncIterator]()
          : (input as Iterable<unknown>)[Symbol.iterator]();
      // A generator object or a Readable is read up by one run: a second would see nothing.
      claimOnce(input, (iterator as unknown) === input || destroy !== undefined, path);
      return { iterator, destroy, next: undefined };
    });
  }

  async next(): Promise<IteratorResult<unknown>> {
    const inputs = this.#inputs!;
    while (inputs.length > 0 && !this.#closed) {
      const first = this.#turn++ % inputs.length;
      const pulls: Promise<Pulled>[] = [];
      for (let i = 0; i < inputs.length; i++)
        pulls.push(pull(inputs[(first + i) % inputs.length]!));
      let pulled: Pulled;
      try {
        pulled = await Promise.race(pulls);
      } catch (error) {
        await this.return();
        throw error;
      }
      pulled.input.next = undefined;
      if (pulled.result.done !== true) return pulled.result;
      inputs.splice(inputs.indexOf(pulled.input), 1);
    }
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<unknown>> {
    if (this.#closed) return { done: true, value: undefined };
    this.#closed = true;
    const inputs = this.#inputs;
    this.#inputs = [];
    const closing = await Promise.allSettled(
      inputs.map((input) => {
        input.destroy?.();
        return input.iterator.return?.(undefined);
      }),
    );
    const failed = closing.find((result) => result.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    return { done: true, value: undefined };
  }
}

/** The input's pull under way, started if none is. */
function pull(input: Open): Promise<Pulled> {
  return (input.next ??= Promise.resolve(input.iterator.next()).then((result) => ({
    input,
    result,
  })));
}

function destroyerOf(opened: Opened): (() => void) | undefined {
  const stream = opened as { read?: unknown; destroy?: unknown };
  if (typeof stream.read !== "function" || typeof stream.destroy !== "function") return undefined;
  return () => (stream.destroy as () => void).call(stream);
}
