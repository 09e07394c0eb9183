/**
 * Every default in one place. Shown in the run summary (each stage reports its width and
 * buffer), never a hidden constant.
 */
export const defaults = Object.freeze({
  /** Workers per stage when `concurrency` is not given: enough to overlap I/O, still bounded. */
  concurrency: 16,
  /**
   * A stage's output buffer is `max(bufferPerWorker × concurrency, minBuffer)` when `buffer`
   * is not given. Chunks of up to half the buffer cross between stages, and below ~64 items
   * the hand-off per chunk, not the work per item, sets the pace for cheap items (bench/).
   */
  bufferPerWorker: 2,
  minBuffer: 128,
  /**
   * Items a source reads ahead of the first stage (one chunk): the size of the chunks that
   * cross between stages by default. A larger chunk is always live and only feeds V8's
   * young-generation growth (256 made 10M items grow RSS by 12 MB, 64 by 4 MB; bench/ S5).
   */
  sourceBuffer: 64,
  /** Batches a `batch` stage may hold ready for downstream. */
  batchBuffer: 2,
  /** Stages emit in completion order unless asked otherwise. */
  ordered: false,
  /** The first error fails the run (errgroup-like). */
  onError: "fail" as const,
});
