/** Building a value: constructor, factory or useService, then `@onInit` hooks and a facet Service's start. */
import { ConfigurationError } from "../errors.js";
import { runInAmbient, runSyncInAmbient } from "../internal/ambient.js";
import { isPromise, isThenable, type MaybePromise } from "../internal/maybe.js";
import { hooksOf } from "../internal/metadata.js";
import { instanceFailed } from "./crash.js";
import { InstanceRecord, type EngineFactoryContext } from "./model.js";
import { lazyAmbient } from "./own-scope.js";
import { runService } from "./use-service.js";

/** `new` by arity for up to 3 parameters (no spread, no `Reflect.construct`), the array beyond that. */
function construct(cls: new (...args: unknown[]) => unknown, args: unknown[]): unknown {
  switch (args.length) {
    case 0:
      return new cls();
    case 1:
      return new cls(args[0]);
    case 2:
      return new cls(args[0], args[1]);
    case 3:
      return new cls(args[0], args[1], args[2]);
    default:
      return Reflect.construct(cls, args);
  }
}

/** Build the value (`ctx`: a factory's context), then run what follows a build (`afterBuild`). */
export function build(
  record: InstanceRecord,
  args: unknown[],
  ctx: EngineFactoryContext | undefined,
): MaybePromise<unknown> {
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
      value = runInAmbient(lazyAmbient(record), () => reg.factory!(ctx!));
      if (isThenable(value)) value = Promise.resolve(value);
      break;
    }
    default:
      // The useService function registers the value; what follows a build runs then.
      return runService(record).then((v) => afterBuild(record, v));
  }
  if (isPromise(value)) return value.then((v) => afterBuild(record, v));
  return afterBuild(record, value);
}

/** The value exists: remember it (to dispose it if what follows fails), run `@onInit` hooks. */
export function afterBuild(record: InstanceRecord, value: unknown): MaybePromise<unknown> {
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
