/** An instance's own scope, and what `currentScope()` sees while its code runs. */
import { type Ambient, currentAmbient } from "../internal/ambient.js";
import { instanceFailed } from "./crash.js";
import { instanceOwner } from "./cycles.js";
import { type EngineScope, InstanceRecord, type OwnScope, recordAmbient } from "./model.js";

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

export function lazyAmbient(record: InstanceRecord): Ambient {
  return new RecordAmbient(record);
}
recordAmbient.make = lazyAmbient;

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

/** @internal The creation whose code runs now (a factory or constructor, or a task of its own scope), if any. */
export function creationRunning(): InstanceRecord | undefined {
  const ambient = currentAmbient();
  if (ambient instanceof RecordAmbient) return ambient.record;
  return ambient !== undefined ? instanceOwner(ambient.scope as EngineScope) : undefined;
}

/**
 * The instance a resolve through `scope` is made for, when code that is part of a creation makes it: the
 * owner of the instance scope it goes through (`ctx.scope`, a child of it, `currentScope()` in a task of
 * it), else the creation whose code runs now (a factory or constructor resolving through any scope).
 */
export function implicitRequester(scope: EngineScope): InstanceRecord | undefined {
  if (scope.container.starting === 0) return undefined;
  const r = instanceOwner(scope) ?? creationRunning();
  return r !== undefined && r.state === "starting" && !r.failing ? r : undefined;
}
