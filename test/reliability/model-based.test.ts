// Model-based test: random command sequences (create scope, resolve, lookup, release, close, cancel, spawn
// tasks that succeed, fail or ignore their fate, make factories fail, disposers fail or hang, crash a
// service, close the container) run against the real container and against the reference model of
// SEMANTICS.md 1–5 (./model/reference.ts). After every command the live instances, refcounts, holders and
// pins from `container.inspect()` must match the model, and every resolve must return the very instance the
// model names. At the end every built value was disposed exactly once and never before a dependent, and
// every injected error was reported exactly once: by a resolve, release or close, or by the logger.
//
// FC_RUNS=100000 for a long run; FC_SEED (and FC_PATH) replay a failure: fast-check prints both.
import { expect } from "chai";
import fc from "fast-check";
import {
  Container,
  DisposeTimeoutError,
  ScopeClosedError,
  ScopeDiedError,
  type Scope,
  type SpawnOptions,
} from "asyncscope";
import { flattenErrors, propertyOptions, recordingLogger, settle } from "../support/helpers.js";
import { Ledger } from "./model/ledger.js";
import {
  instanceLine,
  MScope,
  ReferenceModel,
  scopeLine,
  type CreateFailure,
  type DisposeMode,
  type MInstance,
  type ServiceSpec,
} from "./model/reference.js";
import { graph } from "./model/graph.js";
import {
  hops,
  isA,
  show,
  thrownKinds,
  tokenOf,
  World,
  type Built,
  type ThrownKind,
  type Value,
} from "./model/system.js";

// ----- what a run is made of -----------------------------------------------------------------------------

type TaskKind = "ok" | "fail" | "quiet" | "background" | "noisy" | "master";

type Command =
  | { t: "scope"; parent: number; observe: boolean }
  | { t: "nest"; parent: number; depth: number }
  | { t: "resolve"; scope: number; token: number; timeoutMs: number | undefined }
  | { t: "lookup" | "release"; scope: number; token: number }
  | { t: "close" | "cancel"; scope: number }
  | { t: "timeout"; scope: number; ms: number }
  | { t: "spawn"; scope: number; kind: TaskKind; cancelTimeoutMs: number | undefined }
  | { t: "thrown"; kind: ThrownKind }
  | { t: "failCreate"; token: number; mode: CreateFailure }
  | { t: "dispose"; token: number; mode: DisposeMode }
  | { t: "crash"; target: number }
  | { t: "closeContainer" };

const index = fc.nat(15);
/**
 * Times beyond what a Node.js timer holds (2^31-1 ms), up to Infinity: none of them may fire during a run,
 * so they change nothing the model sees.
 */
const extremeMs = fc.constantFrom(2 ** 31, 3e9, 2 ** 53, Number.MAX_VALUE, Infinity);
/** Chains of nested scopes; MODEL_NEST_DEPTH adds a deeper one (the default run stays quick). */
const nestDepths = [
  2,
  64,
  512,
  ...(process.env.MODEL_NEST_DEPTH ? [Number(process.env.MODEL_NEST_DEPTH)] : []),
];
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record({ t: fc.constant("scope" as const), parent: index, observe: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant("nest" as const),
      parent: index,
      depth: fc.constantFrom(...nestDepths),
    }),
  },
  {
    weight: 24,
    arbitrary: fc.record({
      t: fc.constant("resolve" as const),
      scope: index,
      token: index,
      timeoutMs: fc.option(extremeMs, { nil: undefined, freq: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("timeout" as const), scope: index, ms: extremeMs }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant("thrown" as const), kind: fc.constantFrom(...thrownKinds) }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("lookup" as const), scope: index, token: index }) },
  { weight: 9, arbitrary: fc.record({ t: fc.constant("release" as const), scope: index, token: index }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("close" as const), scope: index }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("cancel" as const), scope: index }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("spawn" as const),
      scope: index,
      kind: fc.constantFrom<TaskKind>("ok", "fail", "quiet", "background", "noisy", "master"),
      cancelTimeoutMs: fc.option(extremeMs, { nil: undefined, freq: 3 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("failCreate" as const),
      token: index,
      mode: fc.constantFrom<CreateFailure>("none", "none", "none", "factory", "init", "probe"),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("dispose" as const),
      token: index,
      mode: fc.constantFrom<DisposeMode>("ok", "ok", "fail", "hang", "failHook", "probe"),
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("crash" as const), target: index }) },
  { weight: 1, arbitrary: fc.constant({ t: "closeContainer" as const }) },
);

