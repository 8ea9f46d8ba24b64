import { requestCycle } from "./request-cycle.js";
import { coldStart } from "./cold-start.js";
import { concurrentShared } from "./concurrent-shared.js";
import { disposeGraph } from "./dispose-graph.js";
import { liveScopes } from "./live-scopes.js";
import { resolveInScope } from "./resolve-in-scope.js";
import { resolveSingleton } from "./resolve-singleton.js";
import type { Scenario } from "./scenario.js";
import { sequentialRequests } from "./sequential-requests.js";

export const scenarios: readonly Scenario[] = [
  resolveSingleton,
  resolveInScope,
  requestCycle,
  liveScopes,
  coldStart,
  concurrentShared,
  disposeGraph,
  sequentialRequests,
];
