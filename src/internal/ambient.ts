import { AsyncLocalStorage } from "node:async_hooks";
import type { Scope } from "../scope.js";

/** What runs right now: the scope whose code it is, and the signal that cancels that code. */
export interface Ambient {
  readonly scope: Scope;
  readonly signal: AbortSignal | undefined;
}

const storage = new AsyncLocalStorage<Ambient>();
// Plain constructors run synchronously; a module variable is far cheaper than an AsyncLocalStorage run
// for them and is restored before anything else can observe it.
let syncAmbient: Ambient | undefined;

export function currentAmbient(): Ambient | undefined {
  return syncAmbient ?? storage.getStore();
}

/** Run `fn` with `ambient` visible to `currentScope()`, across every await inside it. */
export function runInAmbient<R>(ambient: Ambient, fn: () => R): R {
  const saved = syncAmbient;
  syncAmbient = undefined;
  try {
    return storage.run(ambient, fn);
  } finally {
    syncAmbient = saved;
  }
}

/** Run a synchronous `fn` (a constructor) with `ambient` visible, without an AsyncLocalStorage frame. */
export function runSyncInAmbient<R>(ambient: Ambient, fn: () => R): R {
  const saved = syncAmbient;
  syncAmbient = ambient;
  try {
    return fn();
  } finally {
    syncAmbient = saved;
  }
}

/** Run `fn` outside of any scope (library-internal callbacks that must not inherit the caller's). */
export function runOutside<R>(fn: () => R): R {
  const saved = syncAmbient;
  syncAmbient = undefined;
  try {
    return storage.exit(fn);
  } finally {
    syncAmbient = saved;
  }
}
