// The cancellation of a service's background tasks when its run stops (SEMANTICS 6.4, 5.5). Internal.
import { CancelledError } from "../errors.js";
import { reportStuck, within } from "./settle.js";
import type { Session } from "./record.js";
import type { ServiceNode } from "./service-node.js";

/**
 * Cancel every task of a run and wait for them, at most `cancelTimeoutMs`; tasks still running then
 * are reported to the logger as stuck. addTask() refuses new tasks from here on.
 */
export async function closeTasks(service: ServiceNode, session: Session): Promise<void> {
  session.tasksClosed = true;
  const tasks = [...session.tasks];
  if (tasks.length === 0) return;
  const reason = new CancelledError(
    `Service ${service.name} is stopping; its background tasks are cancelled.`,
  );
  for (const task of tasks) task.cancel(reason);
  const limit = service.cancelTimeoutMs;
  const all = Promise.all(tasks.map((task) => task.ended)).then(() => true);
  if (await within(all, limit)) return;
  const stuck = tasks.filter((task) => !task.done).map((task) => task.name);
  reportStuck(service, stuck.join(", "), limit);
}
