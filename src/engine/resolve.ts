import {
  ConfigurationError,
  CycleError,
  LifetimeError,
  ResolutionError,
  ScopeDiedError,
  TimeoutError,
} from "../errors.js";
import { Lifetime } from "../lifetimes.js";
import { logSafely } from "../logger.js";
import { describeResolution, noteCreationFailure } from "../resolution-info.js";
import { checkToken, tokenName, type AnyToken, type Token } from "../tokens.js";
import { currentAmbient, runInAmbient, runSyncInAmbient, type Ambient } from "../internal/ambient.js";
import {
  InstanceRecord,
  recordAmbient,
  type Carry,
  type DepEntry,
  type EngineFactoryContext,
  type EngineScope,
  type Holder,
  type OwnScope,
  type Registration,
  type Waiter,
} from "./model.js";
import { giveUp } from "./flight.js";
import {
  combineErrors,
  deferred,
  isPromise,
  isThenable,
  pushAll,
  withDepth,
  type MaybePromise,
} from "../internal/maybe.js";
import { hooksOf, lacksMetadata, missingMetadata, type ParamSpec } from "../internal/metadata.js";
import { addAbortCallback, removeAbortCallback } from "../internal/on-abort.js";
import { isCancellation } from "../errors.js";
import { disposeBuilt, dropRef, releaseDeps, releaseOrphan } from "./release.js";
import { cancelTimer, checkMs, startTimer, type Timer } from "../internal/timer.js";

/** The options of an acquisition; `resolveAll` adds where to note what it acquired (a key no caller has). */
const ACQUIRED = Symbol("acquired");

interface AcquireOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  [ACQUIRED]?: InstanceRecord[];
}

/** `scope.resolve(token)`: +1 reference held by the scope. */
export function acquireFromScope(
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
export async function resolveAllFromScope(scope: EngineScope, token: unknown): Promise<unknown[]> {
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
      if (n === 1) scope.removeRefEntry(record);
      await dropRef(record, scope, 1, errors);
    }
    throw combineErrors(errors, `resolveAll(${tokenName(t)})`);
  }
  return values;
}

/** `scope.lookup(token)`: the ready instance (+1 reference) or undefined; never creates, never waits. */
export function lookupInScope(scope: EngineScope, token: unknown): unknown {
  const t = checkToken(token, "lookup");
  let reg = scope.container.findRegistration(t);
  for (let hops = 0; reg?.kind === "existing" && hops < 100; hops++)
    reg = scope.container.findRegistration(reg.existing!);
  if (!reg) return undefined;
  if (reg.kind === "value") return reg.value;
  let record: InstanceRecord | undefined;
  if (reg.lifetime === Lifetime.Shared || reg.lifetime === Lifetime.Singleton) record = reg.instance;
  else if (reg.lifetime === Lifetime.Scoped) record = scope.findScoped(reg);
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
  const existing = shared ? reg.instance : lifetime === Lifetime.Scoped ? scope.findScoped(reg) : undefined;
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
    scope.addScoped(record);
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

/** Add one reference from `holder` to a ready record. */
export function addRef(record: InstanceRecord, holder: Holder): void {
  if (!(holder instanceof InstanceRecord)) {
    if (record.countOf(holder) === 0) holder.addRefEntry(record);
  } else {
    holder.addDep(record);
  }
  record.addHolder(holder);
}

/**
 * Wait for a starting record as `holder`; the reference is added when it is ready. With `afterRelease`, wait
 * instead until a releasing (or crashed) record is gone, then continue with `afterRelease()`. Either wait is
 * given up like any pending resolve: with its scope (or the creation that needs it), signal or timeout.
 */
function join(
  record: InstanceRecord,
  holder: Holder,
  options: AcquireOptions | undefined,
  afterRelease?: () => MaybePromise<unknown>,
  by?: InstanceRecord,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    let timer: Timer | undefined;
    let signal: AbortSignal | undefined;
    let ambientSignal: AbortSignal | undefined;
    let onAbort: (() => void) | undefined;
    let onAmbientAbort: (() => void) | undefined;
    const waiter: Waiter = {
      record,
      holder,
      settled: false,
      acquired: options?.[ACQUIRED],
      resolve,
      reject,
      cleanup() {
        if (!(holder instanceof InstanceRecord)) {
          holder.pendingWaiters?.delete(waiter);
          by?.waitingOn?.delete(record);
        } else {
          holder.childWaiters?.delete(waiter);
          holder.waitingOn?.delete(record);
        }
        cancelTimer(timer);
        if (onAbort) removeAbortCallback(signal!, onAbort);
        if (onAmbientAbort) removeAbortCallback(ambientSignal!, onAmbientAbort);
      },
      giveUp(reason: unknown) {
        giveUp(waiter, reason);
      },
    };
    if (afterRelease === undefined) (record.waiters ??= new Set()).add(waiter);
    else {
      void record.whenGone().then(() => {
        if (waiter.settled) return;
        waiter.settled = true;
        waiter.cleanup();
        try {
          resolve(afterRelease());
        } catch (err) {
          reject(err);
        }
      });
    }
    if (!(holder instanceof InstanceRecord)) {
      (holder.pendingWaiters ??= new Set()).add(waiter);
      // A creation waiting through a scope: the waits-for edge the cycle check follows.
      if (by !== undefined) (by.waitingOn ??= new Set()).add(record);
      signal = options?.signal;
      if (signal) {
        onAbort = () => giveUp(waiter, signal!.reason);
        addAbortCallback(signal, onAbort);
      }
      const ambient = currentAmbient();
      ambientSignal = ambient?.signal;
      if (ambientSignal && ambientSignal !== signal) {
        if (ambientSignal.aborted) {
          giveUp(waiter, ambientSignal.reason);
          return;
        }
        onAmbientAbort = () => giveUp(waiter, ambientSignal!.reason);
        addAbortCallback(ambientSignal, onAmbientAbort);
      }
      const ms = options?.timeoutMs;
      if (ms !== undefined) {
        timer = startTimer(ms, () =>
          giveUp(waiter, new TimeoutError(`Resolving ${record.name} took longer than ${ms} ms.`, ms)),
        );
      }
    } else {
      (holder.childWaiters ??= new Set()).add(waiter);
      if (afterRelease === undefined) (holder.waitingOn ??= new Set()).add(record);
    }
  });
}

