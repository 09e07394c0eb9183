import type { ResourcesSpec } from "../contract/stage-spec.js";
import { ResourceError } from "../errors/resource-error.js";

/**
 * One resource per slot of a stage (a connection, a client, a parser): made for the slots
 * the stage's width asks for, all at once, before those slots take an item; disposed of
 * once the stage is done, whether the run completed, failed or was cancelled.
 */
export class SlotResources {
  readonly #spec: ResourcesSpec;
  readonly #stage: string;
  readonly #made = new Map<number, unknown>();
  /** Slots whose resource was asked for (made, or being made): 0 … requested − 1. */
  #requested = 0;
  /** Slots whose resource is made, counted from 0 without a gap. */
  #ready = 0;
  readonly #making = new Set<Promise<unknown>>();
  #closed = false;

  constructor(spec: ResourcesSpec, stage: string) {
    this.#spec = spec;
    this.#stage = stage;
  }

  /** Slots whose resource was asked for (made or being made). */
  get requested(): number {
    return this.#requested;
  }

  /** Slots 0 … ready − 1 have their resource. */
  get ready(): number {
    return this.#ready;
  }

  /** The resource of `slot` (made: the stage lets no slot past {@link ready} take an item). */
  of(slot: number): unknown {
    return this.#made.get(slot);
  }

  /**
   * Makes the resources of the slots below `count` that have none yet, all at once; resolves
   * with how many slots have theirs. Rejects with a {@link ResourceError} naming the first
   * slot whose resource could not be made (the others made are kept, to be disposed of).
   */
  async grow(count: number): Promise<number> {
    if (count <= this.#requested || this.#closed) return this.#ready;
    const from = this.#requested;
    this.#requested = count;
    const making: Promise<void>[] = [];
    for (let slot = from; slot < count; slot++) {
      making.push(
        Promise.resolve()
          .then(() => this.#spec.create(slot))
          .then(
            (resource) => {
              this.#made.set(slot, resource);
            },
            (error: unknown) => {
              throw new ResourceError(this.#stage, slot, "create", error);
            },
          ),
      );
    }
    const all = Promise.allSettled(making);
    this.#making.add(all);
    const results = await all;
    this.#making.delete(all);
    const failed = results.find((result) => result.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    while (this.#made.has(this.#ready)) this.#ready++;
    return this.#ready;
  }

  /**
   * Disposes of every resource made (those still being made once they are), all at once;
   * resolves with the first {@link ResourceError} of a disposal that threw, if any.
   */
  async dispose(): Promise<ResourceError | undefined> {
    this.#closed = true;
    await Promise.all(this.#making);
    const made = [...this.#made];
    this.#made.clear();
    this.#ready = 0;
    const results = await Promise.allSettled(
      made.map(async ([slot, resource]) => {
        try {
          await (this.#spec.dispose === undefined
            ? disposeResource(resource)
            : this.#spec.dispose(resource, slot));
        } catch (error) {
          throw new ResourceError(this.#stage, slot, "dispose", error);
        }
      }),
    );
    const failed = results.find((result) => result.status === "rejected");
    return failed === undefined ? undefined : (failed as PromiseRejectedResult).reason;
  }
}

/**
 * Lets a resource go the way it knows: `Symbol.asyncDispose`, `Symbol.dispose`, `release()`
 * (a pooled client goes back to its pool), `close()`, `end()` or `destroy()`, the first it has.
 * A resource with none of them (a plain object) needs nothing.
 */
export async function disposeResource(resource: unknown): Promise<void> {
  if ((typeof resource !== "object" && typeof resource !== "function") || resource === null) {
    return;
  }
  const target = resource as Record<PropertyKey, unknown>;
  const asyncDispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
  const syncDispose = (Symbol as { dispose?: symbol }).dispose;
  for (const method of [asyncDispose, syncDispose, "release", "close", "end", "destroy"]) {
    if (method === undefined) continue;
    const fn = target[method];
    if (typeof fn === "function") {
      await (fn as () => unknown).call(resource);
      return;
    }
  }
}
