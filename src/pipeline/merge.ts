import type { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";
import { isAcknowledged } from "../contract/acknowledged.js";
import type { Source, SourceContext } from "../contract/types.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { invalid } from "../internal/validate.js";
import { MergedInputs, type Opened } from "../source/merged-inputs.js";
import { checkSource } from "../source/open-source.js";
import { defaults } from "./defaults.js";
import { Pipeline } from "./pipeline.js";

/** What `merge()` takes: anything `from()` takes, or a pipeline (its run's output). */
export type MergeInput =
  | Source<unknown>
  | ReadableStream<unknown>
  | Readable
  | Pipeline<unknown>
  | ((ctx: SourceContext) => ReadableStream<unknown>);

/** The item type of one `merge()` input. */
export type MergedItem<S> =
  S extends Pipeline<infer T>
    ? T
    : S extends ReadableStream<infer T>
      ? T
      : S extends AsyncIterable<infer T>
        ? T
        : S extends Iterable<infer T>
          ? T
          : S extends (ctx: SourceContext) => infer R
            ? MergedItem<R>
            : never;

/**
 * One pipeline over many inputs: sources (anything `from()` takes) and pipelines (each run
 * as part of the merged run, its output merged in). Fair and bounded: each input has at
 * most one item pulled ahead, and the inputs with an item ready are taken from in turn, so a
 * fast input does not starve a slow one; the merge ends when every input has ended. Each run
 * of the merged pipeline opens every input afresh (a pipeline input runs again; a generator
 * object or a stream can be read by one run only: pass a function for more). A failing input
 * fails the run (`SourceError`, its error as `cause`) and closes the others; cancelling the
 * run cancels the pipelines inside it and closes every input. A pipeline input's own stages
 * are counted in its run, not in the merged run's summary.
 *
 * @example
 * const events = merge(kafkaLike, from(files).flatMap(readLines), webStream);
 * await events.map(parse).forEach(store).run();
 * @throws {InvalidOptionError} when there is no input, or an input is none of these (or an
 *   acknowledged broker source, which only `from()` may read).
 */
export function merge<S extends readonly MergeInput[]>(
  ...inputs: S
): Pipeline<MergedItem<S[number]>> {
  if (inputs.length === 0) {
    throw invalid("merge", "one or more sources or pipelines to merge", inputs);
  }
  inputs.forEach((input, i) => {
    const path = `merge.inputs[${i}]`;
    if (isAcknowledged(input) || (input instanceof Pipeline && input.acknowledged)) {
      throw new InvalidOptionError(
        `Option \`${path}\` is a broker source: its deliveries are acked by the run that reads it with from(), not through a merge; run it as a pipeline of its own`,
        path,
        input,
      );
    }
    if (!(input instanceof Pipeline)) checkSource(input, path);
  });
  const open = (ctx: SourceContext): Opened[] =>
    inputs.map((input, i) => {
      if (input instanceof Pipeline) return input.run({ signal: ctx.signal });
      if (typeof input !== "function") return input as Opened;
      const opened = (input as (ctx: SourceContext) => unknown)(ctx);
      if (typeof opened === "function") {
        throw invalid(`merge.inputs[${i}]()`, "an iterable or a stream", opened);
      }
      checkSource(opened, `merge.inputs[${i}]()`);
      return opened as Opened;
    });
  return new Pipeline<MergedItem<S[number]>>(
    (ctx: SourceContext) => {
      // Opened when the run opens its source, so a misuse fails the run as itself.
      const merged = new MergedInputs(open(ctx), ctx);
      return { [Symbol.asyncIterator]: () => merged };
    },
    Object.freeze([]),
    defaults.sourceBuffer,
  );
}
