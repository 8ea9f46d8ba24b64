// Hardening, class 10: a DeferredCallHandler's queue stays linear and never starves the process. process()
// takes calls off the queue in O(1) and gives the event loop a turn (setImmediate) every so many calls, so
// timers, I/O and signals run while a long queue drains, and a method that queues itself again cannot
// freeze the process. No timing assertions: the tests check that turns happen and that order holds.
import { expect } from "chai";
import fc from "fast-check";
import { DeferredCallHandler, TimeoutError } from "asyncscope";
import { nextTurn, propertyOptions, recordingLogger, settle } from "../../support/helpers.js";

class Looper extends DeferredCallHandler {
  runs = 0;
  limit = 1_000_000;
  again(): void {
    this.runs++;
    if (this.runs < this.limit) this.oneway.again();
  }
  cheap(): void {}
  answer(): number {
    return 42;
  }
}

describe("hardening: deferred-call queues stay linear and never starve the process", () => {
  it("a one-way method that queues itself again does not freeze the event loop: an immediate runs first", async () => {
    const looper = new Looper({ logger: recordingLogger() });
    let runsWhenImmediateRan: number | undefined;
    setImmediate(() => {
      runsWhenImmediateRan = looper.runs;
      looper.stopProcessing();
    });
    looper.oneway.again();
    await looper.process();
    expect(runsWhenImmediateRan, "the immediate ran").to.be.a("number");
    expect(runsWhenImmediateRan!).to.be.below(1_000_000);
    // The marker ended the run; the call it queued last waits for the next process().
    expect(looper.runs).to.be.below(1_000_000);
  });

  it("a timer set before process() fires while 1,000,000 self-requeueing calls drain", async () => {
    const looper = new Looper({ logger: recordingLogger() });
    let fired: number | undefined;
    setTimeout(() => (fired = looper.runs), 0);
    looper.oneway.again();
    await looper.process();
    expect(looper.runs).to.equal(1_000_000);
    expect(fired, "the timer ran before the queue was drained").to.be.a("number");
    expect(fired!).to.be.below(1_000_000);
  });

  it("sync({ timeoutMs: 1 }) queued behind 20,000 cheap calls rejects with TimeoutError; it still runs later", async () => {
    class Slow extends Looper {
      ran: string[] = [];
      spin(): void {
        // Make sure the 1 ms timer is due before the cheap calls start (no timing assertion: a precondition).
        const end = Date.now() + 3;
        while (Date.now() < end);
      }
      late(): string {
        this.ran.push("late");
        return "late";
      }
    }
    const logger = recordingLogger();
    const h = new Slow({ logger });
    h.oneway.spin();
    for (let i = 0; i < 20_000; i++) h.oneway.cheap();
    const late = settle(h.sync({ timeoutMs: 1 }).late());
    await h.process();
    const got = await late;
    expect(got.ok).to.equal(false);
    expect((got as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(h.ran, "the timed-out call still ran, its result discarded").to.deep.equal(["late"]);
    expect(logger.entries).to.deep.equal([]);
  });

  it("property: calls run first in, first out over random interleavings of queueing and processing, across yields", async () => {
    // A step queues `count` calls (one-way or sync, some async), starts a process() (forever or not), lets
    // the loop turn, or stops a forever process. Every call must run once, in queueing order, and every sync
    // call must resolve with its own value.
    type Step =
      | { kind: "queue"; count: number; sync: boolean; asyncEvery: number }
      | { kind: "process"; forever: boolean }
      | { kind: "turn"; immediate: boolean }
      | { kind: "stop" };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        kind: fc.constant("queue" as const),
        count: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 900, max: 2_600 })),
        sync: fc.boolean(),
        asyncEvery: fc.integer({ min: 0, max: 7 }),
      }),
      fc.record({ kind: fc.constant("process" as const), forever: fc.boolean() }),
      fc.record({ kind: fc.constant("turn" as const), immediate: fc.boolean() }),
      fc.record({ kind: fc.constant("stop" as const) }),
    );
    class Recorder extends DeferredCallHandler {
      readonly log: number[] = [];
      record(n: number): number {
        this.log.push(n);
        return n;
      }
      async recordLater(n: number): Promise<number> {
        await Promise.resolve();
        this.log.push(n);
        return n;
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
        const logger = recordingLogger();
        const h = new Recorder({ logger });
        const runs: Promise<void>[] = [];
        const answers: Promise<void>[] = [];
        let running: Promise<void> | undefined;
        let next = 0;
        for (const s of steps) {
          if (s.kind === "queue") {
            for (let i = 0; i < s.count; i++) {
              const n = next++;
              const later = s.asyncEvery > 0 && n % s.asyncEvery === 0;
              if (!s.sync) {
                if (later) h.oneway.recordLater(n);
                else h.oneway.record(n);
              } else {
                const p = later ? h.sync.recordLater(n) : h.sync.record(n);
                answers.push(p.then((v) => void expect(v).to.equal(n)));
              }
            }
          } else if (s.kind === "process") {
            if (running === undefined) {
              const p = h.process({ forever: s.forever });
              running = p;
              runs.push(p.finally(() => (running = running === p ? undefined : running)));
            }
          } else if (s.kind === "turn") {
            if (s.immediate) await nextTurn();
            else await Promise.resolve();
          } else {
            h.stopProcessing();
          }
        }
        // Drain: stop any forever run, then process what is left (markers included) until all ran.
        h.stopProcessing();
        await Promise.all(runs);
        while (h.log.length < next) {
          await h.process();
        }
        await Promise.all(answers);
        expect(h.log).to.deep.equal(Array.from({ length: next }, (_, i) => i));
        expect(logger.entries).to.deep.equal([]);
      }),
      propertyOptions(25),
    );
  });
});
