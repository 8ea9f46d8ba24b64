/**
 * Every error asyncscope throws extends {@link AsyncScopeError} and carries a stable `code`, so callers
 * branch on `err.code`, never on message text.
 *
 * @example
 * ```ts
 * try {
 *   await scope.resolve("db");
 * } catch (err) {
 *   if (err instanceof AsyncScopeError && err.code === "ERR_UNREGISTERED") console.error(err.message);
 * }
 * ```
 * @module
 */

/**
 * Stable error codes, one per error class.
 *
 * @example
 * ```ts
 * const retryable: ErrorCode[] = ["ERR_TIMEOUT", "ERR_CANCELLED"];
 * ```
 */
export type ErrorCode =
  | "ERR_UNREGISTERED"
  | "ERR_CYCLE"
  | "ERR_CAPTIVE"
  | "ERR_CONFIG"
  | "ERR_SCOPE_CLOSED"
  | "ERR_SCOPE_DIED"
  | "ERR_CANCELLED"
  | "ERR_TIMEOUT"
  | "ERR_DISPOSE_TIMEOUT"
  | "ERR_SHUTDOWN_TIMEOUT"
  | "ERR_NOT_STARTED"
  | "ERR_TRANSITION"
  | "ERR_NOT_WHITELISTED";

/**
 * Base class of every asyncscope error.
 *
 * @example
 * ```ts
 * if (err instanceof AsyncScopeError) console.log(err.code);
 * ```
 */
export class AsyncScopeError extends Error {
  /** A stable code such as `ERR_CYCLE`. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
Object.defineProperty(AsyncScopeError.prototype, "name", { value: "AsyncScopeError", writable: true });

function named(cls: { prototype: Error }, name: string): void {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}

/**
 * No provider is registered for a token. The message ends with `Resolution path: a -> b -> x`.
 *
 * @example
 * ```ts
 * await container.resolve("nope"); // ResolutionError: No provider for "nope". … Resolution path: nope
 * ```
 */
export class ResolutionError extends AsyncScopeError {
  /** Display names from the outermost resolve to the token that has no provider. */
  readonly path: string[];
  constructor(message: string, path: string[], options?: { cause?: unknown }) {
    super("ERR_UNREGISTERED", `${message} Resolution path: ${path.join(" -> ")}`, options);
    this.path = path;
  }
}
named(ResolutionError, "ResolutionError");

/**
 * A dependency cycle, found before the factory that would close it runs.
 *
 * @example
 * ```ts
 * err.path; // ["A", "B", "A"]
 * ```
 */
export class CycleError extends AsyncScopeError {
  /** The cycle, first element repeated at the end: `["A", "B", "A"]`. */
  readonly path: string[];
  constructor(path: string[], resolutionPath?: string[]) {
    const via =
      resolutionPath && resolutionPath.length > path.length
        ? ` (resolution path: ${resolutionPath.join(" -> ")})`
        : "";
    super(
      "ERR_CYCLE",
      `Dependency cycle: ${path.join(" -> ")}${via}. Break it by restructuring the services, or move one ` +
        `dependency out of the constructor into a later lookup.`,
    );
    this.path = path;
  }
}
named(CycleError, "CycleError");

/**
 * A `shared` or `singleton` service depends on a `scoped` one (a captive dependency).
 *
 * @example
 * ```ts
 * // @scopedService("cache") class Cache { constructor(req: RequestContext) {} }  -> LifetimeError
 * ```
 */
export class LifetimeError extends AsyncScopeError {
  /** Display names from the long-lived service to the scoped one it would capture. */
  readonly path: string[];
  constructor(path: string[], holderLifetime: string) {
    super(
      "ERR_CAPTIVE",
      `${path[0]} (${holderLifetime}) would capture the scoped service ${path[path.length - 1]}: ` +
        `${path.join(" -> ")}. Make ${path[0]} scoped or transient, or make the dependency shared.`,
    );
    this.path = path;
  }
}
named(LifetimeError, "LifetimeError");

/**
 * Bad registration or bad input: an invalid token, nesting deeper than two levels, a `useService`
 * that never registered, a decorator on something that is not a class.
 *
 * @example
 * ```ts
 * container.register(undefined as any, { useValue: 1 }); // ConfigurationError (ERR_CONFIG)
 * ```
 */
export class ConfigurationError extends AsyncScopeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CONFIG", message, options);
  }
}
named(ConfigurationError, "ConfigurationError");

