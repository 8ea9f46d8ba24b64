// Every container under test, in the order the first round runs them.
import type { Adapter } from "../adapter.js";
import { AsyncscopeAdapter } from "./asyncscope.js";
import { AwilixAdapter } from "./awilix.js";
import { BaselineAdapter } from "./baseline.js";
import { InversifyAdapter } from "./inversify.js";
import { TsyringeAdapter } from "./tsyringe.js";
import { TypediAdapter } from "./typedi.js";

export const BASELINE = "baseline";
export const SUBJECT = "asyncscope";
/** The peers the targets compare against ("the fastest peer"). */
export const PEERS = ["tsyringe", "inversify", "awilix", "typedi"] as const;

export function createAdapters(): Adapter[] {
  return [
    new AsyncscopeAdapter(),
    new TsyringeAdapter(),
    new InversifyAdapter(),
    new AwilixAdapter(),
    new TypediAdapter(),
    new BaselineAdapter(),
  ];
}
