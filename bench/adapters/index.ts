// Every container under test, in the order the first round runs them.
import type { Adapter } from "../adapter.js";
import { AsyncscopeAdapter, isAsyncscopeReady } from "./asyncscope.js";
import { AwilixAdapter } from "./awilix.js";
import { BaselineAdapter } from "./baseline.js";
import { InversifyAdapter } from "./inversify.js";
import { TsyringeAdapter } from "./tsyringe.js";
import { TypediAdapter } from "./typedi.js";

export const BASELINE = "baseline";
export const SUBJECT = "asyncscope";
/** The peers the targets compare against ("the fastest peer"). */
export const PEERS = ["tsyringe", "inversify", "awilix", "typedi"] as const;

export interface AdapterList {
  readonly adapters: Adapter[];
  /** Adapters that could not run at all, with the reason (shown as n/a rows). */
  readonly missing: ReadonlyMap<string, string>;
}

export function createAdapters(): AdapterList {
  const adapters: Adapter[] = [
    new BaselineAdapter(),
    new TsyringeAdapter(),
    new InversifyAdapter(),
    new AwilixAdapter(),
    new TypediAdapter(),
  ];
  const missing = new Map<string, string>();
  // TODO(core): drop this guard once the container has landed on main.
  if (isAsyncscopeReady) adapters.unshift(new AsyncscopeAdapter());
  else missing.set(SUBJECT, "the asyncscope container is not on main yet");
  return { adapters, missing };
}