/** Settle every waiter still waiting; returns whether anyone received the outcome. */
function settleWaiters(record: InstanceRecord, settle: (w: Waiter) => void): boolean {
  const waiters = record.waiters;
  record.waiters = undefined;
  if (!waiters) return false;
  let delivered = false;
  for (const w of waiters) {
    if (w.settled) continue;
    w.settled = true;
    w.cleanup();
    delivered = true;
    settle(w);
  }
  return delivered;
}

function creationSucceeded(record: InstanceRecord, value: unknown): void {
  if (record.pendingFailures !== undefined) {
    // Its useService function or a background task failed after the value was built but before it was
    // ready (a second register(), say): the creation fails with that error, like one that failed earlier.
    record.built = { value };
    let failing: Promise<never>;
    try {
      failing = afterFailure(record, record.pendingFailures[0]);
    } catch (err) {
      creationFailed(record, err);
      return;
    }
    failing.catch((err: unknown) => creationFailed(record, err));
    return;
  }
  record.markReady(value);
  // A dependency's creation error it got past (a factory catching ctx.resolve) reached its user code.
  dropCarried(record, true);
  let delivered = false;
  settleWaiters(record, (w) => {
    const lazy = lazyHolder(w.holder);
    const cycle = lazy !== undefined ? holdCycle(record, lazy) : undefined;
    if (cycle !== undefined) {
      // A ready instance waited for it (a lazy ctx.resolve) and it holds that instance: never handed over.
      w.reject(cycle);
      return;
    }
    delivered = true;
    addRef(record, w.holder);
    w.acquired?.push(record);
    w.resolve(value);
  });
  if (!delivered) {
    // Every requester went away while it started: dispose it at once (SEMANTICS 2.4).
    record.abandoned = true;
    record.unmap();
    void releaseOrphan(record);
  }
}

