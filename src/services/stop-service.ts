// The public `stopService`. Internal machinery in stop-run.ts.
import type { Service } from "./service.js";
import { stopHeld } from "./stop-run.js";

/**
 * Stop a service started with {@link startService}: its own `stop()` first, then its background tasks,
 * then its dependencies in reverse order (each parallel group in parallel again). A dependency still
 * used by another running service keeps running. Every stop runs, whatever failed before it; one error
 * is rethrown as itself, several as an `AggregateError` in the order they were thrown, and a `stop()`
 * that outlasts `gracefulShutdownTimeoutMs` makes it reject with a `TimeoutError`.
 *
 * `stopService` drops one reference taken by `startService`: a service started twice keeps running
 * until it is stopped twice, and a service that is only running as somebody's dependency is not
 * stopped by it. It is a no-op on a service that is not running; concurrent calls share one stop.
 *
 * @example
 * ```ts
 * const app = await startService(new App());
 * // …
 * await stopService(app); // App, then its dependencies
 * ```
 */
export function stopService(service: Service): Promise<void> {
  return stopHeld(service);
}
