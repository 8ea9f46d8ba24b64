// Why over 300 lines: the engine's nouns in one place (Registration, InstanceRecord with every state
// transition, and the interfaces the engine talks to its holders and container through); it is split
// further (Flight/Life, counts) by the engine v2 plan.
import type { Lifetime } from "../lifetimes.js";
import type { Logger } from "../logger.js";
import { tokenName, type Constructor, type Token } from "../tokens.js";
import type { DepStep } from "../options.js";
import type { Ambient } from "../internal/ambient.js";
import type { LinkedList } from "../internal/linked-list.js";
import { deferred, type Deferred } from "../internal/maybe.js";
import { classParams, type ParamSpec } from "../internal/metadata.js";
import { cancelTimer, type Timer } from "../internal/timer.js";
import type { ServiceStarter } from "./starter.js";

/**
 * The container as the engine sees it (implemented by `Container`): registrations, shared instances, the
 * root scope, orphan reports. The engine never imports the container.
 */
export interface EngineHost {
  readonly name: string;
  readonly logger: Logger;
  readonly root: EngineScope;
  /** How many instances are starting (none: no resolve can be part of a creation's cycle). */
  starting: number;
  readonly instances: Map<Registration, InstanceRecord>;
  readonly live: LinkedList<InstanceRecord>;
  readonly defaultDisposeTimeoutMs: number | undefined;
  readonly serviceStarter: ServiceStarter | undefined;
  findRegistration(token: Token): Registration | undefined;
  registrationsFor(token: Token, forInjectAll?: boolean): Registration[];
  canResolve(token: Token): boolean;
  fallbackResolve(token: Token): unknown;
  reportOrphan(error: unknown, name: string): void;
  trackOrphan(release: Promise<void>): void;
  /** A new own scope for an instance (a child of the root). */
  ownScope(name: string): OwnScope;
  /** Singletons the root pins, in creation order. */
  rootPinned(): InstanceRecord[];
}

/**
 * A scope as the engine sees it (implemented by `Scope`): the references and scoped instances it holds,
 * its pending resolves, and how to cancel it. The engine never imports the Scope class.
 */
export interface EngineScope {
  readonly id: number;
  readonly name: string;
  readonly kind: "root" | "child" | "fork" | "instance";
  readonly container: EngineHost;
  readonly parent: EngineScope | undefined;
  readonly depth: number;
  readonly state: "open" | "closing" | "closed";
  /** The creation whose code made this scope (a `withScope` in a factory), if any. */
  madeBy: InstanceRecord | undefined;
  /** An instance's own scope: that instance. */
  ownerRecord: InstanceRecord | undefined;
  /** An instance's own scope: a task failure goes to the instance. */
  onFailure: ((error: unknown) => void) | undefined;
  /** What it holds: references, scoped instances, pending resolves (a `HeldRefs`). */
  readonly held: Held;
  tryCancel(reason: unknown): boolean;
  cancel(reason?: unknown): void;
  whenClosed(): Promise<void>;
  whenClosedQuietly(errors: unknown[]): Promise<void>;
  /** The live child scopes, in creation order (read by inspection). */
  childScopes(): readonly EngineScope[];
}

/** A scope's held references, scoped instances and pending resolves (implemented by engine/holders' HeldRefs). */
export interface Held {
  pendingWaiters: Set<Waiter> | undefined;
  findScoped(reg: Registration): InstanceRecord | undefined;
  addScoped(record: InstanceRecord): void;
  removeScoped(record: InstanceRecord): void;
  takeScoped(): InstanceRecord[];
  addRefEntry(record: InstanceRecord): void;
  removeRefEntry(record: InstanceRecord): void;
  refList(): InstanceRecord[];
  takeRefs(): InstanceRecord[];
}

