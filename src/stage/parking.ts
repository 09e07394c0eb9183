/**
 * Idle workers of a stage, woken one at a time. Waking every idle worker on each event (a
 * shared promise) makes all of them resume to find one item: with 256 workers that is 255
 * wasted resumptions per chunk. Instead one wakes, and it wakes the next only when there is
 * more to do.
 */
export class Parking {
  readonly #idle: (() => void)[] = [];

  /** Idle workers now. */
  get size(): number {
    return this.#idle.length;
  }

  /** Parks the calling worker until it is woken. */
  park(): Promise<void> {
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Wakes the most recently parked worker (its stack is the warmest), if any. */
  wakeOne(): void {
    this.#idle.pop()?.();
  }

  /** Wakes every parked worker (the stage is stopping or the input ended). */
  wakeAll(): void {
    const idle = this.#idle.splice(0);
    for (const wake of idle) wake();
  }
}
