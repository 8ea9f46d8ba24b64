// Why over 300 lines: acquiring and creating recurse into each other (a creation acquires its parameters,
// its dependsOn steps and its factory's ctx.resolve, each of which may create), so they share this file
// rather than close an import cycle. Resolving: the entry points for scopes, acquiring a registration, the
// creation steps, the factory context.
import { ConfigurationError, CycleError, LifetimeError, ResolutionError } from "../errors.js";
import { combineErrors, isPromise, type MaybePromise, withDepth } from "../internal/maybe.js";
import { hooksOf, lacksMetadata, missingMetadata, type ParamSpec } from "../internal/metadata.js";
import { checkMs } from "../internal/timer.js";
import { Lifetime } from "../lifetimes.js";
import { type AnyToken, checkToken, type Token, tokenName } from "../tokens.js";
import { build } from "./build.js";
import {
  chainOf,
  pathOf,
  checkJoinCycle,
  checkNewCycle,
  describeToken,
  holdCycle,
  lazyHolder,
} from "./cycles.js";
import { afterFailure } from "./failure.js";
import { join } from "./flight.js";
import { acquireGroup } from "./group.js";
import { addRef } from "./holders.js";
import {
  ACQUIRED,
  type AcquireOptions,
  type EngineFactoryContext,
  type EngineScope,
  type Holder,
  InstanceRecord,
  type Registration,
} from "./model.js";
import { creationFailed, creationSucceeded } from "./outcome.js";
import { implicitRequester, ownScopeOf } from "./own-scope.js";
import { dropRef, releaseOrphan } from "./release.js";

/** `scope.resolve(token)`: +1 reference held by the scope. */
export function acquireFor(
  scope: EngineScope,
  token: unknown,
  options?: AcquireOptions,
): MaybePromise<unknown> {
  if (options?.timeoutMs !== undefined) checkMs(options.timeoutMs, "timeoutMs", "resolve");
  if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
  return acquire(scope, checkToken(token, "resolve"), scope, undefined, false, options);
}

/**
 * `scope.resolveAll(token)`: every provider, in registration order, one after another. All or nothing: when
 * one fails, the references taken for the others are dropped again, last first, before it rejects.
 */
export async function acquireAllFor(scope: EngineScope, token: unknown): Promise<unknown[]> {
  const t = checkToken(token, "resolveAll");
  const regs = scope.container.registrationsFor(t);
  const values: unknown[] = [];
  const acquired: InstanceRecord[] = [];
  const options: AcquireOptions = { [ACQUIRED]: acquired };
  try {
    for (const reg of regs) values.push(await acquireReg(scope, reg, t, scope, undefined, false, options));
  } catch (err) {
    const errors: unknown[] = [err];
    for (let i = acquired.length - 1; i >= 0; i--) {
      const record = acquired[i]!;
      // References are counted, not told apart: any one the scope still holds stands for this call's.
      const n = record.countOf(scope);
      if (n === 0) continue;
      if (n === 1) scope.held.removeRefEntry(record);
      await dropRef(record, scope, 1, errors);
    }
    throw combineErrors(errors, `resolveAll(${tokenName(t)})`);
  }
  return values;
}

/** `scope.lookup(token)`: the ready instance (+1 reference) or undefined; never creates, never waits. */
export function lookupFor(scope: EngineScope, token: unknown): unknown {
  const t = checkToken(token, "lookup");
  let reg = scope.container.findRegistration(t);
  for (let hops = 0; reg?.kind === "existing" && hops < 100; hops++)
    reg = scope.container.findRegistration(reg.existing!);
  if (!reg) return undefined;
  if (reg.kind === "value") return reg.value;
  let record: InstanceRecord | undefined;
  if (reg.lifetime === Lifetime.Shared || reg.lifetime === Lifetime.Singleton) record = reg.instance;
  else if (reg.lifetime === Lifetime.Scoped) record = scope.held.findScoped(reg);
  if (!record || record.state !== "ready" || record.dying) return undefined;
  addRef(record, scope);
  return record.value;
}

