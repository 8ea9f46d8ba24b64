// What the lifecycle machinery needs of a facet-style service. `Service` implements it; the modules
// below service.ts (record, background tasks, crash, stop) use this type instead of importing
// service.ts, so that services/ has no import cycle. Internal.
import type { Logger } from "../logger.js";

/** A service as the start/stop machinery sees it (see `Service` for what each member means). */
export interface ServiceNode {
  readonly name: string;
  readonly logger: Logger;
  readonly gracefulShutdownTimeoutMs: number;
  readonly cancelTimeoutMs: number;
  start(signal: AbortSignal): Promise<void>;
  stop(signal: AbortSignal): Promise<void>;
}
