// Hardening, class 11: access rules fail closed. process({ whitelist }) runs exactly the named methods
// (an empty list runs none); a dropped sync call rejects with NotWhitelistedError naming the method, a
// dropped one-way call is logged; a list that is not an array of strings is a ConfigurationError before
// anything runs; and no getter or property of the handler is read for a refused call.
import { expect } from "chai";
import fc from "fast-check";
import { ConfigurationError, DeferredCallHandler, NotWhitelistedError } from "asyncscope";
import { propertyOptions, recordingLogger, settle } from "../../support/helpers.js";

const METHODS = ["alpha", "beta", "gamma"] as const;
const GETTERS = ["shiny", "heavy"] as const;
const UNKNOWN = ["missing", "toString", "constructor", "process"] as const;

class Guarded extends DeferredCallHandler {
  readonly ran: string[] = [];
  readonly reads: string[] = [];
  alpha(): string {
    this.ran.push("alpha");
    return "alpha";
  }
  async beta(): Promise<string> {
    await Promise.resolve();
    this.ran.push("beta");
    return "beta";
  }
  gamma(): string {
    this.ran.push("gamma");
    return "gamma";
  }
  get shiny(): () => string {
    this.reads.push("shiny");
    return () => "shiny";
  }
  get heavy(): number {
    this.reads.push("heavy");
    return 1;
  }
}

type Calls = Record<string, (...args: unknown[]) => unknown>;

describe("hardening: access rules fail closed", () => {
  it("process({ whitelist: [] }) runs no method: sync calls reject with NotWhitelistedError, one-way calls are logged", async () => {
    const logger = recordingLogger();
    const h = new Guarded({ logger });
    const sync = settle(h.sync.alpha());
    h.oneway.gamma();
    await h.process({ whitelist: [] });
    expect(h.ran).to.deep.equal([]);
    const got = await sync;
    const error = (got as { error: NotWhitelistedError }).error;
    expect(error).to.be.instanceOf(NotWhitelistedError);
    expect(error.code).to.equal("ERR_NOT_WHITELISTED");
    expect(error.method).to.equal("alpha");
    expect(logger.entries.map((e) => [e.level, e.msg])).to.deep.equal([
      ["warn", "One-way call Guarded.gamma() was dropped: the whitelist is []"],
    ]);
  });

  it("a getter named as a method is refused without being read, whitelisted or not", async () => {
    const logger = recordingLogger();
    const h = new Guarded({ logger });
    const calls = h.sync as unknown as Calls;
    const refused = settle(calls.shiny!() as Promise<unknown>);
    const listed = settle(calls.heavy!() as Promise<unknown>);
    await h.process({ whitelist: ["heavy"] });
    expect(((await refused) as { error: unknown }).error).to.be.instanceOf(NotWhitelistedError);
    const notAMethod = ((await listed) as { error: ConfigurationError }).error;
    expect(notAMethod).to.be.instanceOf(ConfigurationError);
    expect(notAMethod.message).to.equal('Guarded has no method "heavy" that can be deferred.');
    (h.oneway as unknown as Calls).shiny!();
    await h.process();
    expect(h.reads, "no getter was evaluated").to.deep.equal([]);
    expect(logger.entries.map((e) => e.msg)).to.deep.equal([
      'One-way call Guarded.shiny() failed: ConfigurationError: Guarded has no method "shiny" that can be deferred.',
    ]);
  });

  it("a method name or whitelist entry with control characters is logged escaped: it cannot forge a log line", async () => {
    const logger = recordingLogger();
    const h = new Guarded({ logger });
    (h.oneway as unknown as Calls)["x()\nINFO forged\u202e"]!();
    await h.process({ whitelist: ["a\r\nb"] });
    expect(logger.entries.map((e) => e.msg)).to.deep.equal([
      "One-way call Guarded.x()\\u{a}INFO forged\\u{202e}() was dropped: the whitelist is [a\\u{d}\\u{a}b]",
    ]);
  });

  it("property: for any whitelist and any queued calls, exactly the whitelisted methods run", async () => {
    const names = fc.constantFrom<string>(...METHODS, ...GETTERS, ...UNKNOWN);
    const whitelist = fc.option(fc.array(fc.oneof(names, fc.string({ maxLength: 6 })), { maxLength: 8 }), {
      nil: undefined,
    });
    const call = fc.record({ name: names, sync: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(whitelist, fc.array(call, { maxLength: 15 }), async (list, calls) => {
        const logger = recordingLogger();
        const h = new Guarded({ logger });
        const outcomes = calls.map(({ name, sync }) =>
          sync
            ? settle((h.sync as unknown as Calls)[name]!() as Promise<unknown>)
            : ((h.oneway as unknown as Calls)[name]!(), undefined),
        );
        await h.process(list === undefined ? {} : { whitelist: list });
        const allowed = (name: string): boolean => list === undefined || list.includes(name);
        const isMethod = (name: string): boolean => (METHODS as readonly string[]).includes(name);
        // 1. Exactly the whitelisted methods ran, in queue order.
        expect(h.ran).to.deep.equal(
          calls.filter((c) => allowed(c.name) && isMethod(c.name)).map((c) => c.name),
        );
        // 2. No getter was read, whether its call was refused by the list or as not a method.
        expect(h.reads).to.deep.equal([]);
        // 3. Each sync call got its method's value, NotWhitelistedError naming it, or ConfigurationError.
        const expectedLog: [string, string][] = [];
        for (const [k, { name, sync }] of calls.entries()) {
          const got = sync ? await outcomes[k] : undefined;
          if (!allowed(name)) {
            if (sync) {
              const error = (got as { error: NotWhitelistedError }).error;
              expect(error).to.be.instanceOf(NotWhitelistedError);
              expect(error.method).to.equal(name);
            } else {
              const listed = [...new Set(list)].join(", ");
              expectedLog.push([
                "warn",
                `One-way call Guarded.${name}() was dropped: the whitelist is [${listed}]`,
              ]);
            }
          } else if (isMethod(name)) {
            if (sync) expect(got).to.deep.equal({ ok: true, value: name });
          } else if (sync) {
            expect((got as { error: unknown }).error).to.be.instanceOf(ConfigurationError);
          } else {
            expectedLog.push([
              "error",
              `One-way call Guarded.${name}() failed: ConfigurationError: Guarded has no method "${name}" that can be deferred.`,
            ]);
          }
        }
        expect(logger.entries.map((e) => [e.level, e.msg])).to.deep.equal(expectedLog);
      }),
      propertyOptions(100),
    );
  });

  it("property: a whitelist that is not an array of strings is a ConfigurationError; nothing runs or leaves the queue", async () => {
    const junk = fc.oneof(
      fc
        .anything()
        .filter((v) => v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === "string"))),
      fc
        .array(fc.oneof(fc.constantFrom(...METHODS), fc.anything()), { minLength: 1 })
        .filter((a) => a.some((x) => typeof x !== "string")),
    );
    await fc.assert(
      fc.asyncProperty(junk, async (bad) => {
        const h = new Guarded({ logger: recordingLogger() });
        const answer = h.sync.alpha();
        const got = await settle(h.process({ whitelist: bad as string[] }));
        const error = (got as { error: ConfigurationError }).error;
        expect(error).to.be.instanceOf(ConfigurationError);
        expect(error.code).to.equal("ERR_CONFIG");
        expect(h.ran).to.deep.equal([]);
        await h.process();
        expect(await answer).to.equal("alpha");
      }),
      propertyOptions(100),
    );
  });
});
