// The reference model of SEMANTICS.md sections 1–5 that the model-based test runs beside the real container:
// references and sharing (1), creation and its failures (2), teardown order (3), crashes and task failures
// that close scopes (5). It is synchronous and only knows what is alive and who holds it; commands run one at
// a time and the real container is awaited until it is quiet before the two are compared.

export type LifetimeName = "transient" | "scoped" | "shared" | "singleton";
export type ProviderKind = "factory" | "class" | "service";
/**
 * How the next creations of a service fail: not at all, in the factory, or after the value was built;
 * `probe` hands the library a value whose `then` throws when read (a factory's result, or what `@onInit`
 * returns), which must fail the creation as a throw would.
 */
export type CreateFailure = "none" | "factory" | "init" | "probe";
/**
 * How the next disposals of a service end. `failHook` makes `@onNoMoreDependents` throw (hooked classes);
 * `probe` makes the disposer return a value whose `then` throws when read (a failed disposal).
 */
export type DisposeMode = "ok" | "fail" | "hang" | "failHook" | "probe";

export interface ServiceSpec {
  readonly index: number;
  readonly name: string;
  readonly lifetime: LifetimeName;
  readonly kind: ProviderKind;
  /** Dependencies: an index, or a parallel group of indices (`dependsOn`; constructor parameters for classes). */
  readonly steps: readonly (number | readonly number[])[];
  /** The value's class has `@onInit` and `@onNoMoreDependents` hooks (factory and class providers). */
  readonly hooks: boolean;
  /** Microtask hops the factory and the disposer take; 0 is synchronous. */
  readonly ticks: number;
}

export type Holder = MScope | MInstance;

export class MScope {
  readonly children: MScope[] = [];
  closed = false;
  /** Someone has taken (or will take) this scope's outcome: the runner, or its parent when it closed. */
  delivered = false;
  /** One entry per reference, in acquisition order. */
  refs: MInstance[] = [];
  readonly scoped = new Map<number, MInstance>();
  constructor(
    readonly name: string,
    readonly parent: MScope | undefined,
  ) {
    parent?.children.push(this);
  }
}

export class MInstance {
  readonly holders = new Map<Holder, number>();
  /** In acquisition order; a parallel group is one entry. */
  readonly deps: (MInstance | MInstance[])[] = [];
  /** The real instance it stands for, bound when the runner first sees it. */
  real: unknown;
  constructor(
    readonly spec: ServiceSpec,
    /** Where its scoped dependencies come from and who pins it (the root for shared and singleton). */
    readonly home: MScope,
    public pinned: boolean,
  ) {}
  get refCount(): number {
    let n = 0;
    for (const c of this.holders.values()) n += c;
    return n;
  }
  /** Dependencies in declaration order, groups flattened (what the factory receives as `ctx.deps`). */
  get flatDeps(): MInstance[] {
    return this.deps.flatMap((d) => (Array.isArray(d) ? d : [d]));
  }
}

class CreationFailed extends Error {}

/** What a resolve, lookup or scope creation does in the model. */
export type Outcome<T> = { kind: "ok"; value: T } | { kind: "closed" } | { kind: "failed" };

export class ReferenceModel {
  readonly root = new MScope("root", undefined);
  readonly scopes: MScope[] = [this.root];
  readonly live = new Set<MInstance>();
  readonly failing: CreateFailure[];
  readonly disposeMode: DisposeMode[];
  private readonly shared = new Map<number, MInstance>();
  private disposed: MInstance[] = [];

  constructor(readonly specs: readonly ServiceSpec[]) {
    this.failing = specs.map(() => "none");
    this.disposeMode = specs.map(() => "ok");
  }

  createScope(parent: MScope, name: string): Outcome<MScope> {
    if (parent.closed) return { kind: "closed" };
    const scope = new MScope(name, parent);
    this.scopes.push(scope);
    return { kind: "ok", value: scope };
  }

  /** SEMANTICS 1.1, 2.1, 2.2: +1 reference, or a failed creation that leaves nothing behind. */
  resolve(scope: MScope, index: number): Outcome<MInstance> {
    if (scope.closed) return { kind: "closed" };
    try {
      return { kind: "ok", value: this.acquire(scope, index, scope) };
    } catch (err) {
      if (err instanceof CreationFailed) return { kind: "failed" };
      throw err;
    }
  }

  /** SEMANTICS 2.6: never creates; +1 reference when found. */
  lookup(scope: MScope, index: number): Outcome<MInstance | undefined> {
    if (scope.closed) return { kind: "closed" };
    const found = this.mapFor(index, scope)?.get(index);
    if (found) this.addRef(found, scope);
    return { kind: "ok", value: found };
  }

  /** SEMANTICS 1.1, 1.3: drop the scope's most recent reference; returns what that disposed. */
  release(scope: MScope, index: number): MInstance[] {
    return this.collect(() => {
      for (let i = scope.refs.length - 1; i >= 0; i--) {
        if (scope.refs[i]!.spec.index !== index) continue;
        const [inst] = scope.refs.splice(i, 1);
        this.dropRef(inst!, scope, 1);
        return;
      }
    });
  }

  /** SEMANTICS 3.2: children first, then every reference and pin of the scope. Returns what it disposed. */
  close(scope: MScope): MInstance[] {
    return this.collect(() => this.closeScope(scope));
  }

  /**
   * SEMANTICS 5.11: every scope that holds the instance, directly or through its dependents (or pins one of
   * them), is cancelled and closes. Returns those scopes.
   */
  crash(inst: MInstance): MScope[] {
    const scopes = new Set<MScope>();
    const seen = new Set<MInstance>([inst]);
    const queue = [inst];
    while (queue.length) {
      const r = queue.pop()!;
      if (r.pinned) scopes.add(r.home);
      for (const holder of r.holders.keys()) {
        if (holder instanceof MScope) scopes.add(holder);
        else if (!seen.has(holder)) {
          seen.add(holder);
          queue.push(holder);
        }
      }
    }
    for (const s of scopes) this.closeScope(s);
    return [...scopes];
  }