/** The task running a `useService` function. */
export interface ServiceTask {
  readonly isCancelled: boolean;
  then<R1 = void, R2 = never>(
    onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2>;
}

/** An instance's own scope (implemented by `InstanceScope`): tasks, and the `ServiceScope` of `useService`. */
export interface OwnScope extends EngineScope {
  registerHook: ((value: unknown) => void) | undefined;
  noMoreDependentsHook: (() => Promise<void>) | undefined;
  spawnService(name: string, fn: () => Promise<void>): ServiceTask;
}

/** The options of an acquisition; `resolveAll` adds where to note what it acquired (a key no caller has). */
export const ACQUIRED = Symbol("acquired");

export interface AcquireOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  [ACQUIRED]?: InstanceRecord[];
}

/** What a factory receives, as the engine builds it (the public `FactoryContext` types `scope` as `Scope`). */
export interface EngineFactoryContext {
  deps: unknown[];
  signal: AbortSignal;
  scope: OwnScope;
  resolve<T>(token: Token<T>): Promise<T>;
}

export type ProviderKind = "class" | "value" | "factory" | "service" | "existing" | "fallback";

let nextRegistrationId = 1;

/** One provider for one or more tokens, validated once. Internal. */
export class Registration {
  readonly id = nextRegistrationId++;
  readonly name: string;
  keepAliveMs = 0;
  disposeTimeoutMs: number | undefined;
  dependsOn: DepStep[] = [];
  dispose: ((value: unknown) => unknown) | undefined;
  cls: Constructor | undefined;
  value: unknown;
  factory: ((ctx: EngineFactoryContext) => unknown) | undefined;
  service: ((svc: OwnScope) => Promise<void>) | undefined;
  existing: Token | undefined;
  /** How many instances of it are starting right now (a new one can only close a cycle if one is). */
  starting = 0;
  /** The container it belongs to (as the engine sees it); set when the container adopts it. */
  host!: EngineHost;
  /** Its shared or singleton instance (also in `container.instances`, which keeps their order). */
  instance: InstanceRecord | undefined = undefined;
  private paramsCache: ParamSpec[] | undefined;

  constructor(
    readonly tokens: Token[],
    readonly kind: ProviderKind,
    public lifetime: Lifetime,
  ) {
    this.name = tokenName(tokens[0]);
  }

  /** Constructor parameters of a class provider, read lazily (a `delay()` may not be resolvable yet). */
  get params(): ParamSpec[] {
    return (this.paramsCache ??= classParams(this.cls!));
  }
}

/**
 * starting → ready → releasing → disposed, or starting → failed. Every transition is a method below.
 */
export type RecordState = "starting" | "ready" | "releasing" | "disposed" | "failed";

/** Who holds a reference: a scope, or another instance (an edge "instance holds dependency"). */
export type Holder = EngineScope | InstanceRecord;

