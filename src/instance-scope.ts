import { ConfigurationError } from "./errors.js";
import { Scope } from "./scope.js";

/**
 * The scope a `useService` function runs in: a `Scope` that can publish the instance and learn when its
 * last holder has gone.
 *
 * @example
 * ```ts
 * container.register("conn", {
 *   useService: async (svc) => {
 *     const conn = await connect();
 *     svc.register(conn);
 *     await svc.noMoreDependents();
 *     await conn.close();
 *   },
 * });
 * ```
 */
export interface ServiceScope<T> extends Scope {
  /** Publish the instance: every waiter receives it. Call exactly once. */
  register(value: T): void;
  /** Resolves when the last holder has released the instance (or the container closes). */
  noMoreDependents(): Promise<void>;
}

/** @internal The own scope of an instance: background tasks, and the `ServiceScope` of `useService`. */
export class InstanceScope extends Scope implements ServiceScope<unknown> {
  registerHook: ((value: unknown) => void) | undefined;
  noMoreDependentsHook: (() => Promise<void>) | undefined;

  register(value: unknown): void {
    if (!this.registerHook) {
      throw new ConfigurationError(
        `register() is only available in a useService function (scope ${this.name}).`,
      );
    }
    this.registerHook(value);
  }

  noMoreDependents(): Promise<void> {
    if (!this.noMoreDependentsHook) {
      return Promise.reject(
        new ConfigurationError(
          `noMoreDependents() is only available in a useService function (scope ${this.name}).`,
        ),
      );
    }
    return this.noMoreDependentsHook();
  }
}
