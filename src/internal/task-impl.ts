// TaskImpl moved to tasks/task-impl.ts and isCancellation to errors.ts; this path stays for the engine files
// that import from it.
export { TaskImpl, type TaskOwner } from "../tasks/task-impl.js";
export { isCancellation } from "../errors.js";