/**
 * Acquire `token` for `holder`: the value now when everything needed is ready, else a promise.
 * `scope` is where scoped dependencies come from; `requester` is the instance being created, if any.
 */
export function acquire(
  holder: Holder,
  token: Token,
  scope: EngineScope,
  requester: InstanceRecord | undefined,
  longLived: boolean,
  options: AcquireOptions | undefined,
): MaybePromise<unknown> {
  const reg = scope.container.findRegistration(token);
  if (reg === undefined) {
    throw new ResolutionError(
      lacksMetadata(token)
        ? `No provider for ${describeToken(token)}. ${missingMetadata(token)}`
        : `No provider for ${describeToken(token)}. Register it with container.register(…) or decorate the class ` +
            `with @scopedService / @injectable.`,
      [...pathOf(requester), tokenName(token)],
    );
  }
  return acquireReg(holder, reg, token, scope, requester, longLived, options);
}

function acquireReg(
  holder: Holder,
  reg: Registration,
  token: Token,
  scope: EngineScope,
  requester: InstanceRecord | undefined,
  longLived: boolean,
  options: AcquireOptions | undefined,
  aliases?: Set<Registration>,
): MaybePromise<unknown> {
  switch (reg.kind) {
    case "value":
      return reg.value;
    case "fallback":
      return scope.container.fallbackResolve(token);
    case "existing": {
      const seen = aliases ?? new Set<Registration>();
      if (seen.has(reg)) throw new CycleError([...[...seen].map((r) => r.name), reg.name]);
      seen.add(reg);
      const target = scope.container.findRegistration(reg.existing!);
      if (!target) return acquire(holder, reg.existing!, scope, requester, longLived, options);
      return acquireReg(holder, target, reg.existing!, scope, requester, longLived, options, seen);
    }
  }
  const lifetime = reg.lifetime;
  if (lifetime === Lifetime.Scoped && longLived && requester) {
    const path = [...pathOf(requester), reg.name];
    const captor = chainOf(requester).find(
      (r) => r.lifetime === Lifetime.Shared || r.lifetime === Lifetime.Singleton,
    );
    throw new LifetimeError(
      captor ? path.slice(chainOf(requester).indexOf(captor)) : path,
      captor?.lifetime ?? "shared",
    );
  }
  const container = scope.container;
  const shared = lifetime === Lifetime.Shared || lifetime === Lifetime.Singleton;
  const existing = shared
    ? reg.instance
    : lifetime === Lifetime.Scoped
      ? scope.held.findScoped(reg)
      : undefined;
  if (existing !== undefined) {
    if (existing.state === "ready" && !existing.dying) {
      // A ready instance asking for it (a lazy ctx.resolve, or through its own scope) while it holds that
      // instance, directly or not: a cycle of references.
      if (requester === undefined && (holder !== scope || scope.kind === "instance")) {
        const lazy = lazyHolder(holder);
        if (lazy !== undefined) {
          const cycle = holdCycle(existing, lazy);
          if (cycle !== undefined) throw cycle;
        }
      }
      addRef(existing, holder);
      if (options !== undefined) options[ACQUIRED]?.push(existing);
      return existing.value;
    }
    if (existing.state === "starting") {
      const by = requester ?? (holder === scope ? implicitRequester(scope) : undefined);
      checkJoinCycle(existing, by);
      return join(existing, holder, options, undefined, requester === undefined ? by : undefined);
    }
    // Releasing (or crashed, or a dependency did): wait for the release to finish, then get a fresh
    // instance (SEMANTICS 1.4).
    return join(existing, holder, options, () =>
      acquireReg(holder, reg, token, scope, requester, longLived, options, aliases),
    );
  }
  // A resolve through a scope made by code that is part of a creation (its factory, its own scope) is that
  // creation's request: it is followed by paths and cycle checks like a `ctx.resolve`.
  const by = requester ?? (holder === scope ? implicitRequester(scope) : undefined);
  checkNewCycle(reg, scope, by);
  const record = new InstanceRecord(reg, lifetime, shared ? container.root : scope, by, longLived || shared);
  if (shared) {
    container.instances.set(reg, record);
    reg.instance = record;
    record.home = container.instances;
  } else if (lifetime === Lifetime.Scoped) {
    scope.held.addScoped(record);
    record.home = scope;
  }
  record.pinned = lifetime === Lifetime.Singleton || lifetime === Lifetime.Scoped;
  let result: MaybePromise<unknown>;
  try {
    result = withDepth(create, record, undefined);
    if (!isPromise(result) && lifetime === Lifetime.Transient && !(holder instanceof InstanceRecord)) {
      let dissolved = false;
      try {
        dissolved = dissolve(record, result, holder, options?.[ACQUIRED]);
      } catch (err) {
        // Probing the value failed (a getter or a Proxy threw): a failure of this creation (class 4).
        result = afterFailure(record, err);
      }
      if (dissolved) return result;
    }
  } catch (err) {
    creationFailed(record, err, true);
    throw err;
  }
  if (!isPromise(result)) {
    container.live.add(record);
    record.markReady(result);
    if (requester === undefined && (holder !== scope || scope.kind === "instance")) {
      const lazy = lazyHolder(holder);
      const cycle = lazy !== undefined ? holdCycle(record, lazy) : undefined;
      if (cycle !== undefined) {
        // Built for a ready instance it already holds: nobody else holds it, so it goes at once.
        record.abandoned = true;
        void releaseOrphan(record);
        throw cycle;
      }
    }
    addRef(record, holder);
    if (options !== undefined) options[ACQUIRED]?.push(record);
    return result;
  }
  container.live.add(record);
  // The requester now waits for it: join() records the waits-for edge used by the cycle check.
  const waiting = join(record, holder, options, undefined, requester === undefined ? by : undefined);
  result.then(
    (value) => creationSucceeded(record, value),
    (err: unknown) => creationFailed(record, err),
  );
  return waiting;
}