/**
 * A call that starts work on a closing or closed scope or container.
 *
 * @example
 * ```ts
 * await scope.close();
 * scope.spawn(work); // throws ScopeClosedError
 * ```
 */
export class ScopeClosedError extends AsyncScopeError {
  /** The name of the scope. */
  readonly scope: string;
  /**
   * `container` names the container when it is the container that is closing or closed: then no new scope
   * can be made either, and the message says a new `Container` is needed.
   */
  constructor(scope: string, what: string, state: string, container?: string) {
    super(
      "ERR_SCOPE_CLOSED",
      container === undefined
        ? `Cannot ${what}: scope "${scope}" is ${state}. Create a new scope for new work.`
        : `Cannot ${what}: container "${container}" is ${state}, and so are all of its scopes. ` +
            `Create a new Container for new work.`,
    );
    this.scope = scope;
  }
}
named(ScopeClosedError, "ScopeClosedError");

/**
 * A service this scope depends on crashed after it was ready. `.service` names it, `.cause` is its error.
 *
 * @example
 * ```ts
 * if (err instanceof ScopeDiedError) console.log(err.service, err.cause);
 * ```
 */
export class ScopeDiedError extends AsyncScopeError {
  /** The display name of the crashed service. */
  readonly service: string;
  constructor(service: string, cause: unknown) {
    super("ERR_SCOPE_DIED", `Service ${service} crashed: ${describe(cause)}`, { cause });
    this.service = service;
  }
}
named(ScopeDiedError, "ScopeDiedError");

/**
 * The work was cancelled (`name === "CancelledError"`).
 *
 * @example
 * ```ts
 * task.cancel(); await task; // rejects with CancelledError
 * ```
 */
export class CancelledError extends AsyncScopeError {
  constructor(message = "The operation was cancelled.", options?: { cause?: unknown }) {
    super("ERR_CANCELLED", message, options);
  }
}
named(CancelledError, "CancelledError");

/**
 * A scope, resolve, call or stop ran out of time (`name === "TimeoutError"`).
 *
 * @example
 * ```ts
 * await container.withScope(work, { timeoutMs: 100 }); // may reject with TimeoutError
 * ```
 */
export class TimeoutError extends AsyncScopeError {
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number | undefined;
  constructor(message: string, timeoutMs?: number) {
    super("ERR_TIMEOUT", message);
    this.timeoutMs = timeoutMs;
  }
}
named(TimeoutError, "TimeoutError");

/**
 * An instance's disposal took longer than its `disposeTimeoutMs`; it was abandoned.
 *
 * @example
 * ```ts
 * container.register("db", { useClass: Db }, { disposeTimeoutMs: 5000 });
 * ```
 */
export class DisposeTimeoutError extends AsyncScopeError {
  /** The display name of the instance whose disposal was abandoned. */
  readonly service: string;
  readonly timeoutMs: number;
  constructor(service: string, timeoutMs: number) {
    super(
      "ERR_DISPOSE_TIMEOUT",
      `Disposing ${service} took longer than ${timeoutMs} ms; it was abandoned and its dependencies released.`,
    );
    this.service = service;
    this.timeoutMs = timeoutMs;
  }
}
named(DisposeTimeoutError, "DisposeTimeoutError");

/**
 * `runMain` could not shut down within `shutdownTimeoutMs`. `.pending` names what still runs.
 *
 * @example
 * ```ts
 * await runMain(main, { shutdownTimeoutMs: 5000 });
 * ```
 */
export class ShutdownTimeoutError extends AsyncScopeError {
  /** Display names of the scopes, tasks and instances still running at the deadline. */
  readonly pending: string[];
  constructor(timeoutMs: number, pending: string[]) {
    super(
      "ERR_SHUTDOWN_TIMEOUT",
      `Shutdown did not finish within ${timeoutMs} ms; still running: ${pending.length ? pending.join(", ") : "(nothing named)"}.`,
    );
    this.pending = pending;
  }
}
named(ShutdownTimeoutError, "ShutdownTimeoutError");

/**
 * `wait()` or `addTask()` on a facet-style service that is not running.
 *
 * @example
 * ```ts
 * new MyService().addTask(work); // throws NotStartedError
 * ```
 */
export class NotStartedError extends AsyncScopeError {
  constructor(what: string) {
    super("ERR_NOT_STARTED", `${what} is not started. Call startService() first.`);
  }
}
named(NotStartedError, "NotStartedError");

