import { constants } from "node:os";
import { ConfigurationError } from "../errors.js";

// The process cannot listen to these: Node refuses a listener for them.
const UNCATCHABLE = new Set(["SIGKILL", "SIGSTOP"]);

/**
 * `runMain`'s `signals` option as a set: each name once, in first-seen order (a name given twice would add
 * two listeners, and one signal would count as two). A name that is not a signal of this platform, or one
 * the process cannot listen to, is a `ConfigurationError`.
 *
 * @internal
 */
export function signalList(signals: unknown, fallback: readonly NodeJS.Signals[]): NodeJS.Signals[] {
  if (signals === undefined) return [...fallback];
  if (!Array.isArray(signals)) {
    throw new ConfigurationError(
      `runMain({ signals }) needs an array of signal names such as ["SIGINT", "SIGTERM"], got ${typeof signals}.`,
    );
  }
  const unique = new Set<NodeJS.Signals>();
  for (const name of signals as unknown[]) {
    if (typeof name !== "string" || !Object.hasOwn(constants.signals, name) || UNCATCHABLE.has(name)) {
      const shown = typeof name === "string" ? JSON.stringify(name) : typeof name;
      throw new ConfigurationError(
        `runMain({ signals }): ${shown} is not a signal this process can listen to; ` +
          `use names from os.constants.signals such as "SIGINT" or "SIGTERM" (not SIGKILL or SIGSTOP).`,
      );
    }
    unique.add(name as NodeJS.Signals);
  }
  return [...unique];
}
