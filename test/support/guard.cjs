// A mocha root-hook plugin that makes the run fail on what a test cannot see by itself: an unhandled
// rejection, an uncaught exception outside a test, a MaxListenersExceededWarning, or a handle left open at
// the end (the process must exit by itself). Loaded by `.mocharc.json` ("require"), so every run of the
// suite has it; `test/support/guard.test.ts` checks that each of the four makes a run fail.
"use strict";

/** What went wrong since the last check: `{ kind, detail }`. */
const pending = [];

function describeValue(value) {
  try {
    if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
    return typeof value === "symbol" ? value.toString() : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

process.on("unhandledRejection", (reason) => {
  pending.push({ kind: "unhandled rejection", detail: describeValue(reason) });
});
process.on("warning", (warning) => {
  // A listener leak, or a timer Node clamped to 1 ms (a time above 2^31-1 ms that fired at once).
  if (warning.name === "MaxListenersExceededWarning" || warning.name === "TimeoutOverflowWarning") {
    pending.push({ kind: "MaxListenersExceededWarning", detail: warning.message });
  }
});

/** Throws (failing the hook that calls it) if anything was recorded since the last call. */
function check(where) {
  if (pending.length === 0) return;
  const found = pending.splice(0);
  throw new Error(
    `${found.length} problem(s) ${where}:\n` + found.map((p) => `- ${p.kind}: ${p.detail}`).join("\n"),
  );
}

/** Resources that keep the process alive, less stdio. */
function openHandles() {
  return process
    .getActiveResourcesInfo()
    .filter((kind) => kind !== "PipeWrap" && kind !== "TTYWrap" && kind !== "FSReqCallback");
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const GRACE_MS = Number(process.env.GUARD_GRACE_MS ?? 2000);

exports.mochaHooks = {
  afterEach() {
    check(`during or right after "${this.currentTest?.fullTitle() ?? "a test"}"`);
  },
  beforeAll() {
    // Registered now, when every spec file has added its own root `after` hooks, so that it runs last.
    this.runnable().parent.afterAll("the run leaves nothing behind", endOfRun);
  },
};

async function endOfRun() {
  const hook = this.runnable();
  // Let what the last tests closed finish closing (sockets, child processes), then look.
  const deadline = Date.now() + GRACE_MS;
  let open = openHandles();
  while (open.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    open = openHandles();
  }
  for (let i = 0; i < 5; i++) await turn();
  check("at the end of the run");
  // Mocha arms a timer for this (async) hook once it has returned its promise: not the suite's handle.
  hook.clearTimeout();
  open = openHandles();
  if (open.length > 0) {
    throw new Error(
      `handles left open at the end of the run (the process would not exit by itself): ${open.join(", ")}`,
    );
  }
}

// Whatever happens after the last hook still fails the run, and a process kept alive anyway is ended.
process.on("exit", () => {
  if (pending.length > 0) {
    process.stderr.write(
      `\nguard: ${pending.length} problem(s) after the last test:\n` +
        pending.map((p) => `- ${p.kind}: ${p.detail}`).join("\n") +
        "\n",
    );
    process.exitCode = 1;
  }
});
exports.mochaGlobalTeardown = function () {
  setTimeout(
    () => {
      process.stderr.write(
        `\nguard: the process did not exit by itself; open: ${openHandles().join(", ")}\n`,
      );
      process.exit(1);
    },
    Number(process.env.GUARD_EXIT_MS ?? 10_000),
  ).unref();
};
