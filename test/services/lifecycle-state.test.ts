import { NotStartedError, runService, Service, startService, stopService } from "asyncscope";
import { expect } from "chai";
import { EventLog, Probe, rejectionOf } from "./helpers.js";

describe("services: lifecycle state", () => {
  it("case 76: the running flag", async () => {
    const log = new EventLog();
    const s = new Probe("S", log);
    expect(s.running).to.equal(false);
    await startService(s);
    expect(s.runningInStart).to.equal(false);
    expect(s.running).to.equal(true);
    await stopService(s);
    expect(s.runningInStop).to.equal(false);
    expect(s.running).to.equal(false);

    const E = new Error("E");
    const failing = new Probe("F", log, { startError: E });
    expect(await rejectionOf(startService(failing))).to.equal(E);
    expect(failing.running).to.equal(false);
    expect(failing.stops).to.equal(0);
    expect(log.events).to.deep.equal(["S:start", "S:stop", "F:start"]);
  });

  it("case 77: wait() and addTask() before start", async () => {
    const s = new Probe("S", new EventLog());
    expect(() => s.addTask(async () => undefined)).to.throw(NotStartedError, "Service S is not started");
    const pending = s.wait();
    const error = await rejectionOf(pending);
    expect(error).to.be.instanceOf(NotStartedError);
    expect((error as NotStartedError).code).to.equal("ERR_NOT_STARTED");
  });

  it("names a service after its class by default, in every message", async () => {
    class PaymentGateway extends Service {}
    const gateway = new PaymentGateway();
    expect(gateway.name).to.equal("PaymentGateway");
    expect(() => gateway.addTask(async () => undefined)).to.throw("Service PaymentGateway is not started");
  });

  it("wait() after a failed start rejects with that start's error", async () => {
    const E = new Error("E");
    const s = new Probe("S", new EventLog(), { startError: E });
    expect(await rejectionOf(startService(s))).to.equal(E);
    expect(await rejectionOf(s.wait())).to.equal(E);
  });

  it("wait() resolves after a clean stopService, whether called before or after it", async () => {
    const s = new Probe("S", new EventLog());
    await startService(s);
    const early = s.wait();
    await stopService(s);
    await early;
    await s.wait();
  });

  it("addTask() throws NotStartedError again once the service has stopped", async () => {
    const s = new Probe("S", new EventLog());
    await startService(s);
    await stopService(s);
    expect(() => s.addTask(async () => undefined)).to.throw(NotStartedError);
  });

  it("addTask() works inside start() and inside stop(), before the tasks are cancelled", async () => {
    const log = new EventLog();
    const s = new Probe("S", log, {
      onStart: (self) =>
        self.addTask(async (signal) => void signal.addEventListener("abort", () => log.add("t1"))),
    });
    s.stop = async () => {
      log.add("S:stop");
      s.addTask(async (signal) => new Promise((resolve) => signal.addEventListener("abort", resolve)));
    };
    await startService(s);
    await stopService(s);
    expect(log.events).to.deep.equal(["S:start", "S:stop"]);
  });

  it("case 79: restart after a crash", async () => {
    const log = new EventLog();
    let crashes = 0;
    const s = new Probe("S", log, {
      onStart: (self) =>
        self.addTask(async () => {
          throw new Error(`E${++crashes}`);
        }),
    });

    const first = await rejectionOf(runService(s));
    const second = await rejectionOf(runService(s));

    expect(first).to.be.instanceOf(Error).with.property("message", "E1");
    expect(second).to.be.instanceOf(Error).with.property("message", "E2");
    expect(log.events).to.deep.equal(["S:start", "S:stop", "S:start", "S:stop"]);
    expect(s.running).to.equal(false);
    expect(s.stopSignal!.aborted).to.equal(false);
    await stopService(s);
    expect(log.events).to.have.length(4);
  });

  it("restarts after a crash that happened once the stack was running", async () => {
    const log = new EventLog();
    const E = new Error("E");
    let fail = true;
    const d = new Probe("D", log);
    const s = new Probe("S", log, {
      deps: [d],
      onStart: (self) =>
        self.addTask(async () => {
          await new Promise((resolve) => setImmediate(resolve));
          if (fail) throw E;
        }),
    });
    await startService(s);
    expect(await rejectionOf(s.wait())).to.equal(E);
    fail = false;
    await startService(s);
    expect([s.running, d.running]).to.deep.equal([true, true]);
    await stopService(s);
    await s.wait();
    expect(log.events).to.deep.equal([
      "D:start",
      "S:start",
      "S:stop",
      "D:stop",
      "D:start",
      "S:start",
      "S:stop",
      "D:stop",
    ]);
  });

  it("a service started again while it is stopping waits for that stop, then starts afresh", async () => {
    const log = new EventLog();
    const d = new Probe("D", log, { stopMs: 20 });
    const s = new Probe("S", log, { deps: [d] });
    await startService(s);
    const stopping = stopService(s);
    const restarted = startService(s);
    await stopping;
    expect(await restarted).to.equal(s);
    expect(log.events).to.deep.equal([
      "D:start",
      "S:start",
      "S:stop",
      "D:stop:begin",
      "D:stop:end",
      "D:start",
      "S:start",
    ]);
    await stopService(s);
  });
});
