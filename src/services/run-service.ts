import { noop } from "../internal/maybe.js";
import { recordOf } from "./record.js";
import type { Service } from "./service.js";
import { addAbortCallback, removeAbortCallback } from "../internal/on-abort.js";
import { startService } from "./start-service.js";
import { stopService } from "./stop-service.js";

/**
 * Options of {@link runService}.
 *
 * @example
 * ```ts
 * await runService(new App(), { signal: AbortSignal.timeout(60_000) });
 * ```
 */
export interface RunServiceOptions {
  /** When it aborts, the service is stopped and `runService` settles as that stop does. */
  signal?: AbortSignal;
}

/**
 * Start a service, wait until it stops, and make sure it is stopped: facet's `run()`. Resolves when
 * the service was stopped cleanly (by `stopService` elsewhere, or by `options.signal`); rejects with
 * the start's error, with the error of a background task that crashed the stack (identity), or with
 * the errors of the stop that `options.signal` triggered. An already aborted signal rejects with its
 * reason before anything starts.
 *
 * @example
 * ```ts
 * const app = new App();
 * process.once("SIGINT", () => void stopService(app));
 * await runService(app); // resolves after Ctrl-C; rejects if a background task crashed
 * ```
 */
export async function runService(service: Service, options: RunServiceOptions = {}): Promise<void> {
  const { signal } = options;
  signal?.throwIfAborted();
  const record = recordOf(service);
  record.runners++;
  try {
    await startService(service);
    const stopped = service.wait();
    if (signal === undefined) return await stopped;
    stopped.catch(noop);
    let onAbort = noop;
    const aborted = new Promise<boolean>((resolve) => {
      onAbort = () => resolve(true);
      addAbortCallback(signal, onAbort);
    });
    try {
      if (signal.aborted || (await Promise.race([stopped.then(() => false), aborted]))) {
        await stopService(service);
      }
    } finally {
      removeAbortCallback(signal, onAbort);
    }
  } finally {
    record.runners--;
  }
}
