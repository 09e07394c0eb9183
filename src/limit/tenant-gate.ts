import type { TenantsSpec } from "../contract/stage-spec.js";
import type { TenantStats } from "../contract/summary.js";

/** An item that took its place in a stage and waits for its tenant's turn. */
export interface TenantWaiting {
  readonly item: unknown;
  readonly index: number;
  readonly weight: number;
}

/** What {@link TenantGate.admit} decides for the item at the head of a stage's input. */
export const TenantAdmission = {
  /** Its tenant has room and a token: start it. */
  Start: 0,
  /** It waits in its tenant's queue (it took its index and place). */
  Parked: 1,
  /** Its tenant's queue is full (`overflow: "block"`): the input waits. */
  Wait: 2,
  /** Its tenant's queue is full (`overflow: "shed"`): the item is dropped, counted. */
  Shed: 3,
  /** Its tenant could not be read (`key` threw): fail it. */
  Fail: 4,
} as const;

/** One of {@link TenantAdmission}'s answers. */
export type TenantAdmission = (typeof TenantAdmission)[keyof typeof TenantAdmission];

/** One tenant's state in the stage, made on its first item, reaped once idle long enough. */
interface Tenant {
  readonly key: unknown;
  readonly weight: number;
  running: number;
  readonly waiting: TenantWaiting[];
  /** Tokens of its rate (when the stage has one), and when they were last counted. */
  tokens: number;
  refilledAt: number;
  /** Smooth weighted round robin: its running credit. */
  credit: number;
  /** When it last had nothing in the stage (for reaping); -1 while it has. */
  idleSince: number;
}

/**
 * A function stage's `tenants`: each tenant (`key(item)`) has its own quota inside the stage
 * (`concurrency` running at most, `queue` waiting at most, an optional token bucket `rate`),
 * so one tenant cannot exhaust the stage; items waiting are started across tenants by smooth
 * weighted round robin (plain round robin without `weights`). A tenant's state is made on its
 * first item and reaped once it has had nothing in the stage for `idle` ms, by one sweep
 * timer per stage: a hundred thousand tenants over a run leave memory where it started.
 */
export class TenantGate {
  readonly #spec: TenantsSpec;
  readonly #tenants = new Map<unknown, Tenant>();
  /** The tenant of each item admitted and not yet released, by index. */
  readonly #of = new Map<number, Tenant>();
  /** Tenants with items waiting. */
  readonly #queued = new Set<Tenant>();
  readonly #wake: () => void;
  #waiting = 0;
  #shed = 0;
  #reaped = 0;
  #sweep: NodeJS.Timeout | undefined;
  /** The sweep's last tick (`Date.now()`): the time reaping goes by. */
  #coarse = Date.now();
  #tokenTimer: NodeJS.Timeout | undefined;
  /** Why the last {@link TenantAdmission.Fail} failed. */
  failure: unknown = undefined;

  /** `wake` is called when a waiting item may start (a token came). */
  constructor(spec: TenantsSpec, wake: () => void) {
    this.#spec = spec;
    this.#wake = wake;
  }

  /** Items that took their place in the stage and wait for their tenant's turn. */
  get held(): number {
    return this.#waiting;
  }

  /** Items dropped because their tenant's queue was full (`overflow: "shed"`). */
  get shed(): number {
    return this.#shed;
  }

  /** Tenants known now (for tests of reaping). */
  get size(): number {
    return this.#tenants.size;
  }

