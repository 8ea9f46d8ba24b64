/** A ready instance crashed: to its dependents and the scopes holding it (SEMANTICS 5.11). */
import { ScopeDiedError } from "../errors.js";
import { Lifetime } from "../lifetimes.js";
import { logSafely } from "../logger.js";
import { type EngineScope, InstanceRecord } from "./model.js";
import { releaseOrphan } from "./release.js";

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