/**
 * A transient built synchronously that has nothing to run at close (no disposer, no hooks, no own scope)
 * and holds only pinned instances (scoped or singleton, which outlive it anyway) is not tracked: the
 * scope that resolved it holds its dependencies instead, so that a crash of one still reaches that scope.
 * Nothing observable changes but `inspect()`, which no longer lists it.
 */
function dissolve(
  record: InstanceRecord,
  value: unknown,
  scope: EngineScope,
  acquired: InstanceRecord[] | undefined,
): boolean {
  const reg = record.reg;
  if (reg.kind !== "class" || reg.dispose !== undefined || record.hasExtra) return false;
  const deps = record.deps;
  if (deps !== undefined) {
    if (!Array.isArray(deps)) {
      if (!deps.pinned) return false;
    } else {
      for (let i = 0; i < deps.length; i++) {
        const d = deps[i]!;
        if (Array.isArray(d) || !d.pinned) return false;
      }
    }
  }
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string | symbol, unknown>;
  if (v[Symbol.asyncDispose] !== undefined || v[Symbol.dispose] !== undefined || v.dispose !== undefined) {
    return false;
  }
  // A facet Service never gets here: its start makes the creation asynchronous (afterBuild).
  if (hooksOf(value) !== null) return false;
  if (deps !== undefined) {
    if (!Array.isArray(deps)) {
      deps.removeHolder(record, 1);
      addRef(deps, scope);
      acquired?.push(deps);
    } else {
      for (let i = 0; i < deps.length; i++) {
        const d = deps[i] as InstanceRecord;
        d.removeHolder(record, 1);
        addRef(d, scope);
        acquired?.push(d);
      }
    }
    record.deps = undefined;
  }
  record.markOver("disposed");
  return true;
}

/** Acquire dependencies, build, run hooks. On failure, release what was acquired, then rethrow. */
function create(record: InstanceRecord): MaybePromise<unknown> {
  let result: MaybePromise<unknown>;
  try {
    result = createSteps(record);
  } catch (err) {
    return afterFailure(record, err);
  }
  return isPromise(result) ? result.catch((err: unknown) => afterFailure(record, err)) : result;
}

