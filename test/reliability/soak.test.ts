// The soak script in short (20,000 request scopes, or SOAK_COUNT), in a child process with --expose-gc: it
// exits 0 only when the heap did not grow, nothing is alive at the end and every injected error was
// received exactly once.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../scripts/soak.js", import.meta.url));
const count = Number(process.env.SOAK_COUNT ?? 20_000);

describe("soak", function () {
  this.timeout(Math.max(60_000, count * 2));

  it(`${count.toLocaleString("en")} request scopes with shared services and 1% failures: no growth, no leak, nothing lost`, async () => {
    const child = spawn(process.execPath, ["--expose-gc", script, "--count", String(count)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, output).to.equal(0);
    expect(output).to.match(/soak: OK/);
    expect(output).to.match(/errors injected, (\d+) received once, 0 unexpected, 0 logged/);
  });
});
