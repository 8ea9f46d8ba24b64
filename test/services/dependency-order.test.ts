import { startService, stopService } from "asyncscope";
import { expect } from "chai";
import { EventLog, Probe, useVirtualClock } from "./helpers.js";

describe("services: dependency order", () => {
  const clock = useVirtualClock();

  it("case 69: sequential vs parallel groups: start order and reverse stop order", async () => {
    const log = new EventLog();
    const b = new Probe("B", log, { startMs: 100, stopMs: 100 });
    const c = new Probe("C", log, { startMs: 200, stopMs: 200 });
    const d = new Probe("D", log, { startMs: 50, stopMs: 50 });
    const a = new Probe("A", log, { deps: [[b, c], d] });

    const started = await clock.settle(startService(a), 250, log);
    expect(started).to.deep.include({ at: 250, value: a });

    const stopped = await clock.settle(stopService(a), 250, log);
    expect(stopped).to.deep.equal({ settled: true, at: 500, value: undefined });

    expect(log.timed).to.deep.equal([
      "B:start:begin 0",
      "C:start:begin 0",
      "B:start:end 100",
      "C:start:end 200",
      "D:start:begin 200",
      "D:start:end 250",
      "A:start 250",
      "A:stop 250",
      "D:stop:begin 250",
      "D:stop:end 300",
      "B:stop:begin 300",
      "C:stop:begin 300",
      "B:stop:end 400",
      "C:stop:end 500",
    ]);
    expect([a, b, c, d].map((s) => s.running)).to.deep.equal([false, false, false, false]);
    expect(clock.countTimers()).to.equal(0);
  });

  it("case 69 variant: [B] and [[B]] produce identical logs", async () => {
    const run = async (nest: boolean) => {
      const log = new EventLog();
      const b = new Probe("B", log, { startMs: 100, stopMs: 100 });
      const a = new Probe("A", log, { deps: nest ? [[b]] : [b] });
      const started = startService(a);
      await clock.tickAsync(100);
      await started;
      const stopped = stopService(a);
      await clock.tickAsync(100);
      await stopped;
      return log.timed;
    };
    const flat = await run(false);
    expect(flat).to.deep.equal([
      "B:start:begin 0",
      "B:start:end 100",
      "A:start 100",
      "A:stop 100",
      "B:stop:begin 100",
      "B:stop:end 200",
    ]);
    expect(await run(true)).to.deep.equal(flat);
  });

  it("starts a diamond's shared dependency once and stops it after the last of its dependents", async () => {
    const log = new EventLog();
    const c = new Probe("C", log);
    const b1 = new Probe("B1", log, { deps: [c] });
    const b2 = new Probe("B2", log, { deps: [c] });
    const a = new Probe("A", log, { deps: [b1, b2] });

    await startService(a);
    expect([a, b1, b2, c].map((s) => s.running)).to.deep.equal([true, true, true, true]);
    await stopService(a);

    expect(log.events).to.deep.equal([
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

  it("starts a dependency shared inside a parallel group once, while both dependents wait for it", async () => {
    const log = new EventLog();
    const c = new Probe("C", log, { startMs: 50, stopMs: 50 });
    const b1 = new Probe("B1", log, { deps: [c] });
    const b2 = new Probe("B2", log, { deps: [c] });
    const a = new Probe("A", log, { deps: [[b1, b2]] });

    const started = startService(a);
    await clock.tickAsync(50);
    await started;
    const stopped = stopService(a);
    await clock.tickAsync(50);
    await stopped;

    expect(log.timed).to.deep.equal([
      "C:start:begin 0",
      "C:start:end 50",
      "B1:start 50",
      "B2:start 50",
      "A:start 50",
      "A:stop 50",
      "B1:stop 50",
      "B2:stop 50",
      "C:stop:begin 50",
      "C:stop:end 100",
    ]);
    expect([c.starts, c.stops]).to.deep.equal([1, 1]);
  });

  it("does not stop a shared dependency while another running service still uses it", async () => {
    const log = new EventLog();
    const c = new Probe("C", log);
    const a = new Probe("A", log, { deps: [c] });
    const b = new Probe("B", log, { deps: [c] });

    await startService(a);
    await startService(b);
    await stopService(b);
    expect(c.running).to.equal(true);
    await stopService(a);
    expect(c.running).to.equal(false);
    expect(log.events).to.deep.equal(["C:start", "A:start", "B:start", "B:stop", "A:stop", "C:stop"]);
  });

  it("launches a parallel group in array order, for stops as well as starts", async () => {
    const log = new EventLog();
    const deps = ["P1", "P2", "P3", "P4"].map((label) => new Probe(label, log));
    const a = new Probe("A", log, { deps: [deps] });
    await startService(a);
    await stopService(a);
    expect(log.events).to.deep.equal([
      "P1:start",
      "P2:start",
      "P3:start",
      "P4:start",
      "A:start",
      "A:stop",
      "P1:stop",
      "P2:stop",
      "P3:stop",
      "P4:stop",
    ]);
  });
});
