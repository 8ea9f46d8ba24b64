import { AsyncLocalStorage } from "node:async_hooks";

/** What runs right now: the scope whose code it is, and the signal that cancels that code. */
export interface Ambient {
  /** A `Scope` (opaque here: this leaf imports no scope; `currentScope()` types it). */
  readonly scope: object;
  readonly signal: AbortSignal | undefined;
}

/** Something that can say what runs: made into an `Ambient` only when someone asks. */
export interface AmbientSource {
  toAmbient(): Ambient;
}

const storage = new AsyncLocalStorage<Ambient>();
// Plain constructors run synchronously; a module variable is far cheaper than an AsyncLocalStorage run
// for them and is restored before anything else can observe it. While a constructor runs it holds the
// source (the instance record), made into an Ambient only if the constructor asks.
let syncAmbient: Ambient | AmbientSource | undefined;

export function currentAmbient(): Ambient | undefined {
  const sync = syncAmbient;
  if (sync === undefined) return storage.getStore();
  if ("toAmbient" in sync) return (syncAmbient = sync.toAmbient());
  return sync;
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

/** Run a synchronous `fn(a, b)` (a constructor) with `source` visible, without an AsyncLocalStorage frame. */
export function runSyncInAmbient<A, B, R>(source: AmbientSource, fn: (a: A, b: B) => R, a: A, b: B): R {
  const saved = syncAmbient;
  syncAmbient = source;
  try {
    return fn(a, b);
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