/** A disposal that hangs is given up after this long (each costs about this much real time). */
const HANG_MS = 2;
/** How long any single step may take before the run is declared stuck. */
const STUCK_MS = 5_000;

// ----- the runner ----------------------------------------------------------------------------------------

class Run {
  readonly logger = recordingLogger();
  readonly container = new Container({ name: "root", logger: this.logger, defaultDisposeTimeoutMs: HANG_MS });
  readonly world: World;
  readonly model: ReferenceModel;
  private readonly real = new Map<MScope, Scope>();
  private readonly boundTo = new Map<Built, MInstance>();
  private readonly ledger = new Ledger();
  private readonly crashes: { error: Error; min: number; max: number }[] = [];
  private where = "setup";

  constructor(specs: ServiceSpec[]) {
    this.world = new World(specs);
    this.world.registerAll(this.container);
    this.model = new ReferenceModel(specs);
    this.real.set(this.model.root, this.container.root);
  }

  async execute(commands: Command[]): Promise<void> {
    for (let step = 0; step < commands.length; step++) {
      this.where = `step ${step} ${JSON.stringify(commands[step])}`;
      await this.run(commands[step]!);
      await this.quiesce();
      this.compare();
    }
    this.where = "closing the container";
    if (!this.model.root.delivered) await this.take(this.model.root, "container.close()");
    await this.quiesce();
    this.compare();
    expect(this.container.inspect(), "nothing is alive after close").to.deep.equal({
      scopes: [],
      instances: [],
    });
    this.world.checkDisposals();
    this.checkReports();
  }

