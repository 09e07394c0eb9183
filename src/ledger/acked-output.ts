import type { StageInput } from "../contract/stage.js";
import type { Tracked } from "./lineage.js";

/**
 * The last stage's output as the run's consumer reads it, in a tracked run: each chunk's
 * items are unwrapped to their values, and each one's lineage is done as the consumer takes
 * the chunk (so a message is acked once everything derived from it was handed over).
 */
export class AckedOutput implements StageInput<unknown> {
  readonly #inner: StageInput<unknown>;

  constructor(inner: StageInput<unknown>) {
    this.#inner = inner;
  }

  takeChunk(): unknown[] | undefined {
    const chunk = this.#inner.takeChunk();
    if (chunk === undefined) return undefined;
    const values = new Array<unknown>(chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      const item = chunk[i] as Tracked;
      values[i] = item.value;
      item.lineage.done();
    }
    return values;
  }

  release(n: number): void {
    this.#inner.release(n);
  }

  onData(callback: () => void): void {
    this.#inner.onData(callback);
  }

  get ready(): boolean {
    return this.#inner.ready;
  }

  get drained(): boolean {
    return this.#inner.drained;
  }

  discard(): number {
    return this.#inner.discard();
  }
}
