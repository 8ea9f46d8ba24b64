/** Releasing: dropping references, keep-alive, the release steps of a record, its dependencies, a scope's refs. */
import { CancelledError } from "../errors.js";
import { combineErrors, isPromise, type MaybePromise, noop, pushAll, withDepth } from "../internal/maybe.js";
import { cancelTimer, startTimer } from "../internal/timer.js";
import { Lifetime } from "../lifetimes.js";
import { checkToken, type Token } from "../tokens.js";
import { disposeValue, hasDisposeTimeout, runDisposer, runNoMoreDependents } from "./dispose.js";
import { type DepEntry, type EngineScope, type Holder, InstanceRecord } from "./model.js";

/**
 * Drop `count` references of `holder`. When nothing holds the instance any more it is released
 * (after `keepAliveMs` for shared ones). Never throws: errors land in `errors`, in the order thrown.
 */
export function dropRef(
  record: InstanceRecord,
  holder: Holder,
  count: number,
  errors: unknown[],
): MaybePromise<void> {
  record.removeHolder(holder, count);
  if (record.refCount > 0 || record.pinned || record.state !== "ready") return;
  const keepAlive = record.reg.keepAliveMs;
  const container = record.reg.host;
  // A crashed instance (or one whose dependency crashed) is never kept alive: the next resolve needs a fresh one.
  if (
    record.lifetime === Lifetime.Shared &&
    keepAlive > 0 &&
    !record.dying &&
    container.root.state === "open"
  ) {
    record.keepAliveTimer = startTimer(keepAlive, () => {
      record.keepAliveTimer = undefined;
      releaseOrphan(record);
    });
    return;
  }
  return releaseRecord(record, errors);
}

/** Release a record nobody waits on (keep-alive expiry): its errors go to the container. */
export function releaseOrphan(record: InstanceRecord): MaybePromise<void> {
  if (record.state !== "ready" || record.refCount > 0) return;
  const errors: unknown[] = [];
  const report = (): void => {
    for (const e of errors) record.reg.host.reportOrphan(e, record.name);
  };
  const done = releaseRecord(record, errors);
  if (isPromise(done)) return record.reg.host.trackOrphan(done.then(report));
  report();
}

/**
 * Release one instance (SEMANTICS 1.3, 3.1, 3.3, 3.5, 3.6), step by step:
 * 1. `@onNoMoreDependents` hooks (or a `useService`'s `noMoreDependents()`), once;
 * 2. the disposer, bounded by `disposeTimeoutMs`;
 * 3. its own background tasks: cancelled, then awaited;
 * 4. its own references, last acquired first, parallel groups in parallel;
 * 5. disposed.
 * Every step runs whatever failed before it; it stays synchronous until something really waits.
 */
export function releaseRecord(record: InstanceRecord, errors: unknown[]): MaybePromise<void> {
  if (record.keepAliveTimer !== undefined) {
    cancelTimer(record.keepAliveTimer);
    record.keepAliveTimer = undefined;
  }
  record.state = "releasing";
  // What it still waits for (a lazy `ctx.resolve`) is given up: it would be handed to an instance that has
  // gone, and held by it for ever.
  const waits = record.childWaiters;
  if (waits !== undefined && waits.size > 0) {
    for (const w of [...waits]) {
      w.giveUp(new CancelledError(`${record.name} was released while it waited for ${w.record.name}.`));
    }
  }
  return withDepth(releaseFirst, record, errors);
}

// The release steps, as named continuations (each continues with the next, at once or after its promise):
// noMoreDependents hooks → disposer → own scope → dependencies → disposed.

/** Step 1: `@onNoMoreDependents` hooks (none for an abandoned creation, whose useService must still end). */
function releaseFirst(record: InstanceRecord, errors: unknown[]): MaybePromise<void> {
  let r: MaybePromise<void> = undefined;
  if (!record.abandoned) r = runNoMoreDependents(record, errors);
  // Nobody ever held it, so no hook runs; but a useService function must still learn to clean up.
  else record.noMoreDependents?.resolve();
  return isPromise(r) ? r.then(() => afterHooks(record, errors)) : afterHooks(record, errors);
}

/** Step 2: dispose the value. */
function afterHooks(record: InstanceRecord, errors: unknown[]): MaybePromise<void> {
  if (record.serviceTask === undefined && !hasDisposeTimeout(record)) {
    // The common case, with one promise less: continue straight from the disposer's own promise.
    const d = runDisposer(record, record.value, errors);
    if (d === undefined) return afterDispose(record, errors);
    return d.then(
      () => afterDispose(record, errors),
      (err: unknown) => {
        errors.push(err);
        return afterDispose(record, errors);
      },
    );
  }
  const r = disposeValue(record, errors);
  return isPromise(r) ? r.then(() => afterDispose(record, errors)) : afterDispose(record, errors);
}