/** One pending acquisition of a starting instance. */
export interface Waiter {
  readonly record: InstanceRecord;
  readonly holder: Holder;
  settled: boolean;
  /** `resolveAll`: every record this acquisition adds a reference to, to release them if the call fails. */
  readonly acquired: InstanceRecord[] | undefined;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  /** Remove timers and listeners; called exactly once when the waiter settles or gives up. */
  cleanup(): void;
  /** Give the wait up: it rejects with `reason` (and the creation it waited for may be abandoned). */
  giveUp(reason: unknown): void;
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

/** A holder that is an instance, or an instance's own scope (this module cannot import the Scope class). */
const byInstance = (h: Holder): boolean => h instanceof InstanceRecord || h.kind === "instance";

/** Set by the resolver: what `currentScope()` sees while an instance is built (its own scope, lazily). */
export const recordAmbient: { make: (record: InstanceRecord) => Ambient } = {
  make: () => {
    throw new Error("asyncscope: the resolver is not loaded");
  },
};

/**
 * The fields of an instance that only some instances need (waiting, failing, services, keep-alive), kept
 * out of the record itself so that a plain instance stays small. Allocated on first write.
 */
class RecordExtra {
  group: InstanceRecord[] | undefined = undefined;
  groupFailed: ((error: unknown) => void) | undefined = undefined;
  waiters: Set<Waiter> | undefined = undefined;
  childWaiters: Set<Waiter> | undefined = undefined;
  waitingOn: Set<InstanceRecord> | undefined = undefined;
  ctl: AbortController | undefined = undefined;
  abandoned = false;
  abandonReason: unknown = undefined;
  ownScope: OwnScope | undefined = undefined;
  keepAliveTimer: Timer | undefined = undefined;
  crashed = false;
  dependencyCrashed = false;
  built: { value: unknown } | undefined = undefined;
  pendingFailures: unknown[] | undefined = undefined;
  failureTeardown: unknown[] | undefined = undefined;
  carrying: Carry[] | undefined = undefined;
  noMoreDependents: Deferred<void> | undefined = undefined;
  serviceTask: ServiceTask | undefined = undefined;
  gone: Deferred<void> | undefined = undefined;
  more: Map<Holder, number> | undefined = undefined;
  failing = false;
}

/** One live (or once live) instance of a registration. Internal. */
export class InstanceRecord {
  readonly id = nextInstanceId++;
  state: RecordState = "starting";
  value: unknown = undefined;
  refCount = 0;
  /** Held by its scope (scoped) or the root (singleton) until that scope closes, whatever the count. */
  pinned = false;
  /**
   * Dependencies, in acquisition order: one record alone, or a list. In a list, a bare record (constructor
   * parameter, `ctx.resolve`) is independent of its neighbours and released together with them; an array
   * is a `dependsOn` step, released in order.
   */
  deps: InstanceRecord | DepEntry[] | undefined = undefined;
  /** Where it is registered for reuse: the container's shared map, or (scoped) its scope. */
  home: Map<Registration, InstanceRecord> | EngineScope | undefined = undefined;
  private h0: Holder | undefined = undefined;
  private c0 = 0;
  private h1: Holder | undefined = undefined;
  private c1 = 0;
  /** Its neighbours in the container's live list (a `LinkedList`). */
  linkPrev: InstanceRecord | undefined = undefined;
  linkNext: InstanceRecord | undefined = undefined;
  /** The rarely used fields, below, made on first write. */
  private x: RecordExtra | undefined = undefined;

  /** Whether any of the rarely used fields was ever set. */
  get hasExtra(): boolean {
    return this.x !== undefined;
  }

  private get extra(): RecordExtra {
    return (this.x ??= new RecordExtra());
  }