  /**
   * Admits `item`, the head of the input, which would take index `index`: it may start now
   * only when the stage has a free slot (`canStart`) and its tenant room and a token; else it
   * waits in its tenant's queue (the stage takes input while its slots are busy, so the turns
   * go round the tenants whose items are inside).
   */
  admit(item: unknown, index: number, weight: number, canStart: boolean): TenantAdmission {
    const now = this.#now();
    const known = this.#of.get(index);
    if (known !== undefined) return TenantAdmission.Start;
    let key: unknown;
    try {
      key = this.#spec.key(item);
    } catch (error) {
      this.failure = error;
      return TenantAdmission.Fail;
    }
    const tenant = this.#tenant(key, now);
    if (canStart && tenant.waiting.length === 0 && this.#mayStart(tenant, now)) {
      this.#begin(tenant, index);
      return TenantAdmission.Start;
    }
    if (tenant.waiting.length >= this.#spec.queue) {
      if (this.#spec.overflow === "block") return TenantAdmission.Wait;
      this.#shed++;
      this.#settleIdle(tenant, now);
      return TenantAdmission.Shed;
    }
    tenant.waiting.push({ item, index, weight });
    tenant.idleSince = -1;
    this.#waiting++;
    this.#queued.add(tenant);
    this.#armTokens(now);
    return TenantAdmission.Parked;
  }

  /**
   * The waiting item to start next, if any may start now: the tenants with items waiting, room
   * and a token are taken by smooth weighted round robin. It is taken out of its queue.
   */
  next(): TenantWaiting | undefined {
    if (this.#waiting === 0) return undefined;
    const now = this.#now();
    let best: Tenant | undefined;
    let total = 0;
    for (const tenant of this.#queued) {
      if (!this.#mayStart(tenant, now)) continue;
      tenant.credit += tenant.weight;
      total += tenant.weight;
      if (best === undefined || tenant.credit > best.credit) best = tenant;
    }
    if (best === undefined) {
      this.#armTokens(now);
      return undefined;
    }
    best.credit -= total;
    const waiting = best.waiting.shift()!;
    this.#waiting--;
    if (best.waiting.length === 0) this.#queued.delete(best);
    this.#begin(best, waiting.index);
    return waiting;
  }

  /** The item of `index` left the stage for good: its tenant has room again. */
  release(index: number): void {
    const tenant = this.#of.get(index);
    if (tenant === undefined) return;
    this.#of.delete(index);
    tenant.running--;
    this.#settleIdle(tenant, this.#coarse);
  }

  /**
   * The time: read from the clock only with a `rate` (tokens need it); otherwise the sweep's
   * last tick, which is all reaping needs, so an item costs no clock read.
   */
  #now(): number {
    return this.#spec.rate === undefined ? this.#coarse : Date.now();
  }

  /** Drops every waiting item and every tenant, and the timers (the stage stopped); how many waited. */
  clear(): number {
    const held = this.#waiting;
    this.#waiting = 0;
    this.#tenants.clear();
    this.#of.clear();
    this.#queued.clear();
    clearInterval(this.#sweep);
    clearTimeout(this.#tokenTimer);
    this.#sweep = undefined;
    this.#tokenTimer = undefined;
    return held;
  }

  /** The gate's figures; the busiest tenant is looked for only here, never per item. */
  stats(): TenantStats {
    let hottest: TenantStats["hottest"];
    let most = 0;
    for (const tenant of this.#queued) {
      if (tenant.waiting.length <= most) continue;
      most = tenant.waiting.length;
      hottest = { tenant: String(tenant.key), running: tenant.running, waiting: most };
    }
    return {
      known: this.#tenants.size,
      waiting: this.#waiting,
      shed: this.#shed,
      reaped: this.#reaped,
      ...(hottest === undefined ? {} : { hottest }),
    };
  }

  #tenant(key: unknown, now: number): Tenant {
    let tenant = this.#tenants.get(key);
    if (tenant === undefined) {
      const rate = this.#spec.rate;
      tenant = {
        key,
        weight: this.#weightOf(key),
        running: 0,
        waiting: [],
        tokens: rate === undefined ? 0 : rate.burst,
        refilledAt: now,
        credit: 0,
        idleSince: -1,
      };
      this.#tenants.set(key, tenant);
      this.#armSweep();
    }
    return tenant;
  }

  #weightOf(key: unknown): number {
    const weights = this.#spec.weights;
    if (weights === undefined) return 1;
    const weight = typeof weights === "function" ? weights(key) : weights[String(key)];
    return typeof weight === "number" && Number.isFinite(weight) && weight > 0 ? weight : 1;
  }

  /** Whether `tenant` has room and, with a rate, a token (refilled to `now`). */
  #mayStart(tenant: Tenant, now: number): boolean {
    if (tenant.running >= this.#spec.concurrency) return false;
    const rate = this.#spec.rate;
    if (rate === undefined) return true;
    const earned = ((now - tenant.refilledAt) * rate.rate) / rate.perMs;
    tenant.tokens = Math.min(rate.burst, tenant.tokens + earned);
    tenant.refilledAt = now;
    return tenant.tokens >= 1;
  }

  #begin(tenant: Tenant, index: number): void {
    tenant.running++;
    tenant.idleSince = -1;
    // #mayStart refilled the bucket just before: a token is there.
    if (this.#spec.rate !== undefined) tenant.tokens -= 1;
    this.#of.set(index, tenant);
  }

  #settleIdle(tenant: Tenant, now: number): void {
    if (tenant.running === 0 && tenant.waiting.length === 0) tenant.idleSince = now;
  }

  /** One sweep per stage, every half `idle`, while tenants are known. */
  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#coarse = Date.now();
    this.#sweep = setInterval(
      () => {
        this.#coarse = Date.now();
        this.#reap(this.#coarse);
      },
      Math.max(1, this.#spec.idleMs / 2),
    );
    this.#sweep.unref();
  }

  #reap(now: number): void {
    for (const [key, tenant] of this.#tenants) {
      if (tenant.idleSince >= 0 && now - tenant.idleSince >= this.#spec.idleMs) {
        this.#tenants.delete(key);
        this.#reaped++;
      }
    }
    if (this.#tenants.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  /** With a rate: one timer for the earliest token a waiting tenant needs. */
  #armTokens(now: number): void {
    const rate = this.#spec.rate;
    if (rate === undefined || this.#tokenTimer !== undefined || this.#waiting === 0) return;
    let soonest = Number.POSITIVE_INFINITY;
    for (const tenant of this.#queued) {
      if (tenant.running >= this.#spec.concurrency || tenant.tokens >= 1) continue;
      const wait = ((1 - tenant.tokens) * rate.perMs) / rate.rate - (now - tenant.refilledAt);
      soonest = Math.min(soonest, Math.max(1, Math.ceil(wait)));
    }
    if (!Number.isFinite(soonest)) return;
    this.#tokenTimer = setTimeout(() => {
      this.#tokenTimer = undefined;
      this.#wake();
    }, soonest);
  }
}
