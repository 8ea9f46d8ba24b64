import type { Lifetime } from "../lifetimes.js";
import type { Registration } from "../registration.js";
import type { Scope } from "../scope.js";
import { deferred, type Deferred } from "./maybe.js";
import type { TaskImpl } from "./task-impl.js";

/**
 * starting → ready → releasing → disposed, or starting → failed. Every transition is a method below.
 */
export type RecordState = "starting" | "ready" | "releasing" | "disposed" | "failed";

/** Who holds a reference: a scope, or another instance (an edge "instance holds dependency"). */
export type Holder = Scope | InstanceRecord;

/** One pending acquisition of a starting instance. */
export interface Waiter {
  readonly record: InstanceRecord;
  readonly holder: Holder;
  settled: boolean;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  /** Remove timers and listeners; called exactly once when the waiter settles or gives up. */
  cleanup(): void;
}

/**
 * A creation error passed on to dependents still starting: reported once, by a requester receiving it, or
 * (when every dependent carrying it was abandoned) once the last of them is done.
 */
export interface Carry {
  carriers: number;
  received: boolean;
  report: (() => void) | undefined;
}

/** A step of an instance's dependencies: one record, or a group acquired (and released) in parallel. */
export type DepEntry = InstanceRecord | InstanceRecord[];

let nextInstanceId = 1;

/** One live (or once live) instance of a registration. Internal. */
export class InstanceRecord {
  readonly id = nextInstanceId++;
  state: RecordState = "starting";
  value: unknown = undefined;
  refCount = 0;
  /** Held by its scope (scoped) or the root (singleton) until that scope closes, whatever the count. */
  pinned = false;
  /**
   * Dependencies, in acquisition order. A bare record (constructor parameter, `ctx.resolve`) is independent
   * of its neighbours and released together with them; an array is a `dependsOn` step, released in order.
   */
  deps: DepEntry[] | undefined;
  /** Set while a parallel group is being acquired: completed members land here. */
  group: InstanceRecord[] | undefined;
  /** Set while a parallel group is being acquired: told at once when a member's creation fails. */
  groupFailed: ((error: unknown) => void) | undefined;
  /** Pending acquisitions of this instance while it starts, in arrival order. */
  waiters: Set<Waiter> | undefined;
  /** Acquisitions this instance is waiting for while it starts (given up if its creation is abandoned). */
  childWaiters: Set<Waiter> | undefined;
  /** Instances this one is creating or waiting for: the edges of the waits-for graph used for cycles. */
  waitingOn: Set<InstanceRecord> | undefined;
  /** The creation's signal, made on first use. */
  ctl: AbortController | undefined;
  /** True when every waiter left before creation finished: the result is disposed at once. */
  abandoned = false;
  abandonReason: unknown;
  /** The instance's own task scope, made on first use. */
  ownScope: Scope | undefined;
  keepAliveTimer: NodeJS.Timeout | undefined;
  /** Set when the instance crashed after it was ready. */
  crashed = false;
  /** Set when something it depends on crashed: it goes once its holders let go (SEMANTICS 5.11). */
  dependencyCrashed = false;
  /** The shared or scoped map it is registered in. */
  map: Map<Registration, InstanceRecord> | undefined;
  /** The built value while its `@onInit` hooks run, to dispose it if they fail. */
  built: { value: unknown } | undefined;
  /** Failures of its own tasks (or crashes of its dependencies) while it was starting: the creation fails. */
  pendingFailures: unknown[] | undefined;
  /** The teardown errors of a failed creation (after its primary error), for when nobody waits for it. */
  failureTeardown: unknown[] | undefined;
  /** Creation errors of its dependencies it received while it started. */
  carrying: Carry[] | undefined;
  /** `useService`: resolved when the last holder has released it. */
  noMoreDependents: Deferred<void> | undefined;
  /** `useService`: the task running the service function. */
  serviceTask: TaskImpl<unknown> | undefined;
  private gone: Deferred<void> | undefined;
  private h0: Holder | undefined;
  private c0 = 0;
  private more: Map<Holder, number> | undefined;

