import { Container } from "./container.js";
import { ShutdownTimeoutError } from "./errors.js";
import type { Scope } from "./scope.js";
import { cancelTimer, checkMs, startTimer, type Timer } from "./internal/timer.js";
import { combineErrors } from "./internal/maybe.js";
import { signalList } from "./internal/signal-list.js";

/**
 * A signal name `process.on` accepts (the names of `@types/node`'s signal type, without needing `@types/node`).
 *
 * @example
 * ```ts
 * const signals: ProcessSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
 * ```
 */
export type ProcessSignal =
  | "SIGABRT"
  | "SIGALRM"
  | "SIGBUS"
  | "SIGCHLD"
  | "SIGCONT"
  | "SIGFPE"
  | "SIGHUP"
  | "SIGILL"
  | "SIGINT"
  | "SIGIO"
  | "SIGIOT"
  | "SIGKILL"
  | "SIGPIPE"
  | "SIGPOLL"
  | "SIGPROF"
  | "SIGPWR"
  | "SIGQUIT"
  | "SIGSEGV"
  | "SIGSTKFLT"
  | "SIGSTOP"
  | "SIGSYS"
  | "SIGTERM"
  | "SIGTRAP"
  | "SIGTSTP"
  | "SIGTTIN"
  | "SIGTTOU"
  | "SIGUNUSED"
  | "SIGURG"
  | "SIGUSR1"
  | "SIGUSR2"
  | "SIGVTALRM"
  | "SIGWINCH"
  | "SIGXCPU"
  | "SIGXFSZ"
  | "SIGBREAK"
  | "SIGLOST"
  | "SIGINFO";

/**
 * Options of {@link runMain}.
 *
 * @example
 * ```ts
 * await runMain(main, { container, shutdownTimeoutMs: 5000, signals: ["SIGTERM"] });
 * ```
 */
export interface RunMainOptions {
  name?: string;
  container?: Container;
  /**
   * Default `["SIGINT", "SIGTERM"]`: cancel main, then close the container. A set: a name given twice counts
   * once; a name that is not a signal the process can listen to is a `ConfigurationError`.
   */
  signals?: ProcessSignal[];
  /** Default 10000: then reject with `ShutdownTimeoutError` naming what still runs. */
  shutdownTimeoutMs?: number;
}

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
  SIGQUIT: 131,
};

/**
 * Run a program's main function in a scope of a container, and shut down in order: on SIGINT/SIGTERM,
 * main is cancelled, then the container is closed (innermost scopes first, dependencies last). A
 * signal-driven clean shutdown resolves and sets `process.exitCode` to 130 (SIGINT) or 143 (SIGTERM); an
 * error sets it to 1; a second signal during shutdown exits at once. Signal listeners are removed when it
 * returns.
 *
 * @example
 * ```ts
 * await runMain(async (scope) => {
 *   const server = await scope.resolve(HttpServer);
 *   await server.closed(scope.signal);
 * }, { container });
 * ```
 */
export async function runMain(
  main: (scope: Scope) => Promise<void>,
  options?: RunMainOptions,
): Promise<void> {
  if (typeof main !== "function") throw new TypeError("runMain(main): main must be a function.");
  const timeoutMs = checkMs(options?.shutdownTimeoutMs, "shutdownTimeoutMs", "runMain") ?? 10_000;
  const signals = signalList(options?.signals, ["SIGINT", "SIGTERM"]);
  const container = options?.container ?? new Container({ name: options?.name ?? "main" });
  const scope = container.createScope(options?.name ?? "main");
  let received: NodeJS.Signals | undefined;
  let shutdownTimer: Timer | undefined;
  let rejectShutdown: ((err: unknown) => void) | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    rejectShutdown = reject;
  });
  timedOut.catch(() => undefined);
  const startShutdownClock = (): void => {
    if (shutdownTimer !== undefined) return;
    shutdownTimer = startTimer(timeoutMs, () => {
      const pending = [
        ...container.root.pendingNames(),
        ...container.inspect().instances.map((i) => `${i.token} (${i.state})`),
      ];
      rejectShutdown!(new ShutdownTimeoutError(timeoutMs, pending));
    });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      // A second signal during shutdown: exit at once.
      process.exit(EXIT_CODES[signal] ?? 1);
    }
    received = signal;
    startShutdownClock();
    // Cancel main first; the container is closed once main has finished (below), so that main can let
    // the work it started (requests in flight) end before their services go.
    scope.cancel();
  };
  for (const s of signals) process.on(s, onSignal);
  const errors: unknown[] = [];
  try {
    const run = async (): Promise<void> => {
      try {
        await scope.runBody(main);
      } catch (err) {
        errors.push(err);
      }
      startShutdownClock();
      try {
        await container.close();
      } catch (err) {
        errors.push(err);
      }
    };
    await Promise.race([run(), timedOut]);
  } catch (err) {
    // The shutdown deadline passed: report what still runs, leave the rest to the process.
    process.exitCode = 1;
    throw err;
  } finally {
    cancelTimer(shutdownTimer);
    for (const s of signals) process.off(s, onSignal);
  }
  if (received !== undefined) process.exitCode = EXIT_CODES[received] ?? 1;
  if (errors.length) {
    if (received === undefined) process.exitCode = 1;
    throw combineErrors(errors, "runMain");
  }
}
