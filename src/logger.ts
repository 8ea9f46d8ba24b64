import { describe } from "./errors.js";

/**
 * Where asyncscope reports what nobody receives: stuck tasks and errors thrown while cancelling (`warn`),
 * errors of `bubble: false` tasks, one-way calls and unobserved forks (`error`). pino- and
 * console-compatible.
 *
 * @example
 * ```ts
 * const container = new Container({ logger: pino() });
 * ```
 */
export interface Logger {
  /** Not used by asyncscope today; accepted so that any pino or console logger fits. */
  debug?(msg: string, ...rest: unknown[]): void;
  /** Not used by asyncscope today; accepted so that any pino or console logger fits. */
  info?(msg: string, ...rest: unknown[]): void;
  /** Stuck tasks, errors thrown while cancelling, abandoned work that failed later. */
  warn(msg: string, ...rest: unknown[]): void;
  /** Errors nobody receives: `bubble: false` tasks, one-way calls, unobserved forks. */
  error(msg: string, ...rest: unknown[]): void;
}

/** The default logger: the console, for `warn` and `error`. */
export const consoleLogger: Logger = {
  warn: (msg, ...rest) => console.warn(msg, ...rest),
  error: (msg, ...rest) => console.error(msg, ...rest),
};

/**
 * Log `msg`, with the error nobody receives when one is given (any value, `undefined` too: it is whether
 * the argument is there that counts). Never throws: a logger that cannot format the error (a console
 * meeting a Proxy whose traps throw) gets the line with the error's description alone.
 */
export function logSafely(
  logger: Logger,
  level: "warn" | "error",
  msg: string,
  ...error: [] | [err: unknown]
): void {
  if (error.length === 0) {
    try {
      logger[level](msg);
    } catch {
      // A broken logger must not break teardown.
    }
    return;
  }
  const err = error[0];
  const line = `${msg}: ${describe(err)}`;
  try {
    logger[level](line, err);
  } catch {
    try {
      logger[level](line);
    } catch {
      // A broken logger must not break teardown.
    }
  }
}