/**
 * A state machine tried a transition its current state does not declare: `Invalid state transition a -> b`.
 *
 * @example
 * ```ts
 * machine.error; // StateValidationError: Invalid state transition second -> third
 * ```
 */
export class StateValidationError extends AsyncScopeError {
  readonly from: string | null;
  readonly to: string;
  constructor(from: string | null, to: string) {
    super("ERR_TRANSITION", `Invalid state transition ${from} -> ${to}`);
    this.from = from;
    this.to = to;
  }
}
named(StateValidationError, "StateValidationError");

/**
 * A deferred call was dropped because `process({ whitelist })` does not list its method.
 *
 * @example
 * ```ts
 * await handler.sync.b(); // NotWhitelistedError when processed with { whitelist: ["a"] }
 * ```
 */
export class NotWhitelistedError extends AsyncScopeError {
  /** The dropped method's name. */
  readonly method: string;
  constructor(method: string) {
    super("ERR_NOT_WHITELISTED", `Deferred call to "${method}" was dropped: it is not in the whitelist.`);
    this.method = method;
  }
}
named(NotWhitelistedError, "NotWhitelistedError");

/**
 * The shape of a `SuppressedError`: `error` is the newer error, `suppressed` the one it hid.
 *
 * @example
 * ```ts
 * const { error, suppressed } = err as SuppressedErrorLike;
 * ```
 */
export interface SuppressedErrorLike extends Error {
  error: unknown;
  suppressed: unknown;
}

/**
 * Constructor type of {@link SuppressedError}.
 *
 * @example
 * ```ts
 * const Ctor: SuppressedErrorConstructor = SuppressedError;
 * ```
 */
export interface SuppressedErrorConstructor {
  new (error: unknown, suppressed: unknown, message?: string): SuppressedErrorLike;
  (error: unknown, suppressed: unknown, message?: string): SuppressedErrorLike;
  readonly prototype: SuppressedErrorLike;
}

class SuppressedErrorPolyfill extends Error {
  error: unknown;
  suppressed: unknown;
  constructor(error: unknown, suppressed: unknown, message?: string) {
    super(message ?? "An error was suppressed during disposal.");
    this.error = error;
    this.suppressed = suppressed;
  }
  // The TypeScript down-level helper for `await using` builds plain Errors named "SuppressedError" on
  // runtimes without the class; they count as instances too.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      value instanceof Error &&
      value.name === "SuppressedError" &&
      "error" in (value as object) &&
      "suppressed" in (value as object)
    );
  }
}
named(SuppressedErrorPolyfill, "SuppressedError");

/**
 * `SuppressedError`: the runtime's own class where it has one, else a compatible class (`name`,
 * `error`, `suppressed`) that also recognises the errors TypeScript's `await using` helper creates.
 * No global is installed.
 *
 * @example
 * ```ts
 * try { await using q = container.createScope(); throw e1; }
 * catch (err) { if (err instanceof SuppressedError) console.log(err.error, err.suppressed); }
 * ```
 */
export const SuppressedError: SuppressedErrorConstructor =
  ((globalThis as Record<string, unknown>).SuppressedError as SuppressedErrorConstructor | undefined) ??
  (new Proxy(SuppressedErrorPolyfill, {
    apply: (target, _this, args: [unknown, unknown, string?]) => new target(...args),
  }) as unknown as SuppressedErrorConstructor);
export type SuppressedError = SuppressedErrorLike;

/**
 * A short description of any thrown value, for messages and logs. It never throws: a Proxy whose traps
 * throw, getters that throw, a null prototype or a Symbol each still get a description.
 */
export function describe(value: unknown): string {
  try {
    if (value instanceof Error) return `${String(value.name)}: ${String(value.message)}`;
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return `[${typeof value}]`;
    }
  }
}

/**
 * Whether `error` is only the echo of a cancellation with `reason` (not an error of its own). `reason`
 * `undefined` means none: a thrown `undefined` is an error. Never throws (a Proxy's traps may).
 */
export function isCancellation(error: unknown, reason: unknown): boolean {
  if (reason !== undefined && error === reason) return true;
  try {
    if (error instanceof CancelledError) return true;
    if (!(error instanceof Error)) return false;
    if (error.name === "AbortError") return true;
    return reason !== undefined && error.cause === reason;
  } catch {
    return false;
  }
}
