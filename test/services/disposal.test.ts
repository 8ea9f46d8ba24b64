import { Service, startService, stopService, SuppressedError } from "asyncscope";
import { expect } from "chai";
import { getEventListeners } from "node:events";
import { EventLog, Probe } from "./helpers.js";

describe("services: await using and container integration", () => {
  it("startService returns the same object, which `await using` stops at the end of the block", async () => {
    const log = new EventLog();
    const d = new Probe("D", log);
    const a = new Probe("A", log, { deps: [d] });
    {
      await using started = await startService(a);
      expect(started).to.equal(a);
      expect(a.running).to.equal(true);
      log.add("body");
    }
    expect(log.events).to.deep.equal(["D:start", "A:start", "body", "A:stop", "D:stop"]);
  });

  it("under `await using`, a body error and a stop error give a SuppressedError", async () => {
    const log = new EventLog();
    const E1 = new Error("E1");
    const EA = new Error("EA");
    const a = new Probe("A", log, { stopError: EA });
    let caught: unknown;
    try {
      await using _a = await startService(a);
      throw E1;
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(SuppressedError);
    expect((caught as SuppressedError).error).to.equal(EA);
    expect((caught as SuppressedError).suppressed).to.equal(E1);
    expect(log.events).to.deep.equal(["A:start", "A:stop"]);
  });

  it("a service with no dependencies whose collaborators were injected is started and stopped alone", async () => {
    // What the container does: construct with injected collaborators, startService, later stopService.
    const log = new EventLog();
    class Repo extends Probe {}
    class Api extends Service {
      constructor(readonly repo: Repo) {
        super();
      }
      override async start() {
        log.add(`Api:start (repo running: ${this.repo.running})`);
      }
      override async stop() {
        log.add("Api:stop");
      }
    }
    const repo = await startService(new Repo("Repo", log));
    const api = await startService(new Api(repo));
    await stopService(api);
    expect(repo.running).to.equal(true);
    await stopService(repo);
    expect(log.events).to.deep.equal([
      "Repo:start",
      "Api:start (repo running: true)",
      "Api:stop",
      "Repo:stop",
    ]);
  });

  it("stopping a service that lists an already running collaborator leaves that collaborator running", async () => {
    const log = new EventLog();
    const repo = await startService(new Probe("Repo", log));
    const api = await startService(new Probe("Api", log, { deps: [repo] }));
    await stopService(api);
    expect(repo.running).to.equal(true);
    // Stopped in the wrong order, the collaborator still outlives its dependent.
    const api2 = await startService(new Probe("Api2", log, { deps: [repo] }));
    await stopService(repo);
    expect(repo.running).to.equal(true);
    await stopService(api2);
    expect(repo.running).to.equal(false);
    expect(log.events).to.deep.equal([
      "Repo:start",
      "Api:start",
      "Api:stop",
      "Api2:start",
      "Api2:stop",
      "Repo:stop",
    ]);
  });

  it("leaves no abort listeners on the signals it linked", async () => {
    const log = new EventLog();
    const a = new Probe("A", log, {
      deps: [[new Probe("B", log), new Probe("C", log)], new Probe("D", log)],
    });
    await startService(a);
    expect(getEventListeners(a.startSignal!, "abort")).to.have.length(0);
    await stopService(a);
    expect(getEventListeners(a.stopSignal!, "abort")).to.have.length(0);
  });
});
