// What a failing background task does to the stacks its service belongs to (SEMANTICS 6.4). Internal.
import { logSafely } from "../logger.js";
import { EXTERNAL, recordOf, type Crash } from "./record.js";
import type { ServiceNode } from "./service-node.js";
import { ErrorLog } from "./settle.js";
import { stopRunning } from "./stop-run.js";

/**
 * A background task of `service` threw `error`. Walk up from it through everything that holds it:
 *
 * 1. A service still starting (itself, or a dependent whose later dependencies are starting) has its
 *    start aborted; that start rejects with `error`.
 * 2. A running service records the crash, so that its `wait()` rejects with it.
 * 3. Each running service held by `startService` callers is a root: those references are dropped and it
 *    stops, which stops everything below it in stop order.
 *
 * The crash goes to the logger when nobody will receive it: no `wait()`, `runService` or start.
 */
export function crash(service: ServiceNode, error: unknown): void {
  const record = recordOf(service);
  const session = record.session;
  if (
    session === undefined ||
    session.crash !== undefined ||
    !(record.phase === "starting" || record.phase === "running")
  ) {
    // Its run is already ending: nothing more to bring down.
    logSafely(
      service.logger,
      "error",
      `Service ${service.name}: a background task failed while stopping`,
      error,
    );
    return;
  }
  const event: Crash = { error, observed: false };
  const roots: ServiceNode[] = [];
  const seen = new Set<ServiceNode>();
  const visit = (node: ServiceNode): void => {
    if (seen.has(node)) return;
    seen.add(node);
    const nodeRecord = recordOf(node);
    if (nodeRecord.runners > 0) event.observed = true;
    if (nodeRecord.phase === "starting") {
      if (nodeRecord.waiters.size > 0) event.observed = true;
      nodeRecord.abortStart(node.name, error);
      return;
    }
    if (nodeRecord.phase !== "running") return;
    nodeRecord.session!.crashWith(event);
    for (const holder of nodeRecord.holds.holders()) {
      if (holder === EXTERNAL) roots.push(node);
      else visit(holder as ServiceNode);
    }
  };
  visit(service);
  const stops = roots.map((root) => {
    const rootRecord = recordOf(root);
    rootRecord.holds.dropAll(EXTERNAL);
    return rootRecord.holds.empty ? stopRunning(root, rootRecord, new ErrorLog(), event) : undefined;
  });
  void Promise.all(stops).then(() => {
    if (event.observed) return;
    const stopped = roots.length > 0 ? `; stopped ${roots.map((root) => root.name).join(", ")}` : "";
    logSafely(service.logger, "error", `Service ${service.name}: a background task crashed${stopped}`, error);
  });
}
