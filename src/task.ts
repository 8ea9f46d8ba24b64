// The public task types live with the task group in tasks/; this path stays for the files that import it.
export type { SpawnOptions, Task } from "./tasks/task.js";
