/**
 * asyncscope: a decorator-driven dependency-injection container whose services have real async
 * lifetimes.
 *
 * @module asyncscope
 */
import "reflect-metadata";

export { Lifetime } from "./lifetimes.js";
export type { Constructor, Token } from "./tokens.js";
export type { Logger } from "./logger.js";
export type { SpawnOptions, Task } from "./task.js";
export {
  AsyncScopeError,
  ResolutionError,
  CycleError,
  LifetimeError,
  ConfigurationError,
  ScopeClosedError,
  ScopeDiedError,
  CancelledError,
  TimeoutError,
  DisposeTimeoutError,
  ShutdownTimeoutError,
  NotStartedError,
  StateValidationError,
  NotWhitelistedError,
  SuppressedError,
} from "./errors.js";
export type { ErrorCode } from "./errors.js";