  private async run(cmd: Command): Promise<void> {
    const { model, world } = this;
    const n = model.specs.length;
    switch (cmd.t) {
      case "scope": {
        const parent = this.pick(cmd.parent, true)!;
        const name = `q${model.scopes.length}`;
        const outcome = model.createScope(parent, name);
        const made = this.attempt(() => this.real.get(parent)!.createScope(name));
        if (outcome.kind !== "ok") return this.expectClosed(made, "createScope");
        if (!made.ok) this.fail(`createScope threw ${show(made.error)}`);
        const scope = outcome.value;
        this.real.set(scope, made.value);
        if (cmd.observe) {
          scope.delivered = true;
          made.value.done.catch((err: unknown) => this.receive(`${name}.done`, err));
        }
        return;
      }
      case "nest": {
        // A chain of scopes, each the child of the one before: the model knows every one of them.
        let parent = this.pick(cmd.parent, true)!;
        for (let d = 0; d < cmd.depth; d++) {
          const name = `q${model.scopes.length}`;
          const outcome = model.createScope(parent, name);
          const made = this.attempt(() => this.real.get(parent)!.createScope(name));
          if (outcome.kind !== "ok") return this.expectClosed(made, "createScope");
          if (!made.ok) this.fail(`createScope threw ${show(made.error)}`);
          this.real.set(outcome.value, made.value);
          parent = outcome.value;
        }
        return;
      }
      case "timeout": {
        // A time no timer can hold must not fire early: the scope stays as it was.
        const scope = this.pick(cmd.scope, true)!;
        const set = this.attempt(() => (this.real.get(scope)!.timeoutMs = cmd.ms));
        if (scope.closed) return this.expectClosed(set, `${scope.name}.timeoutMs = ${cmd.ms}`);
        if (!set.ok) this.fail(`${scope.name}.timeoutMs = ${cmd.ms} threw ${show(set.error)}`);
        return;
      }
      case "thrown":
        world.thrown = cmd.kind;
        return;
      case "resolve":
      case "lookup": {
        const scope = this.pick(cmd.scope, true)!;
        const i = cmd.token % n;
        const q = this.real.get(scope)!;
        const via = `${scope.name}.${cmd.t}(${tokenOf(i)})`;
        const outcome = cmd.t === "resolve" ? model.resolve(scope, i) : model.lookup(scope, i);
        const got =
          cmd.t === "resolve"
            ? await this.settled(
                cmd.timeoutMs === undefined
                  ? q.resolve(tokenOf(i))
                  : q.resolve(tokenOf(i), { timeoutMs: cmd.timeoutMs }),
                via,
              )
            : this.attempt(() => q.lookup(tokenOf(i)));
        if (outcome.kind === "closed") return this.expectClosed(got, via);
        if (outcome.kind === "failed") {
          if (got.ok) this.fail(`${via} resolved; the model expected its creation to fail`);
          const [primary] = flattenErrors(got.error);
          if (!world.injected.includes(primary))
            this.fail(`${via} rejected with ${show(primary)}, not an injected error`);
          return this.receive(via, got.error);
        }
        if (!got.ok) this.fail(`${via} rejected with ${show(got.error)}; the model expected it to succeed`);
        if (outcome.value === undefined) {
          if (got.value !== undefined) this.fail(`${via} found an instance; the model expected none`);
          return;
        }
        return this.bind(outcome.value, got.value, via);
      }
      case "release": {
        const scope = this.pick(cmd.scope, true)!;
        const i = cmd.token % n;
        const via = `${scope.name}.release(${tokenOf(i)})`;
        const disposed = model.release(scope, i);
        const expected = disposed.reduce((sum, inst) => sum + model.disposalErrors(inst), 0);
        const got = await this.settled(this.real.get(scope)!.release(tokenOf(i)), via);
        const errors = got.ok ? [] : flattenErrors(got.error);
        if (errors.length !== expected) {
          this.fail(
            `${via} gave ${errors.length} errors (${errors.map(String).join("; ")}); expected ${expected}`,
          );
        }
        if (!got.ok) this.receive(via, got.error);
        return;
      }
      case "close": {
        const scope = this.pick(cmd.scope, false);
        if (scope) await this.take(scope, `${scope.name}.close()`);
        return;
      }
      case "cancel": {
        const scope = this.pick(cmd.scope, false);
        if (!scope) return;
        model.close(scope);
        this.real.get(scope)!.cancel();
        return;
      }
      case "spawn": {
        const scope = this.pick(cmd.scope, false);
        if (scope) await this.spawn(scope, cmd.kind, cmd.cancelTimeoutMs);
        return;
      }
      case "failCreate":
        model.failing[cmd.token % n] = world.failing[cmd.token % n] = cmd.mode;
        return;
      case "dispose":
        model.disposeMode[cmd.token % n] = world.disposeMode[cmd.token % n] = cmd.mode;
        return;
      case "crash": {
        const candidates = [...model.live].filter((m) => (m.real as Built | undefined)?.crash);
        if (candidates.length === 0) return;
        const target = candidates[cmd.target % candidates.length]!;
        const built = target.real as Built;
        const scopes = model.crash(target);
        const inSet = new Set(scopes);
        const tops = scopes.filter((s) => {
          for (let p = s.parent; p; p = p.parent) if (inSet.has(p)) return false;
          return true;
        });
        const error = new Error(`crash ${built.spec.name}#${built.uid}`);
        this.crashes.push({ error, min: tops.length, max: scopes.length });
        built.crash!(error);
        return;
      }
      case "closeContainer":
        await this.take(model.root, "container.close()");
        return;
    }
  }

