import type { AcknowledgedSource, Deliveries, Delivery } from "../contract/acknowledged.js";
import type { StageInput } from "../contract/stage.js";
import type { StageSpec } from "../contract/stage-spec.js";
import type { Source, SourceContext } from "../contract/types.js";
import { checkDelivery } from "./acknowledged.js";
import { AckedOutput } from "./acked-output.js";
import { pipelineCapacity } from "./capacity.js";
import { Origin, type Settlements, Tracked } from "./lineage.js";
import { trackSpecs } from "./track-specs.js";

/**
 * One run's bookkeeping for an acknowledged source: each delivery enters as a tracked item
 * with its own {@link Origin}, the stages pass tracked items (see {@link trackSpecs}), and
 * the consumer reads values through {@link AckedOutput}. The plain path builds none of it.
 */
export class Ledger {
  readonly #source: AcknowledgedSource<unknown>;
  #fail: (error: unknown) => void = () => {};
  /** What the source's `deliveries()` returned for this run. */
  #deliveries: Deliveries<unknown> | undefined;
  #received = 0;
  #acked = 0;
  #nacked = 0;

  readonly #sourceBuffer: number;
  #capacity = 0;

  constructor(source: AcknowledgedSource<unknown>, sourceBuffer: number) {
    this.#source = source;
    this.#sourceBuffer = sourceBuffer;
  }

  /** The source as the run opens it: the deliveries, each as a tracked item. */
  get source(): Source<unknown> {
    return (context: SourceContext) => {
      const deliveries = this.#source.deliveries({ ...context, capacity: this.#capacity });
      this.#deliveries = deliveries;
      const settlements: Settlements = {
        settled: (acked) => {
          if (acked) this.#acked++;
          else this.#nacked++;
        },
        settleFailed: (error) => this.#fail(error),
      };
      const track = (delivery: Delivery<unknown>): Tracked => {
        const checked = checkDelivery(delivery);
        this.#received++;
        return new Tracked(checked.value, new Origin(checked, settlements));
      };
      return Symbol.asyncIterator in deliveries
        ? trackAsync(deliveries as AsyncIterable<Delivery<unknown>>, track)
        : trackSync(deliveries as Iterable<Delivery<unknown>>, track);
    };
  }

  /** The stages, passing tracked items. */
  specs(specs: readonly StageSpec[]): readonly StageSpec[] {
    this.#capacity = pipelineCapacity(specs, this.#sourceBuffer);
    return Object.freeze(trackSpecs(specs));
  }

  /** Fails the run with an ack or nack that threw (set by the run as it starts). */
  attach(fail: (error: unknown) => void): void {
    this.#fail = fail;
  }

  /**
   * The run's deliveries so far: received, acked, nacked, in flight (neither yet), and what
   * the source reports of itself (a broker consumer's pending entries, its group's lag).
   */
  stats(): Readonly<Record<string, number>> {
    return {
      ...this.#deliveries?.stats?.(),
      received: this.#received,
      acked: this.#acked,
      nacked: this.#nacked,
      inFlight: this.#received - this.#acked - this.#nacked,
    };
  }

  /** The run has settled: the source lets go of what its acks needed. */
  async close(): Promise<void> {
    await this.#deliveries?.close?.();
  }

  /** The last stage's output as the consumer reads it: values, acked as taken. */
  output(last: StageInput<unknown>): StageInput<unknown> {
    return new AckedOutput(last);
  }
}

function* trackSync(
  deliveries: Iterable<Delivery<unknown>>,
  track: (delivery: Delivery<unknown>) => Tracked,
): Generator<Tracked> {
  for (const delivery of deliveries) yield track(delivery);
}

/**
 * The deliveries as tracked items, one `next()` of theirs per item: a mapping iterator
 * rather than an async generator, which would add its own promise hops to every message.
 */
function trackAsync(
  deliveries: AsyncIterable<Delivery<unknown>>,
  track: (delivery: Delivery<unknown>) => Tracked,
): AsyncIterableIterator<Tracked> {
  const inner = deliveries[Symbol.asyncIterator]();
  const step = (result: IteratorResult<Delivery<unknown>>): IteratorResult<Tracked> =>
    result.done === true
      ? { done: true, value: undefined }
      : { done: false, value: track(result.value) };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => inner.next().then(step),
    return: async () => {
      await inner.return?.();
      return { done: true, value: undefined };
    },
  };
}
