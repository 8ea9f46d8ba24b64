import { ConfigurationError, CycleError, Service, startService } from "asyncscope";
import { expect } from "chai";
import { EventLog, Probe, rejectionOf } from "./helpers.js";

describe("services: validation before anything starts", () => {
  it("case 70: a third nesting level is rejected at declaration or validation", async () => {
    const log = new EventLog();
    const x = new Probe("X", log);
    const y = new Probe("Y", log);
    const z = new Probe("Z", log);
    const a = new Probe("A", log, { deps: [[x, [y, z] as unknown as Service]] });

    const error = await rejectionOf(startService(a));

    expect(error).to.be.instanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).to.equal("ERR_CONFIG");
    expect((error as Error).message)
      .to.contain("Service A")
      .and.contain("[Y, Z]")
      .and.contain("third level");
    expect(log.events).to.deep.equal([]);
    expect([x, y, z, a].map((s) => s.starts)).to.deep.equal([0, 0, 0, 0]);
  });

  it("validates the whole graph: a bad list deep below the root stops every start hook", async () => {
    const log = new EventLog();
    const deep = new Probe("Deep", log, {
      deps: [[new Probe("Y", log), [new Probe("Z", log)] as unknown as Service]],
    });
    const first = new Probe("First", log);
    const a = new Probe("A", log, { deps: [first, new Probe("Mid", log, { deps: [deep] })] });

    const error = await rejectionOf(startService(a));

    expect(error).to.be.instanceOf(ConfigurationError);
    expect((error as Error).message).to.contain("Service Deep");
    expect(log.events).to.deep.equal([]);
    expect(first.running).to.equal(false);
  });

  it("rejects an entry that is not a service, naming the service and the index", async () => {
    const log = new EventLog();
    const a = new Probe("A", log, { deps: [new Probe("B", log), undefined as unknown as Service] });
    const error = await rejectionOf(startService(a));
    expect(error).to.be.instanceOf(ConfigurationError);
    expect((error as Error).message).to.equal("Service A: dependencies[1] is undefined, not a Service.");
    expect(log.events).to.deep.equal([]);
  });

  it("rejects a dependency cycle with its whole path before anything starts", async () => {
    const log = new EventLog();
    const deps: Record<string, Service[]> = {};
    const node = (label: string) =>
      new (class extends Probe {
        override get dependencies() {
          return deps[label] ?? [];
        }
      })(label, log);
    const a = node("A");
    const b = node("B");
    const c = node("C");
    deps.A = [b];
    deps.B = [[c] as unknown as Service];
    deps.C = [a];

    const error = await rejectionOf(startService(a));

    expect(error).to.be.instanceOf(CycleError);
    expect((error as CycleError).path).to.deep.equal(["A", "B", "C", "A"]);
    expect(log.events).to.deep.equal([]);
  });

  it("rejects a service that depends on itself", async () => {
    const log = new EventLog();
    const self: Service[] = [];
    const a = new Probe("A", log, { deps: self });
    self.push(a);
    const error = await rejectionOf(startService(a));
    expect((error as CycleError).path).to.deep.equal(["A", "A"]);
  });

  it("rejects a timeout that is not a number of milliseconds", async () => {
    const log = new EventLog();
    const a = new Probe("A", log, { deps: [new Probe("B", log, { gracefulMs: Number.NaN })] });
    const error = await rejectionOf(startService(a));
    expect(error).to.be.instanceOf(ConfigurationError);
    expect((error as Error).message).to.contain("Service B: gracefulShutdownTimeoutMs");
    expect(log.events).to.deep.equal([]);
  });

  it("accepts empty groups and a diamond without calling it a cycle", async () => {
    const log = new EventLog();
    const c = new Probe("C", log);
    const a = new Probe("A", log, {
      deps: [[], new Probe("B1", log, { deps: [c] }), [new Probe("B2", log, { deps: [c] })]],
    });
    await startService(a);
    expect(log.events).to.deep.equal(["C:start", "B1:start", "B2:start", "A:start"]);
    await a[Symbol.asyncDispose]();
    expect(c.running).to.equal(false);
  });
});