  /** Set while a parallel group is being acquired: completed members land here. */
  get group(): InstanceRecord[] | undefined {
    return this.x?.group;
  }
  set group(v: InstanceRecord[] | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.group = v;
  }
  /** Set while a parallel group is being acquired: told at once when a member's creation fails. */
  get groupFailed(): ((error: unknown) => void) | undefined {
    return this.x?.groupFailed;
  }
  set groupFailed(v: ((error: unknown) => void) | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.groupFailed = v;
  }
  /** Pending acquisitions of this instance while it starts, in arrival order. */
  get waiters(): Set<Waiter> | undefined {
    return this.x?.waiters;
  }
  set waiters(v: Set<Waiter> | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.waiters = v;
  }
  /** Acquisitions this instance is waiting for while it starts (given up if its creation is abandoned). */
  get childWaiters(): Set<Waiter> | undefined {
    return this.x?.childWaiters;
  }
  set childWaiters(v: Set<Waiter> | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.childWaiters = v;
  }
  /** Instances this one is creating or waiting for: the edges of the waits-for graph used for cycles. */
  get waitingOn(): Set<InstanceRecord> | undefined {
    return this.x?.waitingOn;
  }
  set waitingOn(v: Set<InstanceRecord> | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.waitingOn = v;
  }
  /** The creation's signal, made on first use. */
  get ctl(): AbortController | undefined {
    return this.x?.ctl;
  }
  set ctl(v: AbortController | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.ctl = v;
  }
  /** True when every waiter left before creation finished: the result is disposed at once. */
  get abandoned(): boolean {
    return this.x !== undefined && this.x.abandoned;
  }
  set abandoned(v: boolean) {
    if (v || this.x !== undefined) this.extra.abandoned = v;
  }
  get abandonReason(): unknown {
    return this.x?.abandonReason;
  }
  set abandonReason(v: unknown) {
    if (v !== undefined || this.x !== undefined) this.extra.abandonReason = v;
  }
  /** The instance's own task scope, made on first use. */
  get ownScope(): OwnScope | undefined {
    return this.x?.ownScope;
  }
  set ownScope(v: OwnScope | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.ownScope = v;
  }
  get keepAliveTimer(): Timer | undefined {
    return this.x?.keepAliveTimer;
  }
  set keepAliveTimer(v: Timer | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.keepAliveTimer = v;
  }
  /** Set when the instance crashed after it was ready. */
  get crashed(): boolean {
    return this.x !== undefined && this.x.crashed;
  }
  set crashed(v: boolean) {
    if (v || this.x !== undefined) this.extra.crashed = v;
  }
  /** Set when something it depends on crashed: it goes once its holders let go (SEMANTICS 5.11). */
  get dependencyCrashed(): boolean {
    return this.x !== undefined && this.x.dependencyCrashed;
  }
  set dependencyCrashed(v: boolean) {
    if (v || this.x !== undefined) this.extra.dependencyCrashed = v;
  }
  /** The built value while its `@onInit` hooks run, to dispose it if they fail. */
  get built(): { value: unknown } | undefined {
    return this.x?.built;
  }
  set built(v: { value: unknown } | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.built = v;
  }
  /** Failures of its own tasks (or crashes of its dependencies) while it was starting: the creation fails. */
  get pendingFailures(): unknown[] | undefined {
    return this.x?.pendingFailures;
  }
  set pendingFailures(v: unknown[] | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.pendingFailures = v;
  }
  /** The teardown errors of a failed creation (after its primary error), for when nobody waits for it. */
  get failureTeardown(): unknown[] | undefined {
    return this.x?.failureTeardown;
  }
  set failureTeardown(v: unknown[] | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.failureTeardown = v;
  }
  /** Creation errors of its dependencies it received while it started. */
  get carrying(): Carry[] | undefined {
    return this.x?.carrying;
  }
  set carrying(v: Carry[] | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.carrying = v;
  }
  /** `useService`: resolved when the last holder has released it. */
  get noMoreDependents(): Deferred<void> | undefined {
    return this.x?.noMoreDependents;
  }
  set noMoreDependents(v: Deferred<void> | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.noMoreDependents = v;
  }
  /**
   * Set when its creation has failed, from the first moment: it is forgotten (the next resolve starts
   * afresh) and may acquire nothing more while it releases what it holds.
   */
  get failing(): boolean {
    return this.x !== undefined && this.x.failing;
  }
  set failing(v: boolean) {
    if (v || this.x !== undefined) this.extra.failing = v;
  }
  /** `useService`: the task running the service function. */
  get serviceTask(): ServiceTask | undefined {
    return this.x?.serviceTask;
  }
  set serviceTask(v: ServiceTask | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.serviceTask = v;
  }

  constructor(
    readonly reg: Registration,
    readonly lifetime: Lifetime,
    /** The scope its scoped dependencies come from (its own scope for scoped, the requester's for transient). */
    readonly scope: EngineScope,
    /** The instance that first asked for it, for resolution paths and cycle checks (until it is ready). */
    public parent: InstanceRecord | undefined,
    /** Shared, singleton, or held by one of those: may not capture a scoped service. */
    readonly longLived: boolean,
  ) {
    reg.starting++;
    reg.host.starting++;
  }

  /** Remove it from its shared map or scope, so that the next resolve starts afresh. */
  unmap(): void {
    const home = this.home;
    if (home === undefined) return;
    this.home = undefined;
    if (home instanceof Map) {
      if (home.get(this.reg) === this) home.delete(this.reg);
      if (this.reg.instance === this) this.reg.instance = undefined;
    } else home.held.removeScoped(this);
  }

  get name(): string {
    return this.reg.name;
  }