function creationFailed(record: InstanceRecord, err: unknown, thrown = false): void {
  // Keep where it failed beside the error, which every waiter receives unwrapped (SEMANTICS 2.2).
  const primaryError = record.failureTeardown?.length ? (err as AggregateError).errors[0] : err;
  for (const e of primaryError === err ? [err] : [err, primaryError]) {
    const carried = typeof e === "object" && e !== null ? carries.get(e) : undefined;
    noteCreationFailure(e, record, carried !== undefined && record.carrying?.includes(carried) === true);
  }
  record.unmap();
  const container = record.reg.host;
  container.live.delete(record);
  record.markOver("failed");
  const carry = carryOf(err);
  let received = false;
  const delivered =
    settleWaiters(record, (w) => {
      w.reject(err);
      if (!(w.holder instanceof InstanceRecord)) received = true;
      else {
        if (carry) {
          carry.carriers++;
          (w.holder.carrying ??= []).push(carry);
        }
        // A parallel group gives up its other members now, before they can fail on their own (SEMANTICS 2.3).
        w.holder.groupFailed?.(err);
      }
    }) || thrown;
  if (carry && received) carry.received = true;
  if (!delivered) {
    // Nobody waits any more (the creation was abandoned): its teardown errors go to the container, and a
    // failure that is not the echo of the abandonment is logged (SEMANTICS 4.5).
    const teardown = record.failureTeardown ?? [];
    const primary = teardown.length ? (err as AggregateError).errors[0] : err;
    if (!isCancellation(primary, record.abandonReason)) {
      reportOnce(record, primary, () =>
        logSafely(
          container.logger,
          "warn",
          `Abandoned ${record.name} failed${describeResolution(primary)}`,
          primary,
        ),
      );
    }
    for (const e of teardown) reportOnce(record, e, () => container.reportOrphan(e, record.name));
  }
  record.failureTeardown = undefined;
  dropCarried(record, received);
}

const carries = new WeakMap<object, Carry>();

function carryOf(err: unknown): Carry | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  let carry = carries.get(err);
  if (!carry) carries.set(err, (carry = { carriers: 0, received: false, report: undefined }));
  return carry;
}

/**
 * Report an error of an abandoned creation; one a dependency passed on to it is reported only if no
 * requester received it, once the last dependent carrying it is done (SEMANTICS 4.5: reported once).
 */
function reportOnce(record: InstanceRecord, error: unknown, report: () => void): void {
  const carry = typeof error === "object" && error !== null ? carries.get(error) : undefined;
  if (carry && record.carrying?.includes(carry)) carry.report ??= report;
  else report();
}

/** The creation is over: it no longer carries its dependencies' errors (which a requester got, if `received`). */
function dropCarried(record: InstanceRecord, received: boolean): void {
  const carrying = record.carrying;
  record.carrying = undefined;
  for (const carry of carrying ?? []) {
    if (received) carry.received = true;
    if (--carry.carriers === 0 && !carry.received) carry.report?.();
  }
}

// ----- creation ----------------------------------------------------------------------------------------

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

function afterFailure(record: InstanceRecord, err: unknown): never | Promise<never> {
  // The creation has failed: forget it now, so that the next resolve starts afresh while this one still
  // releases what it acquired (SEMANTICS 2.2), and let it acquire nothing more.
  record.failing = true;
  record.unmap();
  if (record.childWaiters) for (const w of [...record.childWaiters]) giveUp(w, err);
  // A background task that failed while it started failed the creation first; what failed after it comes
  // next, unless it is only the echo of the cancellation that failure caused (SEMANTICS 4.2).
  const failures = (from: number): unknown[] =>
    (record.pendingFailures ?? []).slice(from).filter((e) => !isCancellation(e, record.abandonReason));
  const early = record.pendingFailures?.length ?? 0;
  const pending = failures(0);
  const errors: unknown[] =
    pending.length === 0
      ? [err]
      : pending.includes(err) || isCancellation(err, record.abandonReason)
        ? pending
        : [...pending, err];
  const own = record.ownScope;
  const built = record.built;
  // A useService function that already registered waits for this to clean up before it returns.
  record.noMoreDependents?.resolve();
  const steps = (): MaybePromise<void> => {
    const d = built !== undefined ? disposeBuilt(record, built.value, errors) : undefined;
    const afterDispose = (): MaybePromise<void> => {
      const c = own ? own.whenClosedQuietly(errors) : undefined;
      return isPromise(c) ? c.then(() => releaseDeps(record, errors)) : releaseDeps(record, errors);
    };
    return isPromise(d) ? d.then(afterDispose) : afterDispose();
  };
  if (own) own.cancel();
  const r = steps();
  const fail = (): never => {
    // Failures that reached it while it was torn down (a dependency crashing meanwhile) come last.
    pushAll(errors, failures(early));
    record.failureTeardown = errors.slice(1);
    throw combineErrors(errors, `creating ${record.name}`);
  };
  return isPromise(r) ? r.then(fail) : fail();
}

