// TaskImpl moved to tasks/task-impl.ts; this path stays for the engine files that import from it.
export { isCancellation, TaskImpl, type TaskOwner } from "../tasks/task-impl.js";
