import type { Logger } from "asyncscope";
import { Worker } from "node:worker_threads";

/** The registration token of the app's {@link AppLog} (a plain value). */
export const LOG = "log";

export interface AppLogOptions {
  /** Where finished lines go; default: stdout. */
  write?: (line: string) => void;
  /** Colours and a redrawn progress line; default: when stdout is a terminal and `write` is not given. */
  tty?: boolean;
}

const COLORS: Record<string, number> = { db: 36, http: 32, request: 90, lifetime: 35, admin: 33, errors: 31 };
const tint = (on: boolean, code: number, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/**
 * The app's log: one line per event, `time  [tag]  message`, so that the order in which services start and
 * stop can be read (and asserted) line by line.
 */
export class AppLog {
  readonly #write: (line: string) => void;
  readonly #tty: boolean;
  readonly #toStdout: boolean;

  constructor(options: AppLogOptions = {}) {
    this.#write = options.write ?? ((line) => void process.stdout.write(`${line}\n`));
    this.#toStdout = options.write === undefined;
    this.#tty = options.tty ?? (this.#toStdout && process.stdout.isTTY === true);
  }

  info(tag: string, message: string): void {
    this.#line(tag, message);
  }

  warn(tag: string, message: string): void {
    this.#line(tag, tint(this.#tty, 33, message));
  }

  error(tag: string, message: string): void {
    this.#line(tag, tint(this.#tty, 31, message));
  }

  /**
   * A line that shows something slow is still going, so nobody takes a few seconds of start-up for a hang:
   * redrawn with a spinner on a terminal, else one line a second. On stdout it is drawn by a worker thread,
   * because PGlite's first start (initdb) blocks the main thread for seconds at a time.
   */
  progress(tag: string, message: string, note?: string): { done(message: string): Promise<void> } {
    const t0 = performance.now();
    const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    if (!this.#tty || note) this.#line(tag, `${message} …${note ? ` (${note})` : ""}`);
    const stop = this.#toStdout
      ? tickInWorker(this.#tty, `[${tag}]`.padEnd(12), message)
      : tickOnTimer(() => this.#line(tag, `${message} … ${elapsed()}`));
    return {
      done: async (doneMessage) => {
        await stop();
        this.#line(tag, `${doneMessage} (${elapsed()})`);
      },
    };
  }

  /** This log as asyncscope's `Logger`, for what the container reports (stuck tasks, unobserved errors). */
  asLogger(): Logger {
    return {
      warn: (msg, ...rest) =>
        this.warn("asyncscope", [msg, ...rest.filter((r) => !(r instanceof Error))].join(" ")),
      error: (msg, ...rest) =>
        this.error("asyncscope", [msg, ...rest.filter((r) => !(r instanceof Error))].join(" ")),
    };
  }

  #format(tag: string, message: string): string {
    const time = new Date().toISOString().slice(11, 23);
    const label = `[${tag}]`.padEnd(12);
    return `${tint(this.#tty, 2, time)} ${tint(this.#tty, COLORS[tag] ?? 37, label)} ${message}`;
  }

  #line(tag: string, message: string): void {
    this.#write(this.#format(tag, message));
  }
}

function tickOnTimer(tick: () => void): () => Promise<void> {
  const timer = setInterval(tick, 1000);
  timer.unref();
  return async () => clearInterval(timer);
}

/** The worker's code: it writes to file descriptor 1 itself, so it keeps going while the main thread is busy. */
const TICKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const { tty, label, message } = workerData;
const t0 = Date.now();
const spinner = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
let frame = 0;
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1) + " s";
const timer = setInterval(() => {
  const line = new Date().toISOString().slice(11, 23) + " " + label + " " + message;
  if (tty) writeSync(1, "\\r" + line + " " + spinner[frame++ % spinner.length] + " " + elapsed() + "\\x1b[K");
  else writeSync(1, line + " … " + elapsed() + "\\n");
}, tty ? 100 : 1000);
parentPort.once("message", () => {
  clearInterval(timer);
  if (tty) writeSync(1, "\\r\\x1b[K");
  parentPort.close();
});
`;

function tickInWorker(tty: boolean, label: string, message: string): () => Promise<void> {
  const worker = new Worker(TICKER, { eval: true, workerData: { tty, label, message } });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.once("error", () => undefined); // a broken ticker must not break start-up
  return async () => {
    worker.postMessage("stop");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 500).unref())]);
  };
}
