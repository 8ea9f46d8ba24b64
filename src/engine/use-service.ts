/** `useService`: a task in the own scope that calls register() once, then waits for noMoreDependents(). */
import { ConfigurationError } from "../errors.js";
import { deferred } from "../internal/maybe.js";
import { instanceFailed } from "./crash.js";
import { InstanceRecord } from "./model.js";
import { ownScopeOf } from "./own-scope.js";

/** A `useService` function: a task in the instance's own scope that calls `register(value)` once. */
export function runService(record: InstanceRecord): Promise<unknown> {
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
  return registered.promise;
}
