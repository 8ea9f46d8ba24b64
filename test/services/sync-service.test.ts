import { ConfigurationError, CycleError, startServiceSync, stopServiceSync, SyncService } from "asyncscope";
import { expect } from "chai";

class Step extends SyncService {
  starts = 0;
  stops = 0;
  runningInStart: boolean | undefined;
  runningInStop: boolean | undefined;
  constructor(
    readonly label: string,
    readonly log: string[],
    public deps: SyncService[] = [],
    public startError?: unknown,
    public stopError?: unknown,
  ) {
    super();
  }
  override get name() {
    return this.label;
  }
  override get dependencies() {
    return this.deps;
  }
  override start() {
    this.starts++;
    this.runningInStart = this.running;
    this.log.push(`${this.label}:start`);
    if (this.startError !== undefined) throw this.startError;
  }
  override stop() {
    this.stops++;
    this.runningInStop = this.running;
    this.log.push(`${this.label}:stop`);
    if (this.stopError !== undefined) throw this.stopError;
  }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.fail("expected a throw");
}

describe("services: SyncService", () => {
  it("starts dependencies in order and stops them in reverse at the end of a `using` block", () => {
    const log: string[] = [];
    const b = new Step("B", log);
    const c = new Step("C", log);
    const a = new Step("A", log, [b, c]);
    {
      using started = startServiceSync(a);
      expect(started).to.equal(a);
      expect([a.running, b.running, c.running]).to.deep.equal([true, true, true]);
      log.push("body");
    }
    expect(log).to.deep.equal(["B:start", "C:start", "A:start", "body", "A:stop", "C:stop", "B:stop"]);
    expect([a.runningInStart, a.runningInStop, a.running]).to.deep.equal([false, false, false]);
  });

  it("starts a diamond's shared dependency once and stops it after the last of its dependents", () => {
    const log: string[] = [];
    const c = new Step("C", log);
    const b1 = new Step("B1", log, [c]);
    const b2 = new Step("B2", log, [c]);
    const a = new Step("A", log, [b1, b2]);
    startServiceSync(a);
    stopServiceSync(a);
    expect(log).to.deep.equal([
      "C:start",
      "B1:start",
      "B2:start",
      "A:start",
      "A:stop",
      "B2:stop",
      "B1:stop",
      "C:stop",
    ]);
    expect([c.starts, c.stops]).to.deep.equal([1, 1]);
  });

  it("a failed start stops what it started, in reverse, does not call its own stop, and can be retried", () => {
    const log: string[] = [];
    const E = new Error("E");
    const d1 = new Step("D1", log);
    const d2 = new Step("D2", log);
    const bad = new Step("Bad", log, [], E);
    const d3 = new Step("D3", log);
    const a = new Step("A", log, [d1, d2, bad, d3]);

    expect(thrown(() => startServiceSync(a))).to.equal(E);
    expect(log).to.deep.equal(["D1:start", "D2:start", "Bad:start", "D2:stop", "D1:stop"]);
    expect([bad.stops, d3.starts, a.starts, a.running]).to.deep.equal([0, 0, 0, false]);

    bad.startError = undefined;
    log.length = 0;
    using _a = startServiceSync(a);
    expect(log).to.deep.equal(["D1:start", "D2:start", "Bad:start", "D3:start", "A:start"]);
  });

  it("runs every stop and combines the errors in the order thrown", () => {
    const log: string[] = [];
    const [EA, EC] = [new Error("EA"), new Error("EC")];
    const b = new Step("B", log);
    const c = new Step("C", log, [], undefined, EC);
    const a = new Step("A", log, [b, c], undefined, EA);
    startServiceSync(a);
    const error = thrown(() => stopServiceSync(a));
    expect(error).to.be.instanceOf(AggregateError);
    expect((error as AggregateError).errors).to.deep.equal([EA, EC]);
    expect(log).to.deep.equal(["B:start", "C:start", "A:start", "A:stop", "C:stop", "B:stop"]);

    const single = new Step("S", log, [], undefined, EA);
    startServiceSync(single);
    expect(thrown(() => stopServiceSync(single))).to.equal(EA);
  });

  it("combines a start error with the stop errors of its cleanup, the start error first", () => {
    const log: string[] = [];
    const [E, ED] = [new Error("E"), new Error("ED")];
    const a = new Step("A", log, [new Step("D", log, [], undefined, ED)], E);
    const error = thrown(() => startServiceSync(a));
    expect((error as AggregateError).errors).to.deep.equal([E, ED]);
  });

  it("counts references: started twice, it runs until stopped twice; its dependency alone is not stopped", () => {
    const log: string[] = [];
    const d = new Step("D", log);
    const a = new Step("A", log, [d]);
    startServiceSync(a);
    startServiceSync(a);
    stopServiceSync(a);
    stopServiceSync(d);
    expect([a.running, d.running]).to.deep.equal([true, true]);
    stopServiceSync(a);
    stopServiceSync(a);
    expect(log).to.deep.equal(["D:start", "A:start", "A:stop", "D:stop"]);
  });

  it("rejects nested arrays, non-services and cycles before any start runs", () => {
    const log: string[] = [];
    const nested = new Step("A", log, [[new Step("B", log)] as unknown as SyncService]);
    const error = thrown(() => startServiceSync(nested));
    expect(error).to.be.instanceOf(ConfigurationError);
    expect((error as Error).message).to.contain("SyncService A: dependencies[0] is the array [B]");

    const notAService = new Step("A", log, [{} as SyncService]);
    expect(thrown(() => startServiceSync(notAService))).to.be.instanceOf(ConfigurationError);

    const x = new Step("X", log);
    const y = new Step("Y", log, [x]);
    x.deps = [y];
    expect((thrown(() => startServiceSync(new Step("Top", log, [y]))) as CycleError).path).to.deep.equal([
      "Y",
      "X",
      "Y",
    ]);
    expect(log).to.deep.equal([]);
  });

  it("refuses to start a stack again from inside its own start()", () => {
    const log: string[] = [];
    const a = new Step("A", log);
    a.start = () => void startServiceSync(a);
    const error = thrown(() => startServiceSync(a));
    expect(error).to.be.instanceOf(ConfigurationError);
    expect(a.running).to.equal(false);
  });
});
