/** The global timer functions a tracker watches. */
type TimerKind = "setTimeout" | "setInterval" | "setImmediate";

const KINDS: readonly TimerKind[] = ["setTimeout", "setInterval", "setImmediate"];

/** A timer set while a tracker ran that has neither fired (for good) nor been cleared. */
export interface PendingTimer {
  readonly kind: TimerKind;
  /** The delay it was set with, in ms; undefined for `setImmediate`. */
  readonly ms: number | undefined;
  /** Where it was set: the first frames of the stack of the call that set it. */
  readonly at: string;
}

/** What {@link trackTimers} returns: the timers still pending, and the off switch. */
export interface TimerTracking {
  /** Timers set since the tracker started that are still pending. */
  pending(): PendingTimer[];
  /** Stops tracking; once no tracker is left, the global functions are put back. */
  stop(): void;
}

interface Entry {
  readonly kind: TimerKind;
  readonly ms: number | undefined;
  readonly handle: { readonly _destroyed?: unknown };
  readonly origin: { stack?: string };
}

interface Tracker {
  readonly entries: Set<Entry>;
  /** Entries kept before the next sweep of fired timers; see `record`. */
  sweepAt: number;
}

const trackers = new Set<Tracker>();
type TimerFn = (...args: unknown[]) => unknown;
const globals = globalThis as unknown as Record<TimerKind, TimerFn>;
/** The functions the wrappers replaced, by kind, while they are installed. */
const replaced = new Map<TimerKind, TimerFn>();
const wrappers = new Map<TimerKind, TimerFn>();

/**
 * Starts recording every timer set through the global `setTimeout`, `setInterval` and
 * `setImmediate` (they are wrapped while any tracker runs), with the stack that set it.
 *
 * A timer is pending while Node's own `_destroyed` flag on it is false: a timeout or an
 * immediate until it fires or is cleared, an interval until it is cleared, by handle, by id or
 * by `close()`. That flag covers `unref()`ed timers, which `process.getActiveResourcesInfo()`
 * does not list. Timers set through `node:timers` or `node:timers/promises` imports are not
 * seen (those bindings are not the globals); the resource count still sees them if they are
 * ref'ed.
 *
 * Cost while tracking: one captured stack per timer set (formatted only if it is reported).
 */
export function trackTimers(): TimerTracking {
  const tracker: Tracker = { entries: new Set(), sweepAt: 1024 };
  if (trackers.size === 0) install();
  trackers.add(tracker);
  return {
    pending: () => [...tracker.entries].filter(isPending).map(describe),
    stop: () => {
      if (!trackers.delete(tracker)) return;
      if (trackers.size === 0) uninstall();
    },
  };
}

function install(): void {
  for (const kind of KINDS) {
    const current = globals[kind];
    if (current === wrappers.get(kind)) continue;
    replaced.set(kind, current);
    const wrapper = wrap(kind, current);
    wrappers.set(kind, wrapper);
    globals[kind] = wrapper;
  }
}

function uninstall(): void {
  for (const kind of KINDS) {
    const original = replaced.get(kind);
    // Someone replaced our wrapper in the meantime (fake timers): leave theirs in place; ours
    // records nothing once no tracker is left, so it only passes calls through.
    if (original === undefined || globals[kind] !== wrappers.get(kind)) continue;
    globals[kind] = original;
    replaced.delete(kind);
  }
}

function wrap(kind: TimerKind, original: TimerFn): TimerFn {
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const handle = Reflect.apply(original, this, args);
    if (trackers.size > 0 && typeof handle === "object" && handle !== null) {
      const origin: { stack?: string } = {};
      // The stack is captured now and formatted only when read: cheap for unreported timers.
      Error.captureStackTrace(origin, wrapper);
      const ms = kind === "setImmediate" ? undefined : Number(args[1] ?? 0);
      const entry: Entry = { kind, ms, handle: handle as Entry["handle"], origin };
      for (const tracker of trackers) record(tracker, entry);
    }
    return handle;
  };
  // util.promisify(setTimeout) and friends read a custom symbol off the function: keep it.
  for (const key of Reflect.ownKeys(original)) {
    if (key === "length" || key === "name" || key === "prototype") continue;
    Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  Object.defineProperty(wrapper, "name", { value: original.name });
  return wrapper;
}

function record(tracker: Tracker, entry: Entry): void {
  tracker.entries.add(entry);
  // A block that sets a million short timers must not keep a million entries: drop the fired
  // ones now and then, and sweep again once the live set has doubled.
  if (tracker.entries.size < tracker.sweepAt) return;
  for (const each of tracker.entries) if (!isPending(each)) tracker.entries.delete(each);
  tracker.sweepAt = Math.max(1024, 2 * tracker.entries.size);
}

function isPending(entry: Entry): boolean {
  // Node sets _destroyed when a timer fires for good or is cleared. A runtime without the
  // flag gets no timer report (the resource count still runs).
  return entry.handle._destroyed === false;
}

function describe(entry: Entry): PendingTimer {
  const frames = (entry.origin.stack ?? "")
    .split("\n")
    .slice(1, 3)
    .map((line) => line.trim().replace(/^at /, ""));
  return {
    kind: entry.kind,
    ms: entry.ms,
    at: frames.length > 0 ? frames.join(" ← ") : "(no stack)",
  };
}