/** Step 3: close its own scope. */
function afterDispose(record: InstanceRecord, errors: unknown[]): MaybePromise<void> {
  const own = record.ownScope;
  if (own === undefined) return afterOwnScope(record, errors);
  own.cancel();
  return own.whenClosedQuietly(errors).then(() => afterOwnScope(record, errors));
}

/** Step 4: release its dependencies. */
function afterOwnScope(record: InstanceRecord, errors: unknown[]): MaybePromise<void> {
  const r = releaseDeps(record, errors);
  return isPromise(r) ? r.then(() => afterDeps(record)) : afterDeps(record);
}

/** Step 5: forget it; it is disposed. */
function afterDeps(record: InstanceRecord): void {
  record.unmap();
  record.reg.host.live.delete(record);
  record.markOver("disposed");
}

/**
 * Step 4: drop the instance's own references, last acquired first. Independent dependencies (constructor
 * parameters, `ctx.resolve`) are released together (SEMANTICS 3.1); a `dependsOn` step waits for the steps
 * after it, and its members go in parallel, in array order (9.1).
 */
export function releaseDeps(record: InstanceRecord, errors: unknown[]): MaybePromise<void> {
  const deps = record.deps;
  record.deps = undefined;
  if (deps === undefined) return;
  if (!Array.isArray(deps)) return dropRef(deps, record, 1, errors);
  return releaseDepsFrom(record, deps, deps.length - 1, errors);
}

function releaseDepsFrom(
  record: InstanceRecord,
  deps: DepEntry[],
  from: number,
  errors: unknown[],
): MaybePromise<void> {
  let i = from;
  while (i >= 0) {
    let pending: Promise<void>[] | undefined;
    const entry = deps[i]!;
    if (Array.isArray(entry)) {
      for (const dep of entry) {
        const p = dropRef(dep, record, 1, errors);
        if (isPromise(p)) (pending ??= []).push(p);
      }
      i--;
    } else {
      for (; i >= 0 && !Array.isArray(deps[i]); i--) {
        const p = dropRef(deps[i] as InstanceRecord, record, 1, errors);
        if (isPromise(p)) (pending ??= []).push(p);
      }
    }
    if (pending) {
      const next = i;
      const all = pending.length === 1 ? pending[0]! : Promise.all(pending).then(noop);
      return all.then(() => releaseDepsFrom(record, deps, next, errors));
    }
  }
}

/**
 * Closing a scope, step 5 (SEMANTICS 3.2): drop every reference it holds and unpin what belongs to it, all
 * launched in acquisition order and run in parallel; the refcounts order dependents before dependencies.
 */
export function releaseHeld(scope: EngineScope, errors: unknown[]): MaybePromise<void> {
  const refs = scope.held.takeRefs();
  let pinned = scope.held.takeScoped();
  if (scope.kind === "root") {
    const singletons = scope.container.rootPinned();
    pushAll(singletons, pinned);
    pinned = singletons;
  }
  for (const r of pinned) r.pinned = false;
  let pending: Promise<void>[] | undefined;
  for (const record of refs) {
    const n = record.countOf(scope);
    if (n === 0) continue;
    const r = dropRef(record, scope, n, errors);
    if (isPromise(r)) (pending ??= []).push(r);
  }
  for (const record of pinned) {
    if (record.refCount === 0 && record.state === "ready") {
      const r = releaseRecord(record, errors);
      if (isPromise(r)) (pending ??= []).push(r);
    }
  }
  if (!pending) return;
  if (pending.length === 1) return pending[0];
  if (pending.length) return Promise.all(pending).then(noop);
}

/** `scope.release(token)`: drop the scope's most recent reference for the token (SEMANTICS 1.1, 9.6). */
export function releaseOne(scope: EngineScope, token: unknown): Promise<void> {
  const t = checkToken(token, "release");
  const refs = scope.held.refList();
  if (refs.length === 0) return Promise.resolve();
  const tokens = aliasChain(scope, t);
  for (let i = refs.length - 1; i >= 0; i--) {
    const record = refs[i]!;
    if (!record.reg.tokens.some((x) => tokens.includes(x))) continue;
    if (record.countOf(scope) === 1) scope.held.removeRefEntry(record);
    const errors: unknown[] = [];
    const r = dropRef(record, scope, 1, errors);
    const settle = (): void => {
      if (errors.length) throw combineErrors(errors, `releasing ${record.name}`);
    };
    if (isPromise(r)) return r.then(settle);
    try {
      settle();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return Promise.resolve();
}

function aliasChain(scope: EngineScope, token: Token): Token[] {
  const out: Token[] = [token];
  let reg = scope.container.findRegistration(token);
  for (let hops = 0; reg?.kind === "existing" && hops < 100; hops++) {
    out.push(reg.existing!);
    reg = scope.container.findRegistration(reg.existing!);
  }
  return out;
}
