import { ConfigurationError, NotWhitelistedError, TimeoutError } from "../errors.js";
import { printable } from "../internal/printable.js";
import { checkMs } from "../internal/timer.js";
import { consoleLogger, logSafely, type Logger } from "../logger.js";
import { createCallProxy } from "./call-proxy.js";
import { DeferredCall } from "./deferred-call.js";
import type { Deferred, HandlerKey, OneWay } from "./deferred.js";
import { Mailbox } from "./mailbox.js";

type Method = (...args: any[]) => any;

// deferred.ts names the handler's public members (HandlerKey) instead of importing this class: this type
// stops compiling when the class gains or loses a public member that the list does not name.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type _HandlerKeysInStep = Assert<Same<keyof DeferredCallHandler, HandlerKey>>;

const STOP = Symbol("stopProcessing");
const RESERVED = new Set(["constructor", "sync", "oneway", "process", "stopProcessing"]);
// process() gives the event loop a turn after this many calls, or sooner once this long has passed since the
// last turn: timers (call timeouts), I/O and signals run while a long queue drains.
const CALLS_PER_TURN = 1000;
const MS_PER_TURN = 10;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A mailbox for method calls (gevent_async's `DeferredCallHandler`): subclass it, then call methods
 * through `sync` or `oneway` from anywhere; they run one at a time, in order, when the owner calls
 * `process()`. Calling a method directly still works and bypasses the queue.
 *
 * @example
 * ```ts
 * class Manager extends DeferredCallHandler {
 *   #items: string[] = [];
 *   add(item: string) { this.#items.push(item); }
 *   list() { return [...this.#items]; }
 * }
 * const manager = new Manager();
 * const processing = manager.process({ forever: true });
 * manager.oneway.add("a");
 * console.log(await manager.sync.list()); // ["a"]
 * manager.stopProcessing();
 * await processing;
 * ```
 */
export class DeferredCallHandler {
  /**
   * `h.sync.m(...args)` queues a call to `m` and settles with its result or error (the same object) once
   * `process()` has run it. `h.sync({ timeoutMs }).m(...)` gives up waiting after `timeoutMs` with a
   * `TimeoutError`, for that call only; the call still runs later and its outcome is discarded. Never
   * await `this.sync.m()` inside a processed method: the queue waits for that method to end first.
   */
  readonly sync: Deferred<this> & ((options?: { timeoutMs?: number }) => Deferred<this>);
  /** `h.oneway.m(...args)` queues a call to `m` and returns `undefined`; its errors go to the logger. */
  readonly oneway: OneWay<this>;
  readonly #logger: Logger;
  readonly #mailbox = new Mailbox<DeferredCall | typeof STOP>();
  #processing = false;

  /** @param options.logger Receives the errors of one-way calls and dropped calls (default: console). */
  constructor(options: { logger?: Logger } = {}) {
    this.#logger = options.logger ?? consoleLogger;
    const sync = (callOptions?: { timeoutMs?: number }) => {
      const timeoutMs = checkMs(callOptions?.timeoutMs, "timeoutMs", "sync({ timeoutMs })");
      return createCallProxy<Deferred<this>>({}, (method, args) => this.#callSync(method, args, timeoutMs));
    };
    this.sync = createCallProxy(sync, (method, args) => this.#callSync(method, args, undefined));
    this.oneway = createCallProxy({}, (method, args) => {
      this.#mailbox.push(DeferredCall.oneWay(method, args));
    });
  }

  /**
   * Run the queued calls one after another, first in first out, each awaited before the next.
   *
   * Without `forever`, returns once the queue is empty, calls queued meanwhile included. With `forever`,
   * waits for new calls until `stopProcessing()`'s marker is reached. A marker ends any `process()` that
   * reaches it; the calls queued after it stay queued. With a `whitelist`, only the listed methods run (an
   * empty list runs none): a dropped `sync` call rejects with `NotWhitelistedError`, a dropped one-way call is
   * logged (`warn`). One `process()` at a time: a second concurrent call rejects with
   * `ConfigurationError`.
   *
   * Taking a call off the queue is O(1), and `process()` gives the event loop a turn (`setImmediate`) after
   * every 1,000 calls, or sooner once 10 ms have passed since the last turn: timers, I/O and signals run
   * while a long queue drains, and a method that queues itself again cannot freeze the process.
   *
   * @example
   * ```ts
   * await handler.process({ whitelist: ["update"] });
   * ```
   */
  async process(options: { forever?: boolean; whitelist?: string[] } = {}): Promise<void> {
    if (this.#processing) {
      throw new ConfigurationError(
        `${this.constructor.name}.process() is already running: one process() drains a handler at a time. ` +
          `Await the running one, or end it with stopProcessing().`,
      );
    }
    const allowed = whitelistOf(options.whitelist);
    this.#processing = true;
    let calls = 0;
    let turnAt = performance.now();
    try {
      // SEMANTICS 7.3: first in, first out; a marker ends the run where it stands in the queue.
      while (true) {
        const item = this.#mailbox.shift();
        if (item === STOP) return;
        if (item === undefined) {
          if (!options.forever) return;
          await this.#mailbox.nonEmpty();
          // Time spent waiting for a call is not time spent draining: count the next turn from here.
          calls = 0;
          turnAt = performance.now();
          continue;
        }
        // The event loop's turn comes before the call taken off the queue, so order holds.
        if (++calls > CALLS_PER_TURN || performance.now() - turnAt >= MS_PER_TURN) {
          await nextTurn();
          calls = 1;
          turnAt = performance.now();
        }
        await this.#run(item, allowed);
      }
    } finally {
      this.#processing = false;
    }
  }

  /**
   * Queue a marker that ends `process()` when it gets there, after the calls queued before it. When no
   * `process()` runs, the marker waits in the queue for the next one.
   *
   * @example
   * ```ts
   * handler.stopProcessing();
   * await processing; // the process({ forever: true }) promise
   * ```
   */
  stopProcessing(): void {
    this.#mailbox.push(STOP);
  }

  #callSync(method: string, args: unknown[], timeoutMs: number | undefined): Promise<unknown> {
    const { call, promise } = DeferredCall.sync(method, args, timeoutMs, (late) => {
      const where = late.started ? "while it ran" : "while it waited in the queue";
      const idle = this.#processing ? "" : " (no process() is running)";
      return new TimeoutError(
        `${this.#label(late)} timed out after ${timeoutMs} ms ${where}${idle}; ` +
          `it still runs when processed, and its outcome is discarded.`,
        timeoutMs,
      );
    });
    this.#mailbox.push(call);
    return promise;
  }

  async #run(call: DeferredCall, allowed: Set<string> | undefined): Promise<void> {
    if (allowed !== undefined && !allowed.has(call.method)) {
      if (!call.reject(new NotWhitelistedError(call.method))) {
        const listed = [...allowed].map(printable).join(", ");
        logSafely(this.#logger, "warn", `${this.#label(call)} was dropped: the whitelist is [${listed}]`);
      }
      return;
    }
    call.started = true;
    let value: unknown;
    try {
      value = await this.#method(call.method).apply(this, call.args);
    } catch (error) {
      if (!call.reject(error)) logSafely(this.#logger, "error", `${this.#label(call)} failed`, error);
      return;
    }
    call.resolve(value);
  }

  #method(name: string): Method {
    const method = RESERVED.has(name) ? undefined : ownMethod(this, name);
    if (typeof method !== "function") {
      throw new ConfigurationError(`${this.constructor.name} has no method "${name}" that can be deferred.`);
    }
    return method as Method;
  }

  #label(call: DeferredCall): string {
    return `${call.oneWay ? "One-way" : "Sync"} call ${this.constructor.name}.${printable(call.method)}()`;
  }
}

/**
 * The value of `name` on `target` or its prototypes below `Object.prototype`, read from its property
 * descriptor: an accessor gives `undefined` without its getter being run.
 */
function ownMethod(target: object, name: string): unknown {
  for (let o: object | null = target; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name);
    if (descriptor !== undefined) return descriptor.value;
  }
  return undefined;
}

function whitelistOf(whitelist: string[] | undefined): Set<string> | undefined {
  if (whitelist === undefined) return undefined;
  if (!Array.isArray(whitelist) || whitelist.some((name) => typeof name !== "string")) {
    throw new ConfigurationError(`process({ whitelist }) needs an array of method names.`);
  }
  // SEMANTICS 7.3: only the named methods run, so an empty list runs none; duplicates name one method.
  return new Set(whitelist);
}