  /** How many errors disposing `inst` produces with its current dispose mode. */
  disposalErrors(inst: MInstance): number {
    const mode = this.disposeMode[inst.spec.index];
    if (mode === "fail" || mode === "hang" || mode === "probe") return 1;
    return mode === "failHook" && inst.spec.hooks && inst.spec.kind !== "service" ? 1 : 0;
  }

  /** A canonical picture of what is alive, comparable with the real container's `inspect()`. */
  picture(): { scopes: string[]; instances: string[] } {
    const scopes = this.scopes
      .filter((s) => !s.closed)
      .map((s) => scopeLine(s.name, s.parent?.name))
      .sort();
    const labels = new Map<MInstance, string>();
    const label = (inst: MInstance): string => {
      let l = labels.get(inst);
      if (l === undefined) {
        const holders = [...inst.holders.keys()].map((h) =>
          h instanceof MScope ? `@${h.name}` : `(${label(h)})`,
        );
        l = instanceLine(
          inst.spec.name,
          inst.spec.lifetime,
          inst.refCount,
          inst.pinned ? inst.home.name : undefined,
          holders,
        );
        labels.set(inst, l);
      }
      return l;
    };
    return { scopes, instances: [...this.live].map(label).sort() };
  }

  // ----- the rules ------------------------------------------------------------------------------------------

  private mapFor(index: number, scope: MScope): Map<number, MInstance> | undefined {
    const lifetime = this.specs[index]!.lifetime;
    if (lifetime === "shared" || lifetime === "singleton") return this.shared;
    return lifetime === "scoped" ? scope.scoped : undefined;
  }

  private acquire(holder: Holder, index: number, scope: MScope): MInstance {
    const spec = this.specs[index]!;
    const map = this.mapFor(index, scope);
    const existing = map?.get(index);
    if (existing) {
      this.addRef(existing, holder);
      return existing;
    }
    const home = map === this.shared ? this.root : scope;
    const inst = new MInstance(spec, home, spec.lifetime === "scoped" || spec.lifetime === "singleton");
    try {
      for (const step of spec.steps) {
        if (typeof step === "number") inst.deps.push(this.acquire(inst, step, home));
        else {
          const group: MInstance[] = [];
          inst.deps.push(group);
          for (const d of step) group.push(this.acquire(inst, d, home));
        }
      }
      if (this.failing[index] !== "none") throw new CreationFailed(spec.name);
    } catch (err) {
      // SEMANTICS 2.2: release what it acquired, in reverse order.
      this.releaseDeps(inst);
      throw err;
    }
    map?.set(index, inst);
    this.live.add(inst);
    this.addRef(inst, holder);
    return inst;
  }

  private addRef(inst: MInstance, holder: Holder): void {
    inst.holders.set(holder, (inst.holders.get(holder) ?? 0) + 1);
    if (holder instanceof MScope) holder.refs.push(inst);
  }

  private dropRef(inst: MInstance, holder: Holder, count: number): void {
    const left = (inst.holders.get(holder) ?? 0) - count;
    if (left > 0) inst.holders.set(holder, left);
    else inst.holders.delete(holder);
    if (inst.refCount === 0 && !inst.pinned && this.live.has(inst)) this.dispose(inst);
  }

  /** SEMANTICS 1.3, 3.1: gone from the maps, then its own references dropped, last acquired first. */
  private dispose(inst: MInstance): void {
    this.live.delete(inst);
    const map = this.mapFor(inst.spec.index, inst.home);
    if (map?.get(inst.spec.index) === inst) map.delete(inst.spec.index);
    this.disposed.push(inst);
    this.releaseDeps(inst);
  }

  private releaseDeps(inst: MInstance): void {
    for (let i = inst.deps.length - 1; i >= 0; i--) {
      const entry = inst.deps[i]!;
      for (const dep of Array.isArray(entry) ? entry : [entry]) this.dropRef(dep, inst, 1);
    }
    inst.deps.length = 0;
  }

  private closeScope(scope: MScope): void {
    if (scope.closed) return;
    scope.closed = true;
    for (const child of scope.children) {
      // SEMANTICS 9.4: a child's outcome that nobody took goes to the parent that closes it.
      child.delivered = true;
      this.closeScope(child);
    }
    const pinned = [...scope.scoped.values()];
    if (scope === this.root) for (const r of this.live) if (r.spec.lifetime === "singleton") pinned.push(r);
    scope.scoped.clear();
    for (const r of pinned) r.pinned = false;
    const refs = new Set(scope.refs);
    scope.refs = [];
    for (const r of refs) this.dropRef(r, scope, r.holders.get(scope) ?? 0);
    for (const r of pinned) if (r.refCount === 0 && this.live.has(r)) this.dispose(r);
  }

  private collect(fn: () => void): MInstance[] {
    this.disposed = [];
    fn();
    return this.disposed;
  }
}

/** One live scope, as the model and the real container both describe it. */
export function scopeLine(name: string, parent: string | undefined): string {
  return `${name} < ${parent ?? "-"}`;
}

/** One live instance, described by its holders (recursively), so that two pictures compare without ids. */
export function instanceLine(
  token: string,
  lifetime: string,
  refCount: number,
  pinnedBy: string | undefined,
  holders: string[],
): string {
  return `${token}/${lifetime} refs=${refCount} pin=${pinnedBy ?? "-"} <- [${[...holders].sort().join(", ")}]`;
}