  constructor(
    readonly reg: Registration,
    readonly lifetime: Lifetime,
    /** The scope its scoped dependencies come from (its own scope for scoped, the requester's for transient). */
    readonly scope: Scope,
    /** The instance that first asked for it, for resolution paths and cycle checks. */
    readonly parent: InstanceRecord | undefined,
    /** Shared, singleton, or held by one of those: may not capture a scoped service. */
    readonly longLived: boolean,
  ) {
    reg.starting++;
  }

  /** Remove it from its shared or scoped map, so that the next resolve starts afresh. */
  unmap(): void {
    if (this.map !== undefined && this.map.get(this.reg) === this) this.map.delete(this.reg);
    this.map = undefined;
  }

  get name(): string {
    return this.reg.name;
  }

  /** Crashed, or a dependency did: never handed out again, never kept alive. */
  get dying(): boolean {
    return this.crashed || this.dependencyCrashed;
  }

  get creationSignal(): AbortSignal {
    return (this.ctl ??= new AbortController()).signal;
  }

  /** Add one reference for `holder`. */
  addHolder(holder: Holder): void {
    this.refCount++;
    if (this.h0 === holder) this.c0++;
    else if (this.h0 === undefined && (this.more === undefined || !this.more.has(holder))) {
      this.h0 = holder;
      this.c0 = 1;
    } else {
      const m = (this.more ??= new Map());
      m.set(holder, (m.get(holder) ?? 0) + 1);
    }
    if (this.keepAliveTimer !== undefined) {
      clearTimeout(this.keepAliveTimer);
      this.keepAliveTimer = undefined;
    }
  }

  /** Remove up to `count` references of `holder`; returns how many were removed. */
  removeHolder(holder: Holder, count: number): number {
    let removed = 0;
    if (this.h0 === holder) {
      removed = Math.min(count, this.c0);
      this.c0 -= removed;
      // The slot is simply left empty: promoting an entry of `more` would rescan its deleted entries.
      if (this.c0 === 0) this.h0 = undefined;
    } else if (this.more !== undefined) {
      const c = this.more.get(holder);
      if (c !== undefined) {
        removed = Math.min(count, c);
        if (c === removed) this.more.delete(holder);
        else this.more.set(holder, c - removed);
      }
    }
    this.refCount -= removed;
    return removed;
  }

  countOf(holder: Holder): number {
    if (this.h0 === holder) return this.c0;
    return this.more?.get(holder) ?? 0;
  }

  /** Every holder with its count. */
  holders(): [Holder, number][] {
    const out: [Holder, number][] = [];
    if (this.h0 !== undefined) out.push([this.h0, this.c0]);
    if (this.more) for (const e of this.more) out.push(e);
    return out;
  }

  /** Record an edge to a dependency this instance now holds. */
  addDep(dep: InstanceRecord): void {
    if (this.group !== undefined) this.group.push(dep);
    else (this.deps ??= []).push(dep);
  }

  /** Unique records this instance holds, for inspection. */
  depRecords(): InstanceRecord[] {
    const out = new Set<InstanceRecord>();
    for (const d of this.deps ?? []) {
      if (Array.isArray(d)) for (const r of d) out.add(r);
      else out.add(d);
    }
    return [...out];
  }

  /** A promise that settles when this record is disposed or failed (for resolves that must wait). */
  whenGone(): Promise<void> {
    if (this.state === "disposed" || this.state === "failed") return Promise.resolve();
    return (this.gone ??= deferred<void>()).promise;
  }

  /** starting → ready. */
  markReady(value: unknown): void {
    this.value = value;
    this.state = "ready";
    this.reg.starting--;
  }

  /** starting → failed, or releasing → disposed: the record is over. */
  markOver(state: "failed" | "disposed"): void {
    if (this.state === "starting") this.reg.starting--;
    this.state = state;
    this.value = state === "failed" ? undefined : this.value;
    if (this.gone) this.gone.resolve();
  }
}