/** The constructor arguments of a factory or useService, which has none. */
const NO_ARGS: unknown[] = [];

/** A factory's context (a useService function gets its own scope instead). */
function contextFor(record: InstanceRecord, deps: unknown[]): EngineFactoryContext | undefined {
  return record.reg.kind === "factory" ? factoryContext(record, deps) : undefined;
}

function createSteps(record: InstanceRecord): MaybePromise<unknown> {
  const reg = record.reg;
  if (reg.kind === "class") {
    const params = reg.params;
    const args = new Array<unknown>(params.length);
    for (let i = 0; i < params.length; i++) {
      const v = acquireParam(record, params[i]!);
      if (isPromise(v)) return classAsync(record, args, i, v);
      args[i] = v;
    }
    if (reg.dependsOn.length > 0) return acquireDependsOn(record).then(() => build(record, args, undefined));
    return build(record, args, undefined);
  }
  if (reg.dependsOn.length > 0) {
    return acquireDependsOn(record).then((deps) => build(record, NO_ARGS, contextFor(record, deps)));
  }
  return build(record, NO_ARGS, contextFor(record, []));
}

async function classAsync(record: InstanceRecord, args: unknown[], from: number, pending: Promise<unknown>) {
  const params = record.reg.params;
  args[from] = await pending;
  for (let i = from + 1; i < params.length; i++) args[i] = await acquireParam(record, params[i]!);
  if (record.reg.dependsOn.length > 0) await acquireDependsOn(record);
  return build(record, args, undefined);
}

function acquireParam(record: InstanceRecord, spec: ParamSpec): MaybePromise<unknown> {
  const raw = spec.token;
  const token =
    typeof raw === "function" || typeof raw === "string" || typeof raw === "symbol"
      ? (raw as Token)
      : checkToken(raw as AnyToken, `${record.name} constructor`);
  if (spec.multiple) return acquireAll(record, token);
  if (spec.optional && !record.reg.host.canResolve(token)) return undefined;
  return acquire(record, token, record.scope, record, record.longLived, undefined);
}

async function acquireAll(record: InstanceRecord, token: Token): Promise<unknown[]> {
  const regs = record.reg.host.registrationsFor(token, true);
  return acquireGroup(
    record,
    regs.map(
      (reg) => () => acquireReg(record, reg, token, record.scope, record, record.longLived, undefined),
    ),
  );
}

/** The `dependsOn` list: steps one after another, an inner array in parallel (SEMANTICS 1.6, 2.3). */
async function acquireDependsOn(record: InstanceRecord): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const step of record.reg.dependsOn) {
    if (!step.parallel) {
      const [value] = await acquireGroup(record, [
        () => acquire(record, step.token, record.scope, record, record.longLived, undefined),
      ]);
      out.push(value);
    } else {
      const tokens = step.tokens;
      out.push(
        ...(await acquireGroup(
          record,
          tokens.map((t) => () => acquire(record, t, record.scope, record, record.longLived, undefined)),
        )),
      );
    }
  }
  return out;
}

export function factoryContext(record: InstanceRecord, deps: unknown[]): EngineFactoryContext {
  return {
    deps,
    get signal() {
      return record.creationSignal;
    },
    get scope() {
      return ownScopeOf(record);
    },
    resolve<T>(token: Token<T>): Promise<T> {
      try {
        const t = checkToken(token, `${record.name} ctx.resolve`);
        if (record.failing || (record.state !== "starting" && record.state !== "ready")) {
          throw new ConfigurationError(
            `${record.name}: ctx.resolve called after the instance ${record.failing ? "failed" : `was ${record.state}`}.`,
          );
        }
        const v = acquire(
          record,
          t,
          record.scope,
          record.state === "starting" ? record : undefined,
          record.longLived,
          undefined,
        );
        return (isPromise(v) ? v : Promise.resolve(v)) as Promise<T>;
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}
