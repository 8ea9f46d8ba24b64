// `node build/example-app/main.js` in a child process: it prints its URL, shuts down in order on SIGTERM
// (in-flight requests finish, the database closes last, exit code 143), and keeps its data for the next
// start, which SIGINT stops with exit code 130.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../example-app/main.js", import.meta.url));

interface Child {
  process: ChildProcess;
  lines: string[];
  url: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startApp(dataDir: string): Child {
  const child = spawn(process.execPath, ["--enable-source-maps", main], {
    env: { ...process.env, PORT: "0", DATA_DIR: dataDir, SHUTDOWN_GRACE_MS: "5000" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let stderr = "";
  let onUrl!: (url: string) => void;
  const url = new Promise<string>((resolve) => (onUrl = resolve));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    const found = /listening on (http:\/\/\S+)/.exec(line);
    if (found) onUrl(found[1]!);
    if (process.env.EXAMPLE_APP_LOG) console.log(`    | ${line}`);
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => child.on("close", (code, signal) => resolve({ code, signal })), // after the last line of output
  );
  const failed = exit.then(({ code }) => {
    throw new Error(`the app exited (${code}) before listening:\n${lines.join("\n")}\n${stderr}`);
  });
  return { process: child, lines, url: Promise.race([url, failed]), exit };
}

/** The message of a log line: without its time and tag. */
const message = (line: string): string => line.replace(/^\S+ \[[\w-]+\]\s+/, "");

describe("example app: the process (npm start)", function () {
  this.timeout(120_000);
  let dataDir: string;
  let child: Child | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "asyncscope-example-main-"));
  });

  afterEach(() => {
    if (child && child.process.exitCode === null && child.process.signalCode === null)
      child.process.kill("SIGKILL");
    child = undefined;
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("on SIGTERM stops accepting, lets the request in flight finish, closes the container with the database last, exits 143", async () => {
    child = startApp(dataDir);
    const url = await child.url;
    expect(child.lines[0]).to.match(/\[db\]\s+starting PGlite …/);
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);

    const note = await fetch(`${url}/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "kept across restarts" }),
    });
    expect(note.status).to.equal(201);
    await fetch(`${url}/notes/import?crashAfter=0`, { method: "POST", body: "[{}]" }); // loads the error handler

    const slow = fetch(`${url}/slow?ms=1500`);
    for (;;) {
      const graph = (await (await fetch(`${url}/_lifetimes`)).json()) as { scopes: { name: string }[] };
      if (graph.scopes.some((s) => s.name.endsWith("GET /slow"))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.process.kill("SIGTERM");
    while (!child.lines.some((l) => l.includes("shutting down"))) await new Promise((r) => setTimeout(r, 10));
    const refused = await fetch(`${url}/notes`).then(
      (res) => res.status,
      (err: Error) => (err.cause as { code?: string } | undefined)?.code ?? err.message,
    );
    expect(refused).to.be.oneOf(["ECONNREFUSED", 503]);
    const response = await slow;
    expect(response.status).to.equal(200);
    expect(((await response.json()) as { notes: number }).notes).to.equal(1);
    expect(await child.exit).to.deep.equal({ code: 143, signal: null });

    const log = child.lines.map(message);
    const at = (start: string | RegExp): number => {
      const i = log.findIndex((l) => (typeof start === "string" ? l.startsWith(start) : start.test(l)));
      expect(i, `"${start}" in the log:\n${log.join("\n")}`).to.be.greaterThan(-1);
      return i;
    };
    const order = [
      at("shutting down: stopped accepting requests; waiting up to 5.0 s for 1 in-flight request(s)"),
      at(/^#\d+ GET \/slow → 200/),
      at("all requests finished, server closed"),
      at("closing the container: scopes first, then the services, the database last"),
      at("- ErrorHandler disposed: it releases the database"),
      at("closing the database"),
      at("database closed"),
      at("container closed; exit code 143"),
    ];
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    expect(order.at(-1)).to.equal(log.length - 1);
  });

  it("keeps the data for the next start, and on SIGINT exits 130", async () => {
    child = startApp(dataDir);
    const url = await child.url;
    expect(child.lines.map(message)).to.satisfy((lines: string[]) =>
      lines.some((l) => /^ready: PGlite .* schema up to date/.test(l)),
    );
    const notes = (await (await fetch(`${url}/notes`)).json()) as { title: string }[];
    expect(notes.map((n) => n.title)).to.deep.equal(["kept across restarts"]);
    child.process.kill("SIGINT");
    expect(await child.exit).to.deep.equal({ code: 130, signal: null });
    expect(message(child.lines.at(-1)!)).to.equal("container closed; exit code 130");
  });
});
