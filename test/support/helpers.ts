// Shared test helpers: an event log, plain and cancellable sleeps, a recording logger, and services that
// log what CASES.md logs (`S:create`, `S:dispose`, `S:nmd`, with :begin/:end variants when they wait).
import {
  Container,
  onNoMoreDependents,
  type ContainerOptions,
  type DependencyList,
  type Lifetime,
  type Logger,
} from "asyncscope";

export type Log = string[];

/** Resolve after `ms` (ignores any signal). */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolve after `ms`, or reject with the signal's reason as soon as it aborts. */
export function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Milliseconds since `t0`. */
export const since = (t0: number): number => performance.now() - t0;

/** A container whose logger records every call: assert `logger.entries` when nothing may be logged. */
export function loggedContainer(options: Omit<ContainerOptions, "logger"> = {}) {
  const logger = recordingLogger();
  return { c: new Container({ ...options, logger }), logger };
}

/** A logger that records every call, for assertions. */
export function recordingLogger(): Logger & { entries: { level: string; msg: string; rest: unknown[] }[] } {
  const entries: { level: string; msg: string; rest: unknown[] }[] = [];
  return {
    entries,
    debug: (msg, ...rest) => entries.push({ level: "debug", msg, rest }),
    info: (msg, ...rest) => entries.push({ level: "info", msg, rest }),
    warn: (msg, ...rest) => entries.push({ level: "warn", msg, rest }),
    error: (msg, ...rest) => entries.push({ level: "error", msg, rest }),
  };
}

export interface TestServiceOptions {
  dependsOn?: DependencyList;
  lifetime?: Lifetime;
  keepAliveMs?: number;
  disposeTimeoutMs?: number;
  /** The factory waits this long, logging :create:begin and :create:end (and :create:aborted on abort). */
  createMs?: number;
  /** The factory throws this (after createMs, if any). */
  createError?: unknown;
  /** The factory ignores its abort signal. */
  ignoreAbort?: boolean;
  /** The disposer waits this long, logging :dispose:begin and :dispose:end. */
  disposeMs?: number;
  disposeError?: unknown;
  /** Log :nmd from an @onNoMoreDependents hook (waiting nmdMs, throwing nmdError). */
  nmd?: boolean;
  nmdMs?: number;
  nmdError?: unknown;
  /** Called with the factory context after creation (to spawn owned tasks, for instance). */
  onCreate?: (ctx: import("asyncscope").FactoryContext, instance: TestInstance) => void;
}

/** The instances test services create. */
export class TestInstance implements AsyncDisposable {
  disposed = 0;
  constructor(
    readonly name: string,
    private readonly log: Log,
    private readonly opts: TestServiceOptions,
    readonly deps: unknown[],
  ) {}

  @onNoMoreDependents()
  async noMoreDependents(): Promise<void> {
    if (!this.opts.nmd) return;
    this.log.push(`${this.name}:nmd`);
    if (this.opts.nmdMs) await delay(this.opts.nmdMs);
    if (this.opts.nmdError !== undefined) throw this.opts.nmdError;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.disposed++;
    if (this.opts.disposeMs) {
      this.log.push(`${this.name}:dispose:begin`);
      await delay(this.opts.disposeMs);
      this.log.push(`${this.name}:dispose:end`);
    } else {
      this.log.push(`${this.name}:dispose`);
    }
    if (this.opts.disposeError !== undefined) throw this.opts.disposeError;
  }
}

/** Register a service named `name` whose factory and disposer log as CASES.md describes. */
export function defineService(
  container: Container,
  log: Log,
  name: string,
  opts: TestServiceOptions = {},
): { calls: number } {
  const counter = { calls: 0 };
  container.register(
    name,
    {
      useFactory: async (ctx) => {
        counter.calls++;
        if (opts.createMs) {
          log.push(`${name}:create:begin`);
          try {
            await wait(opts.createMs, opts.ignoreAbort ? undefined : ctx.signal);
          } catch (err) {
            log.push(`${name}:create:aborted`);
            throw err;
          }
        }
        if (opts.createError !== undefined) throw opts.createError;
        log.push(opts.createMs ? `${name}:create:end` : `${name}:create`);
        const instance = new TestInstance(name, log, opts, ctx.deps);
        opts.onCreate?.(ctx, instance);
        return instance;
      },
    },
    {
      ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}),
      ...(opts.lifetime ? { lifetime: opts.lifetime } : {}),
      ...(opts.keepAliveMs !== undefined ? { keepAliveMs: opts.keepAliveMs } : {}),
      ...(opts.disposeTimeoutMs !== undefined ? { disposeTimeoutMs: opts.disposeTimeoutMs } : {}),
    },
  );
  return counter;
}

/** Settle a promise into a value-or-error record, without unhandled rejections. */
export async function settle<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Wait for one turn of the event loop: every pending microtask, then a macrotask. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** `true` when A and B are identical types, `false` otherwise (also tells `any` apart). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when the value has type T; does nothing at run time. Use as `expectType<Equal<A, B>>(true)`. */
export function expectType<T>(_value: T): void {}

/** The errors an operation reported, with every AggregateError flattened (primary first). */
export function flattenErrors(err: unknown): unknown[] {
  let aggregate = false;
  try {
    aggregate = err instanceof AggregateError; // a Proxy may throw when asked
  } catch {
    /* not an AggregateError */
  }
  return aggregate ? (err as AggregateError).errors.flatMap(flattenErrors) : [err];
}

/**
 * fast-check options for a property: `FC_RUNS` overrides the number of runs, `FC_SEED` and `FC_PATH`
 * replay a failure (fast-check prints both when a property fails).
 */
export function propertyOptions(defaultRuns: number): { numRuns: number; seed?: number; path?: string } {
  return {
    numRuns: Number(process.env.FC_RUNS ?? defaultRuns),
    ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
    ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
  };
}
