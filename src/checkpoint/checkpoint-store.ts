/**
 * Where a checkpointed run keeps its progress between processes.
 * @module
 */

/**
 * A run's progress as a store keeps it: `position` is the source position of the highest
 * contiguous completed item (everything up to it is done; `undefined` before the first), and
 * `done` the positions of items completed past it (items run out of order), so a resumed run
 * reads after `position` and skips those. Positions are JSON values: an array's count of
 * items, a row's key, a file's byte offset.
 */
export interface CheckpointState<P = unknown> {
  readonly position: P | undefined;
  readonly done: readonly P[];
}

/**
 * A place to keep a {@link CheckpointState}: `fileCheckpoint(path)`, `pgCheckpoint(…)` from
 * "sluice/pg", or your own. `save` replaces the state as one write: a process killed during it
 * leaves the old state or the new one, never a mix.
 */
export interface CheckpointStore<P = unknown> {
  /** The saved state, or `undefined` when nothing was saved (a first run). */
  load(): Promise<CheckpointState<P> | undefined>;
  save(state: CheckpointState<P>): Promise<void>;
  /** Forgets the saved state: the next run starts from the beginning. */
  clear(): Promise<void>;
  /** Lets go of connections or handles; called when the run has settled. */
  close?(): Promise<void>;
  /** Names the store in messages: its file, its table and name. */
  readonly description?: string;
}