  /** What `currentScope()` sees while this instance's constructor runs (made only if it asks). */
  toAmbient(): Ambient {
    return recordAmbient.make(this);
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
    else if (this.h1 === holder) this.c1++;
    else {
      // Two holders (a long-lived one and a request's) fit in the record; a Map only past that, since a
      // Map that empties and fills again reallocates its table each time.
      const more = this.x?.more;
      const n = more?.get(holder);
      if (n !== undefined) more!.set(holder, n + 1);
      else if (this.h0 === undefined) {
        this.h0 = holder;
        this.c0 = 1;
      } else if (this.h1 === undefined) {
        this.h1 = holder;
        this.c1 = 1;
      } else (this.extra.more ??= new Map()).set(holder, 1);
    }
    if (this.x?.keepAliveTimer !== undefined) {
      cancelTimer(this.x.keepAliveTimer);
      this.x.keepAliveTimer = undefined;
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
    } else if (this.h1 === holder) {
      removed = Math.min(count, this.c1);
      this.c1 -= removed;
      if (this.c1 === 0) this.h1 = undefined;
    } else if (this.x?.more !== undefined) {
      const more = this.x.more;
      const c = more.get(holder);
      if (c !== undefined) {
        removed = Math.min(count, c);
        if (c === removed) more.delete(holder);
        else more.set(holder, c - removed);
      }
    }
    this.refCount -= removed;
    return removed;
  }

  countOf(holder: Holder): number {
    if (this.h0 === holder) return this.c0;
    if (this.h1 === holder) return this.c1;
    return this.x?.more?.get(holder) ?? 0;
  }

  /** Whether another instance holds it, itself or through its own scope (it is a dependency of something). */
  heldByInstance(): boolean {
    if (this.h0 !== undefined && byInstance(this.h0)) return true;
    if (this.h1 !== undefined && byInstance(this.h1)) return true;
    const more = this.x?.more;
    if (more !== undefined) for (const h of more.keys()) if (byInstance(h)) return true;
    return false;
  }

  /** Every holder with its count. */
  holders(): [Holder, number][] {
    const out: [Holder, number][] = [];
    if (this.h0 !== undefined) out.push([this.h0, this.c0]);
    if (this.h1 !== undefined) out.push([this.h1, this.c1]);
    if (this.x?.more) for (const e of this.x.more) out.push(e);
    return out;
  }

  /** Record an edge to a dependency this instance now holds. */
  addDep(dep: InstanceRecord): void {
    const group = this.x?.group;
    if (group !== undefined) group.push(dep);
    else this.pushDep(dep);
  }

  /** Append a step to the dependency list. */
  pushDep(entry: DepEntry): void {
    const deps = this.deps;
    if (deps === undefined) {
      if (Array.isArray(entry)) this.deps = [entry];
      else this.deps = entry;
    } else if (Array.isArray(deps)) deps.push(entry);
    else this.deps = [deps, entry];
  }

  /** The dependency list as a list (empty when there is none). */
  depList(): DepEntry[] {
    const deps = this.deps;
    return deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
  }

  /** Unique records this instance holds, for inspection. */
  depRecords(): InstanceRecord[] {
    const out = new Set<InstanceRecord>();
    for (const d of this.depList()) {
      if (Array.isArray(d)) for (const r of d) out.add(r);
      else out.add(d);
    }
    return [...out];
  }

  /** A promise that settles when this record is disposed or failed (for resolves that must wait). */
  whenGone(): Promise<void> {
    if (this.state === "disposed" || this.state === "failed") return Promise.resolve();
    return (this.extra.gone ??= deferred<void>()).promise;
  }

  /** starting → ready. */
  markReady(value: unknown): void {
    this.value = value;
    // Paths and cycle checks only follow instances still starting: let the requester go.
    this.parent = undefined;
    this.state = "ready";
    this.reg.starting--;
    this.reg.host.starting--;
  }

  /** starting → failed, or releasing → disposed: the record is over. */
  markOver(state: "failed" | "disposed"): void {
    if (this.state === "starting") {
      this.reg.starting--;
      this.reg.host.starting--;
    }
    this.state = state;
    this.value = state === "failed" ? undefined : this.value;
    if (this.x?.gone) this.x.gone.resolve();
  }
}
