// Issue 12, class 9: no spurious warnings. However many waits are pending on one signal at once — resolves
// in a body, resolves with a caller's signal, withScope calls, sleeps, spawns, starts — Node prints no
// MaxListenersExceededWarning, and every listener is gone afterwards, whether the waits ended or were
// cancelled.
import { expect } from "chai";
import fc from "fast-check";
import { getEventListeners } from "node:events";
import { Container, runService, Service, sleep, startService, stopService, type Scope } from "asyncscope";
import { delay, loggedContainer, nextTurn, propertyOptions, settle } from "../../support/helpers.js";

/** Collect every process warning while `fn` runs (and a turn after: warnings are emitted on a later tick). */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", onWarning);
  try {
    await fn();
    await nextTurn();
    await nextTurn();
  } finally {
    process.off("warning", onWarning);
  }
  return warnings;
}

const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

type Kind = "resolve" | "resolve with signal" | "withScope" | "sleep" | "spawn" | "start";
const KINDS: Kind[] = ["resolve", "resolve with signal", "withScope", "sleep", "spawn", "start"];

/**
 * In one task, start `n` concurrent waits of `kind`, and either let them end or cancel the task while they
 * wait. Checks that every wait settled as it should and that no listener is left on any signal involved.
 */
async function concurrentWaits(kind: Kind, n: number, cancel: boolean): Promise<void> {
  const { c, logger } = loggedContainer();
  // A shared service whose creation takes a moment: every resolve but the first joins the one in flight.
  c.register("slow", {
    useFactory: async () => {
      await delay(5);
      return { slow: true };
    },
  });
  const caller = new AbortController();
  let taskSignal!: AbortSignal;
  let scopeSignal!: AbortSignal;
  const s = c.createScope("body");
  const task = s.spawn(async (signal) => {
    taskSignal = signal;
    scopeSignal = s.signal;
    const op = (i: number): Promise<unknown> => {
      switch (kind) {
        case "resolve":
          return s.resolve("slow");
        case "resolve with signal":
          return s.resolve("slow", { signal: caller.signal });
        case "withScope":
          return s.withScope(() => delay(5));
        case "sleep":
          return sleep(5);
        case "spawn":
          return Promise.resolve(s.spawn((sig) => sleep(5, sig)));
        case "start":
          return s.start<number>(async (ready, sig) => {
            ready(i);
            await sleep(5, sig);
          });
      }
    };
    const all = Promise.all(Array.from({ length: n }, (_, i) => settle(op(i))));
    if (cancel) {
      await delay(1);
      if (kind === "resolve with signal") caller.abort(new Error("caller gave up"));
      else s.cancel();
    }
    return all;
  });
  const outcomes = await settle(Promise.resolve(task));
  await settle(s.close());
  if (!cancel) {
    expect(outcomes.ok).to.equal(true);
    const results = (outcomes as { value: { ok: boolean }[] }).value;
    expect(results.filter((r) => !r.ok)).to.deep.equal([]);
  }
  expect(listeners(taskSignal), "no listener left on the task's signal").to.equal(0);
  expect(listeners(scopeSignal), "no listener left on the scope's signal").to.equal(0);
  expect(listeners(caller.signal), "no listener left on the caller's signal").to.equal(0);
  expect(logger.entries.filter((e) => !/stuck|could not cancel/.test(e.msg))).to.deep.equal([]);
  await c.close();
}

describe("hardening: no MaxListenersExceededWarning, every listener removed", function () {
  this.timeout(60_000);

  it("eleven parallel resolves in one body print no warning", async () => {
    const warnings = await warningsDuring(async () => {
      const c = new Container();
      c.register("slow", {
        useFactory: async () => {
          await delay(5);
          return {};
        },
      });
      await c.withScope(async (s) => {
        await Promise.all(Array.from({ length: 11 }, () => s.resolve("slow")));
      });
      await c.close();
    });
    expect(warnings).to.deep.equal([]);
  });

  it("twelve concurrent withScope calls in one body print no warning", async () => {
    const warnings = await warningsDuring(async () => {
      const c = new Container();
      await c.withScope(async (s) => {
        await Promise.all(Array.from({ length: 12 }, () => s.withScope(() => delay(5))));
      });
      await c.close();
    });
    expect(warnings).to.deep.equal([]);
  });

  it("a facet service with 50 dependencies started in parallel, and 50 runService calls on one signal, print no warning", async () => {
    const warnings = await warningsDuring(async () => {
      class Dep extends Service {
        override async start(): Promise<void> {
          await delay(5);
        }
      }
      const deps = Array.from({ length: 50 }, () => new Dep());
      class Top extends Service {
        override get dependencies() {
          return [deps];
        }
      }
      const top = await startService(new Top());
      await stopService(top);
      const ctl = new AbortController();
      const runs = deps.map((d) => settle(runService(d, { signal: ctl.signal })));
      await delay(10);
      ctl.abort();
      expect((await Promise.all(runs)).filter((r) => !r.ok)).to.deep.equal([]);
      expect(listeners(ctl.signal)).to.equal(0);
    });
    expect(warnings).to.deep.equal([]);
  });

  for (const kind of KINDS) {
    for (const cancel of [false, true]) {
      it(`1000 concurrent ${kind} calls in one task${cancel ? ", cancelled while they wait," : ""} print no warning and leave no listener`, async () => {
        const warnings = await warningsDuring(() => concurrentWaits(kind, 1000, cancel));
        expect(warnings).to.deep.equal([]);
      });
    }
  }

  it("property: any number of concurrent waits of any kind, ended or cancelled, warn nothing and leave no listener", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...KINDS),
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        async (kind, n, cancel) => {
          const warnings = await warningsDuring(() => concurrentWaits(kind, n, cancel));
          expect(warnings).to.deep.equal([]);
        },
      ),
      propertyOptions(12),
    );
  });

  it("resolves given up by their caller's signal reject in the order they were made, with its reason, and leave no listener", async () => {
    const { c, logger } = loggedContainer();
    const order: string[] = [];
    c.register("never", { useFactory: () => new Promise(() => undefined) });
    await c.withScope(async (s: Scope) => {
      const ctl = new AbortController();
      const gone = new Error("gone");
      const waits = Array.from({ length: 12 }, (_, i) =>
        s.resolve("never", { signal: ctl.signal }).catch((err: unknown) => {
          order.push(`${i}:${err === gone ? "gone" : String(err)}`);
        }),
      );
      expect(listeners(ctl.signal)).to.equal(1);
      ctl.abort(gone);
      await Promise.all(waits);
      expect(listeners(ctl.signal)).to.equal(0);
    });
    expect(order).to.deep.equal(Array.from({ length: 12 }, (_, i) => `${i}:gone`));
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });
});
