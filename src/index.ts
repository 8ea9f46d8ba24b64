/**
 * asyncscope: a decorator-driven dependency-injection container whose services have real async
 * lifetimes.
 *
 * @module asyncscope
 */
// tsyringe needs the Reflect metadata API before it loads.
import "reflect-metadata";

// Tokens and lifetimes
export { Lifetime } from "./lifetimes.js";
export type { Constructor, Token } from "./tokens.js";

// Decorators (tsyringe's are re-exported and honoured by the resolver)
export { scopedService, onInit, onNoMoreDependents } from "./decorators.js";
export { injectable, inject, injectAll, delay } from "tsyringe";
export type { InjectionToken } from "tsyringe";

// Container and scopes
export { Container } from "./container.js";
export type { ContainerOptions } from "./container.js";
export type { DependencyList, ServiceOptions } from "./options.js";
export type { Provider, FactoryContext, RegisterOptions } from "./provider.js";
export { Scope } from "./scope.js";
export type { ServiceScope } from "./instance-scope.js";
export type { Logger } from "./logger.js";

// Tasks
export type { SpawnOptions, Task } from "./task.js";
export { currentScope, sleep } from "./current-scope.js";

// Program entry
export { runMain } from "./run-main.js";
export type { ProcessSignal, RunMainOptions } from "./run-main.js";

// Inspection
export { toMermaid, toDot } from "./inspect.js";
export type { GraphSnapshot } from "./inspect.js";

// Deferred calls and state machines
export { DeferredCallHandler } from "./calls/deferred-call-handler.js";
export type { Deferred, OneWay } from "./calls/deferred.js";
export { state } from "./state/state.js";
export type { StateDecorator, StateInfo, StateOptions } from "./state/state.js";
export { asStateMachine } from "./state/state-machine.js";
export type { StateMachine } from "./state/state-machine.js";

// Errors
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
export type { ErrorCode, SuppressedErrorConstructor, SuppressedErrorLike } from "./errors.js";
export { resolutionInfo } from "./resolution-info.js";
export type { ResolutionInfo } from "./resolution-info.js";

// facet-style services
export { Service } from "./services/service.js";
import "./services/in-container.js";
export { startService } from "./services/start-service.js";
export { stopService } from "./services/stop-service.js";
export { runService } from "./services/run-service.js";
export type { RunServiceOptions } from "./services/run-service.js";
export { SyncService, startServiceSync, stopServiceSync } from "./services/sync-service.js";
