import { AsyncLocalStorage } from "node:async_hooks";
import { consoleLogger, logSafely } from "../logger.js";
import type { StateDefinition } from "./definition.js";

/** @internal A state to enter, with the arguments of the call that asked for it. */
export interface Entry {
  readonly state: StateDefinition;
  readonly args: unknown[];
}

/** @internal One run of one state body, and how its tail call ended it, once made. */
export interface ActiveState {
  /** The machine that runs the state; a state call here goes to it. */
  readonly machine: object;
  readonly target: object;
  readonly state: StateDefinition;
  ended: boolean;
  /** `next` is the state to enter; without it, the machine fails with `thrown`. */
  exit?: { readonly to: string; readonly thrown: unknown; readonly next?: Entry };
}

/**
 * @internal The state whose code runs. A state method called while it is set, on the same object, is a
 * tail call; `AsyncLocalStorage` keeps it across `await` (SEMANTICS 9.8).
 */
export const activeState = new AsyncLocalStorage<ActiveState>();

// The name of the frame that runs a state body. A state call is a tail call only when this frame is on the
// call stack: the body's own synchronous code, or its async continuation, which V8's async stack traces
// link to the frame that awaits the body (SEMANTICS 9.8). A callback the state set up and does not await (a
// timer, an event listener, an un-awaited .then) runs without it: its state call is a call from outside.
const BODY_FRAME = "asyncscope:state-body";

/**
 * @internal Run a state body as the frame `inStateBody()` looks for. Async, so that V8 lists it in the async
 * stack trace of every continuation of the body.
 */
export const runStateBody = {
  async [BODY_FRAME](
    body: (...args: unknown[]) => unknown,
    target: object,
    args: unknown[],
  ): Promise<unknown> {
    return await body.apply(target, args);
  },
}[BODY_FRAME];

// Without async stack traces (node --no-async-stack-traces), a continuation cannot be told from a callback:
// then every state call in the state's context counts as its tail call, as it did before. Probed once, on a
// microtask at load time, before any state body can run.
let asyncFramesSeen = true;
void runStateBody(
  async () => {
    await undefined;
    asyncFramesSeen = inStateBody();
  },
  {},
  [],
);

/**
 * @internal True when the code that runs now is the body of a state or its continuation: its exception
 * reaches the runner. The call stack is read whole, async frames included.
 */
export function inStateBody(): boolean {
  if (!asyncFramesSeen) return true;
  const { stackTraceLimit, prepareStackTrace } = Error;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.stackTraceLimit = Infinity;
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.captureStackTrace(holder, inStateBody);
    return holder.stack!.some((site) => site.getFunctionName() === BODY_FRAME);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    Error.prepareStackTrace = prepareStackTrace;
  }
}

/** @internal Thrown by a valid tail call to end the current state; the runner catches it. */
export class TailCall extends Error {
  constructor(from: string, to: string) {
    super(
      `State ${from} ended at its tail call to ${to}. This exception is how a state ends: rethrow it if ` +
        `you catch it.`,
    );
  }
}
Object.defineProperty(TailCall.prototype, "name", { value: "TailCall" });

/** @internal The body went on after the tail call that ended it: its exception was caught. */
export function warnCodeAfterTailCall(active: ActiveState, failure: { error: unknown } | undefined): void {
  const outcome = failure ? "then threw (ignored)" : "then returned";
  logSafely(
    consoleLogger,
    "warn",
    `State ${active.state.info.name} kept running after its call to ${active.exit?.to}() had ended it, ` +
      `and ${outcome}: was the exception of that call caught? The call decides how the state ends`,
    ...(failure ? [failure.error] : []),
  );
}
