// Fixtures of the facet-style service tests: an event log with times, a configurable probe service and
// a virtual clock. Generic helpers (wait, recordingLogger) come from the shared test/support/helpers.ts.
import { Service, type Logger } from "asyncscope";
import { expect } from "chai";
import sinon from "sinon";
import { recordingLogger, wait } from "../support/helpers.js";

export { recordingLogger, wait };

/** Events in order, each with the milliseconds since the log was made (virtual time under fake timers). */
export class EventLog {
  readonly entries: { event: string; at: number }[] = [];
  readonly t0 = Date.now();
  add(event: string): void {
    this.entries.push({ event, at: this.now() });
  }
  now(): number {
    return Date.now() - this.t0;
  }
  /** Forget the events so far; times still count from the log's creation. */
  clear(): void {
    this.entries.length = 0;
  }
  get events(): string[] {
    return this.entries.map((entry) => entry.event);
  }
  /** `"event at"` strings, for one deep-equal on order and time. */
  get timed(): string[] {
    return this.entries.map((entry) => `${entry.event} ${entry.at}`);
  }
}

/** Never resolves; rejects with the signal's reason when it aborts. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

export interface ProbeOptions {
  deps?: (Service | Service[])[];
  /** Without a duration a hook logs `X:start`; with one, `X:start:begin` … `X:start:end`. */
  startMs?: number;
  stopMs?: number;
  startError?: unknown;
  stopError?: unknown;
  /** Keep sleeping when the hook's signal aborts (default: honour it, log `X:start:aborted`). */
  ignoreSignals?: boolean;
  gracefulMs?: number;
  cancelMs?: number;
  /** Runs at the end of start(), e.g. to add background tasks. */
  onStart?: (self: Probe, signal: AbortSignal) => unknown;
  logger?: Logger;
}

/** A service that logs its hooks, counts them and records what `running` said inside them. */
export class Probe extends Service {
  starts = 0;
  stops = 0;
  runningInStart: boolean | undefined;
  runningInStop: boolean | undefined;
  startSignal: AbortSignal | undefined;
  stopSignal: AbortSignal | undefined;

  constructor(
    readonly label: string,
    readonly log: EventLog,
    readonly options: ProbeOptions = {},
  ) {
    super();
    if (options.logger) this.logger = options.logger;
  }

  override get name(): string {
    return this.label;
  }
  override get dependencies(): (Service | Service[])[] {
    return this.options.deps ?? [];
  }
  override get gracefulShutdownTimeoutMs(): number {
    return this.options.gracefulMs ?? super.gracefulShutdownTimeoutMs;
  }
  override get cancelTimeoutMs(): number {
    return this.options.cancelMs ?? super.cancelTimeoutMs;
  }

  override async start(signal: AbortSignal): Promise<void> {
    this.starts++;
    this.runningInStart = this.running;
    this.startSignal = signal;
    await this.hook("start", this.options.startMs, this.options.startError, signal);
    // A returned promise is awaited; a returned task handle is not (awaiting it would take it over).
    const result = this.options.onStart?.(this, signal);
    if (result instanceof Promise) await result;
  }

  override async stop(signal: AbortSignal): Promise<void> {
    this.stops++;
    this.runningInStop = this.running;
    this.stopSignal = signal;
    await this.hook("stop", this.options.stopMs, this.options.stopError, signal);
  }

  private async hook(what: string, ms: number | undefined, error: unknown, signal: AbortSignal) {
    if (ms === undefined) {
      this.log.add(`${this.label}:${what}`);
      if (error !== undefined) throw error;
      return;
    }
    this.log.add(`${this.label}:${what}:begin`);
    try {
      await wait(ms, this.options.ignoreSignals ? undefined : signal);
    } catch (reason) {
      this.log.add(`${this.label}:${what}:aborted`);
      throw reason;
    }
    if (error !== undefined) throw error;
    this.log.add(`${this.label}:${what}:end`);
  }
}

/** What a recording logger received: `[level, message, ...rest]` per call. */
export function logged(logger: RecordingLogger): unknown[][] {
  return logger.entries.map((entry) => [entry.level, entry.msg, ...entry.rest]);
}

export type RecordingLogger = ReturnType<typeof recordingLogger>;

/** How and when (on `log`'s clock) a promise settled. */
export interface Settled<T> {
  settled: boolean;
  at?: number;
  value?: T;
  error?: unknown;
}

/** Record when and how `promise` settles; `done` never rejects. */
export function track<T>(promise: Promise<T>, log: EventLog): { result: Settled<T>; done: Promise<unknown> } {
  const result: Settled<T> = { settled: false };
  const done = promise.then(
    (value) => Object.assign(result, { at: log.now(), value, settled: true }),
    (error: unknown) => Object.assign(result, { at: log.now(), error, settled: true }),
  );
  return { result, done };
}

/** Virtual timers and Date (microtasks stay real). */
export interface VirtualClock {
  tickAsync(ms: number): Promise<number>;
  countTimers(): number;
  runAll(): number;
  /** Let `ms` pass, then tell when and how `promise` settled. */
  settle<T>(promise: Promise<T>, ms: number, log: EventLog): Promise<Settled<T>>;
}

/** Inside a describe(): a virtual clock installed before each test and restored after it. */
export function useVirtualClock(): VirtualClock {
  let clock: sinon.SinonFakeTimers | undefined;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => clock?.restore());
  const current = () => clock ?? expect.fail("the virtual clock exists only inside a test");
  return {
    tickAsync: (ms) => current().tickAsync(ms),
    countTimers: () => current().countTimers(),
    runAll: () => current().runAll(),
    async settle(promise, ms, log) {
      const tracked = track(promise, log);
      await current().tickAsync(ms);
      await tracked.done;
      return tracked.result;
    },
  };
}

/** The reason `promise` rejects with; fails the test if it resolves. */
export function rejectionOf(promise: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(promise).then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}