  private async spawn(scope: MScope, kind: TaskKind, cancelTimeoutMs: number | undefined): Promise<void> {
    const real = this.real.get(scope)!;
    // Every spawn below passes through here, with the extreme cancelTimeoutMs when the command has one.
    const q = {
      spawn: <T>(fn: (signal: AbortSignal) => T | Promise<T>, options: SpawnOptions = {}) =>
        real.spawn(fn, cancelTimeoutMs === undefined ? options : { ...options, cancelTimeoutMs }),
    };
    const { world } = this;
    const via = `${scope.name}.spawn(${kind})`;
    if (scope.closed)
      return this.expectClosed(
        this.attempt(() => q.spawn(() => undefined)),
        via,
      );
    const untilAborted = (signal: AbortSignal, then: () => void): Promise<void> =>
      new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })).then(
        then,
      );
    switch (kind) {
      case "ok":
        await this.settled(Promise.resolve(q.spawn(() => hops(2))), via);
        return;
      case "fail":
        this.model.close(scope);
        q.spawn(async () => {
          await hops(1);
          throw world.inject(`task failed in ${scope.name}`);
        });
        return;
      case "quiet":
        q.spawn(
          async () => {
            await hops(1);
            throw world.inject(`quiet task failed in ${scope.name}`);
          },
          { bubble: false },
        );
        return;
      case "background":
        q.spawn((signal) => untilAborted(signal, () => undefined), { awaited: false });
        return;
      case "noisy":
        q.spawn(
          (signal) =>
            untilAborted(signal, () => {
              throw world.inject(`task in ${scope.name} threw while cancelled`);
            }),
          { awaited: false },
        );
        return;
      case "master":
        this.model.close(scope);
        q.spawn(() => hops(1), { master: true });
        return;
    }
  }

  /** Close a scope (or the container) and take its outcome, unless someone already has it. */
  private async take(scope: MScope, via: string): Promise<void> {
    const delivered = scope.delivered;
    scope.delivered = true;
    this.model.close(scope);
    const closed = await this.settled(this.real.get(scope)!.close(), via);
    if (!closed.ok && !delivered) this.receive(via, closed.error);
  }

  /** A scope by index among those created so far (the root only if allowed); undefined if there is none. */
  private pick(i: number, rootToo: boolean): MScope | undefined {
    const scopes = this.model.scopes;
    if (rootToo) return scopes[i % scopes.length];
    return scopes.length > 1 ? scopes[1 + (i % (scopes.length - 1))] : undefined;
  }

  /** The model names the instance a resolve returned: it must be the same real instance every time. */
  private bind(inst: MInstance, value: unknown, via: string): void {
    const built = (value as Value | undefined)?.built;
    if (!built) this.fail(`${via} returned ${show(value)}, not a built value`);
    const name = (b: Built): string => `${b.spec.name}#${b.uid}`;
    if (inst.real === undefined) {
      const other = this.boundTo.get(built);
      if (other)
        this.fail(`${via} returned ${name(built)}, which the model knows as another ${other.spec.name}`);
      inst.real = built;
      this.boundTo.set(built, inst);
    } else if (inst.real !== built) {
      this.fail(`${via} returned ${name(built)}; the model expected ${name(inst.real as Built)}`);
    }
    if (inst.spec.kind === "service") return;
    const deps = inst.flatDeps;
    if (deps.length !== built.deps.length)
      this.fail(`${via}: ${name(built)} got ${built.deps.length} dependencies`);
    deps.forEach((d, k) => this.bind(d, { built: built.deps[k] }, `${via} dependency ${k}`));
  }

  /** Wait until nothing is starting or releasing and every scope the model closed is closed. */
  private async quiesce(): Promise<void> {
    const deadline = performance.now() + STUCK_MS;
    for (let round = 0; ; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (round >= 1 && this.isQuiet()) return;
      if (performance.now() > deadline) {
        this.fail(`the container did not settle: ${JSON.stringify(this.container.inspect())}`);
      }
    }
  }

  private isQuiet(): boolean {
    for (const s of this.model.scopes) if (s.closed && this.real.get(s)!.state !== "closed") return false;
    return this.container.inspect().instances.every((i) => i.state === "ready");
  }

  /** The real container's live graph, described like the model's picture. */
  private compare(): void {
    const g = this.container.inspect();
    const scopeNames = new Map(g.scopes.map((s) => [s.id, s.name]));
    const byId = new Map(g.instances.map((i) => [i.id, i]));
    const labels = new Map<string, string>();
    const label = (id: string): string => {
      let l = labels.get(id);
      if (l === undefined) {
        const i = byId.get(id)!;
        const holders = i.holders.map((h) =>
          byId.has(h) ? `(${label(h)})` : `@${scopeNames.get(h) ?? `closed ${h}`}`,
        );
        const pin =
          i.pinnedBy === undefined ? undefined : (scopeNames.get(i.pinnedBy) ?? `closed ${i.pinnedBy}`);
        l = instanceLine(i.token, i.lifetime, i.refCount, pin, holders);
        labels.set(id, l);
      }
      return l;
    };
    const actual = {
      scopes: g.scopes
        .map(
          (s) =>
            scopeLine(s.name, s.parent === undefined ? undefined : scopeNames.get(s.parent)) + ` ${s.state}`,
        )
        .sort(),
      instances: g.instances.map((i) => label(i.id)).sort(),
    };
    const modelled = this.model.picture();
    const expected = { scopes: modelled.scopes.map((s) => `${s} open`), instances: modelled.instances };
    expect(actual, `${this.where}: the live graph`).to.deep.equal(expected);
  }

  /** Every error once; beyond the injected ones only dispose timeouts (one per hang) and crash reports. */
  private checkReports(): void {
    const others = this.ledger.close(this.logger, this.world.injected);
    let timeouts = 0;
    const died = new Map<unknown, number>();
    for (const [error, via] of others) {
      if (isA(error, DisposeTimeoutError)) timeouts++;
      else if (
        isA(error, ScopeDiedError) &&
        this.crashes.some((c) => c.error === (error as ScopeDiedError).cause)
      ) {
        const { cause } = error as ScopeDiedError;
        died.set(cause, (died.get(cause) ?? 0) + 1);
      } else this.fail(`unexpected error ${show(error)} reported by ${via}`);
    }
    expect(timeouts, "one DisposeTimeoutError per hanging disposal").to.equal(this.world.hangs);
    for (const c of this.crashes) {
      expect(died.get(c.error) ?? 0, `ScopeDiedErrors for ${c.error.message}`).to.be.within(c.min, c.max);
    }
  }

  private receive(via: string, error: unknown): void {
    this.ledger.receive(via, error);
  }

  private expectClosed(got: { ok: boolean; error?: unknown }, via: string): void {
    if (got.ok || !(got.error instanceof ScopeClosedError)) {
      this.fail(
        `${via} on a closed scope gave ${got.ok ? "success" : show(got.error)}, not ScopeClosedError`,
      );
    }
  }

  private attempt<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
    try {
      return { ok: true, value: fn() };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Settle a promise, failing the run if it takes longer than STUCK_MS. */
  private async settled<T>(p: Promise<T>, via: string) {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.where}: ${via} did not settle`)), STUCK_MS);
    });
    try {
      return await Promise.race([settle(p), stuck]);
    } finally {
      clearTimeout(timer);
    }
  }

  private fail(message: string): never {
    throw new Error(`${this.where}: ${message}`);
  }
}

describe("model-based: random command sequences against the reference model", function () {
  this.timeout(0);
  it("keep the live graph equal to the model, dispose everything once in order, and report every error once", async () => {
    await fc.assert(
      fc.asyncProperty(
        graph,
        fc.array(command, { minLength: 1, maxLength: 40, size: "+1" }),
        async (specs, commands) => {
          await new Run(specs).execute(commands);
        },
      ),
      propertyOptions(1000),
    );
  });
});
