// Run a compiled fixture in a child Node.js process, line by line: its stdout lines, exit code and signal.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ChildRun {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The compiled fixture `test/fixtures/<name>.ts`. */
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/${name}.js`, import.meta.url));

/**
 * Run `file` with `args`, calling `onLine` for each stdout line as it comes (to send a signal on "ready",
 * say). Rejects, after killing it, if the child has not exited within 15 s.
 */
export function runChild(
  file: string,
  args: string[],
  onLine?: (line: string, child: ReturnType<typeof spawn>) => void,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--enable-source-maps", file, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let buffer = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let i: number;
      while ((i = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        lines.push(line);
        onLine?.(line, child);
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `child ${file} ${args.join(" ")} did not exit; stdout: ${lines.join(" | ")}; stderr: ${stderr}`,
        ),
      );
    }, 15_000);
    child.on("exit", (code, signal) => {
      clearTimeout(killer);
      resolve({ lines, code, signal });
    });
  });
}