/** The `dependsOn` values of a class, which never sees them (a factory gets a fresh array). */
const NO_DEPS: unknown[] = [];

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
    if (reg.dependsOn.length > 0) return acquireDependsOn(record).then(() => build(record, args, NO_DEPS));
    return build(record, args, NO_DEPS);
  }
  if (reg.dependsOn.length > 0) return acquireDependsOn(record).then((deps) => build(record, [], deps));
  return build(record, [], []);
}

async function classAsync(record: InstanceRecord, args: unknown[], from: number, pending: Promise<unknown>) {
  const params = record.reg.params;
  args[from] = await pending;
  for (let i = from + 1; i < params.length; i++) args[i] = await acquireParam(record, params[i]!);
  if (record.reg.dependsOn.length > 0) await acquireDependsOn(record);
  return build(record, args, NO_DEPS);
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

/** Acquire in parallel (launched in order); the first failure gives up the others (SEMANTICS 2.3). */
function acquireGroup(record: InstanceRecord, starts: (() => MaybePromise<unknown>)[]): Promise<unknown[]> {
  const group: InstanceRecord[] = [];
  record.pushDep(group);
  record.group = group;
  const results = new Array<unknown>(starts.length);
  return new Promise<unknown[]>((resolve, reject) => {
    let remaining = starts.length;
    let failed = false;
    let failure: unknown;
    const end = (): void => {
      record.group = undefined;
      record.groupFailed = undefined;
    };
    const fail = (err: unknown): void => {
      if (failed) {
        // A member that failed by itself after the group had failed, although the group gave it up (it was
        // waiting for an earlier instance's release): nobody else receives that (SEMANTICS 4.5).
        // The failure itself coming back (any value, `undefined` too) is no second error.
        if (err !== failure && !isCancellation(err, failure)) {
          logSafely(
            record.reg.host.logger,
            "warn",
            `A parallel dependency of ${record.name} failed after its group had failed`,
            err,
          );
        }
        return;
      }
      failed = true;
      failure = err;
      end();
      if (record.childWaiters) for (const w of [...record.childWaiters]) giveUp(w, err);
      reject(err);
    };
    const settle = (): void => {
      if (--remaining === 0 && !failed) {
        end();
        resolve(results);
      }
    };
    if (remaining === 0) {
      end();
      resolve(results);
      return;
    }
    record.groupFailed = fail;
    starts.forEach((start, i) => {
      if (failed) return;
      let v: MaybePromise<unknown>;
      try {
        v = start();
      } catch (err) {
        fail(err);
        return;
      }
      if (isPromise(v)) {
        v.then((x) => {
          results[i] = x;
          settle();
        }, fail);
      } else {
        results[i] = v;
        settle();
      }
    });
  });
}

/** What `currentScope()` sees while an instance is built: its own scope, made only if someone asks. */
class RecordAmbient implements Ambient {
  constructor(readonly record: InstanceRecord) {}
  get scope(): EngineScope {
    return ownScopeOf(this.record);
  }
  get signal(): AbortSignal {
    return this.record.creationSignal;
  }
}

function lazyAmbient(record: InstanceRecord): Ambient {
  return new RecordAmbient(record);
}
recordAmbient.make = lazyAmbient;

function construct(cls: new (...args: unknown[]) => unknown, args: unknown[]): unknown {
  return Reflect.construct(cls, args);
}

/** The instance's own task scope, made on first use (SEMANTICS 3.5, 5.10, 5.11). */
export function ownScopeOf(record: InstanceRecord): OwnScope {
  if (!record.ownScope) {
    const container = record.reg.host;
    const own = container.ownScope(record.name);
    own.onFailure = (err) => instanceFailed(record, err);
    own.ownerRecord = record;
    record.ownScope = own;
    // First used once the instance is over (released, being released, or its creation failed): nothing of
    // it comes back to life, so the scope is closed from the start and every call on it is refused.
    if (record.failing || (record.state !== "starting" && record.state !== "ready")) void own.whenClosed();
  }
  return record.ownScope;
}

function build(record: InstanceRecord, args: unknown[], deps: unknown[]): MaybePromise<unknown> {
  const reg = record.reg;
  let value: MaybePromise<unknown>;
  switch (reg.kind) {
    case "class":
      value = runSyncInAmbient(record, construct, reg.cls!, args);
      // A constructor may return anything, a thenable too: it is awaited like a factory's result, and a
      // `then` that throws (getter or call) fails the creation.
      if (isThenable(value)) value = Promise.resolve(value);
      break;
    case "factory": {
      const ctx = factoryContext(record, deps);
      value = runInAmbient(lazyAmbient(record), () => reg.factory!(ctx));
      if (isThenable(value)) value = Promise.resolve(value);
      break;
    }
    default:
      return runService(record);
  }
  if (isPromise(value)) return value.then((v) => afterBuild(record, v));
  return afterBuild(record, value);
}

function factoryContext(record: InstanceRecord, deps: unknown[]): EngineFactoryContext {
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

/** The value exists: remember it (to dispose it if what follows fails), run `@onInit` hooks. */
function afterBuild(record: InstanceRecord, value: unknown): MaybePromise<unknown> {
  if (record.pendingFailures !== undefined) {
    record.built = { value };
    throw record.pendingFailures[0];
  }
  const hooks = hooksOf(value);
  const start = record.reg.host.serviceStarter;
  const isService = start !== undefined && start.isService(value);
  if (!isService && (!hooks || hooks.init.length === 0)) return value;
  // Something can still fail: remember the value, to dispose it if it does.
  record.built = { value };
  const rest = (): MaybePromise<unknown> =>
    isService
      ? start!.start(value).then(() => {
          start!.watch(value, (err) => {
            if (record.state === "ready" || record.state === "starting") instanceFailed(record, err);
          });
          return finishBuild(record, value);
        })
      : finishBuild(record, value);
  if (!hooks || hooks.init.length === 0) return rest();
  return runHooks(record, value, hooks.init).then(rest);
}

function finishBuild(record: InstanceRecord, value: unknown): unknown {
  if (record.pendingFailures !== undefined) throw record.pendingFailures[0];
  record.built = undefined;
  return value;
}

async function runHooks(record: InstanceRecord, value: unknown, names: (string | symbol)[]): Promise<void> {
  for (const name of names) {
    const fn = (value as Record<string | symbol, unknown>)[name];
    if (typeof fn !== "function") {
      throw new ConfigurationError(`${record.name}: @onInit hook ${String(name)} is not a method.`);
    }
    await runInAmbient(lazyAmbient(record), () => (fn as () => unknown).call(value));
  }
}

/** A `useService` function: a task in the instance's own scope that calls `register(value)` once. */
function runService(record: InstanceRecord): Promise<unknown> {
  const own = ownScopeOf(record);
  const registered = deferred<unknown>();
  let hasValue = false;
  own.registerHook = (value: unknown) => {
    if (hasValue) {
      throw new ConfigurationError(`${record.name}: register() was called twice; call it exactly once.`);
    }
    if (record.state !== "starting") {
      throw new ConfigurationError(
        `${record.name}: register() called after the instance was ${record.state}.`,
      );
    }
    hasValue = true;
    registered.resolve(value);
  };
  const nmd = deferred<void>();
  record.noMoreDependents = nmd;
  own.noMoreDependentsHook = () => nmd.promise;
  const task = own.spawnService(record.name, () => record.reg.service!(own));
  record.serviceTask = task;
  task.then(
    () => {
      if (!hasValue) {
        registered.reject(
          new ConfigurationError(
            `${record.name}: the useService function returned without calling register().`,
          ),
        );
      } else if (record.state === "ready" && !record.crashed) {
        instanceFailed(record, undefined, true);
      }
    },
    (err: unknown) => {
      if (!hasValue) registered.reject(err);
      // While it is released, its disposal awaits this function and reports what it throws (SEMANTICS 9.6).
      else if (record.state !== "releasing" || record.reg.dispose) instanceFailed(record, err);
    },
  );
  return registered.promise.then((value) => afterBuild(record, value));
}

/**
 * A background task of the instance (or its `useService` function) failed with `err` (any value, `undefined`
 * too), or the service ended by itself (`ended`). While starting, the creation fails; once ready, it is a
 * crash (SEMANTICS 5.11).
 */
export function instanceFailed(record: InstanceRecord, err: unknown, ended = false): void {
  if (record.state === "starting") {
    (record.pendingFailures ??= []).push(err);
    // The creation will fail: the next resolve starts afresh (SEMANTICS 2.2).
    record.unmap();
    record.ownScope?.cancel();
    return;
  }
  if (record.state !== "ready" || record.crashed) {
    if (!ended) logSafely(record.reg.host.logger, "warn", `${record.name} failed while being released`, err);
    return;
  }
  record.crashed = true;
  record.ownScope?.cancel();
  const scopes = new Set<EngineScope>();
  // Dependents that nobody holds (in their keep-alive window) are disposed now; dependents still starting
  // fail their creation (their waiters are not holders yet).
  const idle: InstanceRecord[] = [];
  const starting: InstanceRecord[] = [];
  const seen = new Set<InstanceRecord>([record]);
  const queue = [record];
  while (queue.length) {
    const r = queue.pop()!;
    if (r.pinned) scopes.add(r.lifetime === Lifetime.Singleton ? r.reg.host.root : r.scope);
    else if (r.refCount === 0) idle.push(r);
    for (const [holder] of r.holders()) {
      if (!(holder instanceof InstanceRecord)) scopes.add(holder);
      else if (!seen.has(holder)) {
        seen.add(holder);
        if (holder.state === "starting") starting.push(holder);
        else {
          holder.dependencyCrashed = true;
          queue.push(holder);
        }
      }
    }
  }
  for (const r of idle) void releaseOrphan(r);
  let received = starting.length > 0;
  for (const r of starting) instanceFailed(r, new ScopeDiedError(record.name, err));
  // Innermost scopes first: an outer one (the root pinning a singleton) would cancel them without a reason.
  for (const scope of [...scopes].sort((a, b) => b.depth - a.depth)) {
    const died = new ScopeDiedError(record.name, err);
    if (scope.kind === "instance" && scope.onFailure) {
      scope.onFailure(died);
      received = true;
    } else if (scope.tryCancel(died)) received = true;
  }
  // No scope took a ScopeDiedError (none holds it, or each was already cancelled with its own reason): the
  // container reports the crash when it closes (SEMANTICS 4.5).
  if (!received && !ended) record.reg.host.reportOrphan(err, record.name);
}

// ----- cycles and paths ----------------------------------------------------------------------------------

function chainOf(record: InstanceRecord | undefined): InstanceRecord[] {
  const chain: InstanceRecord[] = [];
  for (let r = record; r; r = r.parent) chain.unshift(r);
  return chain;
}

function pathOf(record: InstanceRecord | undefined): string[] {
  return chainOf(record).map((r) => r.name);
}

/**
 * The instance a resolve through `scope` is made for, when code that is part of a creation makes it: the
 * owner of the instance scope it goes through (`ctx.scope`, a child of it, `currentScope()` in a task of
 * it), else the creation whose code runs now (a factory or constructor resolving through any scope).
 */
function implicitRequester(scope: EngineScope): InstanceRecord | undefined {
  if (scope.container.starting === 0) return undefined;
  const r = instanceOwner(scope) ?? creationRunning();
  return r !== undefined && r.state === "starting" && !r.failing ? r : undefined;
}

/** @internal The creation whose code runs now (a factory or constructor, or a task of its own scope), if any. */
export function creationRunning(): InstanceRecord | undefined {
  const ambient = currentAmbient();
  if (ambient instanceof RecordAmbient) return ambient.record;
  return ambient !== undefined ? instanceOwner(ambient.scope as EngineScope) : undefined;
}

/** The instance whose own scope `scope` is, or is inside of, or whose code made it. */
function instanceOwner(scope: EngineScope): InstanceRecord | undefined {
  for (let s: EngineScope | undefined = scope; s !== undefined; s = s.parent) {
    if (s.kind === "instance") return s.ownerRecord;
    const made = s.madeBy;
    if (made !== undefined) return made;
  }
  return undefined;
}

/**
 * A new instance of `reg` for `requester`: a cycle if an ancestor is the same registration (SEMANTICS 2.5).
 * A scoped one is the same instance only in the same scope; but one asked for again inside an instance's own
 * scope would be asked for again by each new instance, without end: that is a cycle too.
 */
function checkNewCycle(reg: Registration, scope: EngineScope, requester: InstanceRecord | undefined): void {
  if (reg.starting === 0) return;
  const up: InstanceRecord[] = [];
  for (let r = requester; r; r = r.parent) {
    up.push(r);
    if (
      r.reg === reg &&
      (reg.lifetime !== Lifetime.Scoped || r.scope === scope || instanceOwner(scope) !== undefined)
    ) {
      throw new CycleError([...up.reverse().map((x) => x.name), reg.name], [...pathOf(requester), reg.name]);
    }
  }
}

/**
 * Joining a starting instance: a cycle if it (transitively) waits for the requester. An instance waits
 * for what it joined (the waits-for edges) and for what it is creating (every ancestor of the requester
 * waits for the requester, even while that creation is still synchronous).
 */
function checkJoinCycle(target: InstanceRecord, requester: InstanceRecord | undefined): void {
  if (!requester) return;
  const chain = chainOf(requester);
  const ancestors = new Map<InstanceRecord, number>(chain.map((r, i) => [r, i]));
  // via: target … found (waits-for edges); then found creates … requester (the ancestor chain).
  const closing = (found: InstanceRecord, via: InstanceRecord[]): CycleError =>
    cycleFrom([...via.slice(0, -1), ...chain.slice(ancestors.get(found))]);
  if (ancestors.has(target)) throw closing(target, [target]);
  // Depth-first over the waits-for edges, iteratively (deep graphs must not overflow the stack).
  const prev = new Map<InstanceRecord, InstanceRecord | null>([[target, null]]);
  const stack = [target];
  while (stack.length) {
    const r = stack.pop()!;
    for (const next of r.waitingOn ?? []) {
      if (prev.has(next)) continue;
      prev.set(next, r);
      if (ancestors.has(next)) {
        const via: InstanceRecord[] = [];
        for (let x: InstanceRecord | null | undefined = next; x; x = prev.get(x)) via.unshift(x);
        throw closing(next, via);
      }
      stack.push(next);
    }
  }
}

/** The ready instance a request with no requester is made for: a lazy `ctx.resolve`, or its own scope. */
function lazyHolder(holder: Holder): InstanceRecord | undefined {
  const r = !(holder instanceof InstanceRecord)
    ? holder.kind === "instance"
      ? holder.ownerRecord
      : undefined
    : holder;
  return r !== undefined && r.state === "ready" ? r : undefined;
}

/**
 * `holder` (a ready instance) is about to hold `target`: a cycle of references if `target` already holds it,
 * directly or through its dependencies or its own scope (each would keep the other alive for ever).
 */
function holdCycle(target: InstanceRecord, holder: InstanceRecord): CycleError | undefined {
  // Only an instance some other instance holds can be a dependency of anything.
  if (!holder.heldByInstance()) return undefined;
  const prev = new Map<InstanceRecord, InstanceRecord | null>([[target, null]]);
  const stack = [target];
  while (stack.length) {
    const r = stack.pop()!;
    // What it holds: its dependencies, and what its own scope holds for it.
    const held: DepEntry[] = [...r.depList()];
    if (r.ownScope !== undefined) held.push(r.ownScope.refList());
    for (const entry of held) {
      for (const dep of Array.isArray(entry) ? entry : [entry]) {
        if (prev.has(dep)) continue;
        prev.set(dep, r);
        if (dep === holder) {
          const via: InstanceRecord[] = [];
          for (let x: InstanceRecord | null | undefined = dep; x; x = prev.get(x)) via.unshift(x);
          return new CycleError([holder, ...via].map((n) => n.name));
        }
        stack.push(dep);
      }
    }
  }
  return undefined;
}

/** The cycle through `nodes` (each waits for the next, the last for the first), from its oldest member. */
function cycleFrom(nodes: InstanceRecord[]): CycleError {
  let start = 0;
  nodes.forEach((n, i) => {
    if (n.id < nodes[start]!.id) start = i;
  });
  const rotated = [...nodes.slice(start), ...nodes.slice(0, start)];
  return new CycleError([...rotated.map((n) => n.name), rotated[0]!.name]);
}

function describeToken(token: Token): string {
  if (typeof token === "string") return `"${token}"`;
  if (typeof token === "symbol") return token.toString();
  return `class ${tokenName(token)}`;
}
