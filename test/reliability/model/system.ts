// The real side of the model-based test: services built from the same specs as the reference model, whose
// factories, hooks, disposers and background tasks fail, hang or crash on command, and which record every
// value they build, when it is disposed, and every error they throw.
import { expect } from "chai";
import {
  currentScope,
  Lifetime,
  onInit,
  onNoMoreDependents,
  type Container,
  type Scope,
  type ServiceScope,
} from "asyncscope";
import type { CreateFailure, DisposeMode, ServiceSpec } from "./reference.js";

/** One value a factory, constructor or useService function built. */
export interface Built {
  readonly uid: number;
  readonly spec: ServiceSpec;
  /** The built values it received as dependencies, in declaration order (not known for useService). */
  readonly deps: Built[];
  /** When its factory (constructor, useService function) was called, and when it returned the value. */
  readonly startedAt: number;
  readonly createdAt: number;
  disposals: number;
  disposeBegin: number;
  disposeEnd: number;
  /** A useService that crashed: its function ended there, before its dependents were disposed. */
  endedByCrash: boolean;
  /**
   * Make its background task (or its useService function) fail with this error; false when that can no
   * longer happen (it is being disposed). Undefined once it is over.
   */
  crash?: (error: Error) => boolean;
}

/**
 * What the injected failures throw: an Error, or one of the values JavaScript lets code throw that are not
 * Errors (each made unique, so that where it went can be told by identity).
 */
export type ThrownKind =
  | "error"
  | "undefined"
  | "null"
  | "zero"
  | "empty"
  | "false"
  | "symbol"
  | "object"
  | "frozen"
  | "nullProto"
  | "getters"
  | "proxy";
export const thrownKinds: readonly ThrownKind[] = [
  "error",
  "undefined",
  "null",
  "zero",
  "empty",
  "false",
  "symbol",
  "object",
  "frozen",
  "nullProto",
  "getters",
  "proxy",
];

/**
 * A thrown value of `kind` that says `message` where it can: unique, but for the primitives `undefined`,
 * `null`, `0`, `""` and `false`, which the ledger counts instead.
 */
export function thrownValue(kind: ThrownKind, message: string): unknown {
  const fail = (): never => {
    throw new Error(`probed the thrown value "${message}"`);
  };
  switch (kind) {
    case "error":
      return new Error(message);
    case "undefined":
      return undefined;
    case "null":
      return null;
    case "zero":
      return 0;
    case "empty":
      return "";
    case "false":
      return false;
    case "symbol":
      return Symbol(message);
    case "object":
      return { message };
    case "frozen":
      return Object.freeze({ message, name: "Frozen" });
    case "nullProto":
      return Object.assign(Object.create(null) as object, { message });
    case "getters": {
      const value = {};
      for (const key of ["message", "stack", "name", "cause", "errors", "toString", "constructor"]) {
        Object.defineProperty(value, key, { get: fail });
      }
      Object.defineProperty(value, Symbol.toPrimitive, { get: fail });
      return value;
    }
    case "proxy":
      return new Proxy(
        {},
        {
          get: fail,
          has: fail,
          ownKeys: fail,
          getPrototypeOf: fail,
          getOwnPropertyDescriptor: fail,
          defineProperty: fail,
          set: fail,
          deleteProperty: fail,
          isExtensible: fail,
          preventExtensions: fail,
          setPrototypeOf: fail,
        },
      );
  }
}

/** A value whose `then` throws `error` when read (and, as a Proxy, on every other probe too). */
export function throwingThenable(error: unknown): object {
  const fail = (): never => {
    throw error;
  };
  return new Proxy(
    {},
    { get: fail, has: fail, getPrototypeOf: fail, ownKeys: fail, getOwnPropertyDescriptor: fail },
  );
}

/** Describe any value without letting it throw (for failure messages). */
export function show(value: unknown): string {
  try {
    return typeof value === "symbol" ? value.toString() : String(value);
  } catch {
    return `<${typeof value} that cannot be shown>`;
  }
}

/** `value instanceof type`, false for a value that throws when asked. */
export function isA(value: unknown, type: abstract new (...args: never[]) => unknown): boolean {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/** What the services share with the test: the failure switches and everything they recorded. */
export class World {
  readonly failing: CreateFailure[];
  readonly disposeMode: DisposeMode[];
  /** What the next injected failures throw. */
  thrown: ThrownKind = "error";
  readonly built: Built[] = [];
  /** Every error our code threw, in the order thrown. */
  readonly injected: unknown[] = [];
  /** Those that failed a creation: single flight gives each to every waiter of that creation. */
  readonly creationErrors = new Set<unknown>();
  /** Disposals that were made to hang (each must give one DisposeTimeoutError). */
  hangs = 0;
  private clock = 0;
  private uids = 0;

  /**
   * `pause` is where factories, hooks and disposers wait (each `ticks` long by default): a seeded scheduler
   * can take it over to reorder them.
   */
  constructor(
    readonly specs: readonly ServiceSpec[],
    readonly pause: (spec: ServiceSpec, what: string) => Promise<void> = (spec) => hops(spec.ticks),
  ) {
    this.failing = specs.map(() => "none");
    this.disposeMode = specs.map(() => "ok");
  }

  /** Register every spec in `container`, as the spec's provider kind. */
  registerAll(container: Container): void {
    for (const spec of this.specs) {
      const options = { lifetime: spec.lifetime as Lifetime };
      const deps = spec.steps.map((s) => (typeof s === "number" ? tokenOf(s) : s.map(tokenOf)));
      switch (spec.kind) {
        case "factory":
          container.register(
            spec.name,
            { useFactory: (ctx) => this.factory(spec, ctx.deps, ctx.scope) },
            {
              ...options,
              dependsOn: deps,
            },
          );
          break;
        case "class":
          container.register(spec.name, { useClass: this.classFor(spec) }, options);
          break;
        case "service":
          container.register(
            spec.name,
            { useService: (svc) => this.service(spec, svc) },
            {
              ...options,
              dependsOn: deps,
            },
          );
          break;
      }
    }
  }

  /** An error (or, as `thrown` says, another value) thrown by our code, recorded when thrown; `creation` when it fails a creation. */
  inject(message: string, creation = false): unknown {
    return this.injectError(thrownValue(this.thrown, message), creation);
  }

  /** Record an error our code throws (or rethrows). */
  injectError<E>(error: E, creation = false): E {
    this.injected.push(error);
    if (creation) this.creationErrors.add(error);
    return error;
  }

  tick(): number {
    return ++this.clock;
  }

  /** Every built value was disposed exactly once, each after every dependent it had was done disposing. */
  checkDisposals(): void {
    const name = (b: Built): string => `${b.spec.name}#${b.uid}`;
    for (const b of this.built) expect(b.disposals, `${name(b)} is disposed exactly once`).to.equal(1);
    for (const b of this.built) {
      for (const d of b.deps) {
        if (d.endedByCrash) continue;
        // A dependent whose disposal hangs is given up on; its dependencies are released after that.
        const dependentDone = b.disposeEnd || b.disposeBegin;
        expect(
          d.disposeBegin,
          `${name(d)} starts disposing after its dependent ${name(b)} is done`,
        ).to.be.greaterThan(dependentDone);
      }
    }
  }

  /** A value being built: it joins `built` (and must be disposed) once the library can have it. */
  private record(spec: ServiceSpec, deps: unknown[], startedAt: number): Built {
    return {
      uid: this.uids++,
      spec,
      deps: deps.map((d) => (d as Value).built),
      startedAt,
      createdAt: this.tick(),
      disposals: 0,
      disposeBegin: 0,
      disposeEnd: 0,
      endedByCrash: false,
    };
  }

  private factory(spec: ServiceSpec, deps: unknown[], scope: Scope): Value | Promise<Value> {
    const startedAt = this.tick();
    const make = (): Value => {
      const failing = this.failing[spec.index];
      // A factory's result whose `then` throws fails the creation before any value exists.
      if (failing === "probe")
        return throwingThenable(this.inject(`create ${spec.name} (probe)`, true)) as Value;
      if (failing === "factory" || (failing === "init" && !spec.hooks)) {
        throw this.inject(`create ${spec.name}`, true);
      }
      const built = this.record(spec, deps, startedAt);
      watchForCrash(scope, built);
      this.built.push(built);
      return spec.hooks ? new HookedValue(built, this, failing === "init") : new Value(built, this);
    };
    return spec.ticks === 0 ? make() : this.pause(spec, `create ${spec.name}`).then(make);
  }

  private classFor(spec: ServiceSpec): new (...args: unknown[]) => Value {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const world = this;
    const Base = spec.hooks ? HookedValue : Value;
    const K = class extends Base {
      static inject = spec.steps.map((s) => tokenOf(s as number));
      constructor(...deps: unknown[]) {
        const startedAt = world.tick();
        const failing = world.failing[spec.index];
        if (failing === "factory" || ((failing === "init" || failing === "probe") && !spec.hooks)) {
          throw world.inject(`construct ${spec.name}`, true);
        }
        super(world.record(spec, deps, startedAt), world, failing === "init" || failing === "probe");
        // SEMANTICS 5.10: a constructor runs with the instance's own scope as the current scope.
        watchForCrash(currentScope()!, this.built);
        world.built.push(this.built);
      }
    };
    Object.defineProperty(K, "name", { value: `${spec.name}Class` });
    return K;
  }

  private async service(spec: ServiceSpec, svc: ServiceScope<Value>): Promise<void> {
    const startedAt = this.tick();
    if (spec.ticks > 0) await this.pause(spec, `start ${spec.name}`);
    const failing = this.failing[spec.index];
    if (failing === "factory" || failing === "probe") throw this.inject(`start ${spec.name}`, true);
    const value = { built: undefined as unknown as Built };
    svc.register(value as Value);
    if (failing === "init") {
      try {
        svc.register(value as Value);
      } catch (err) {
        // A ConfigurationError: the creation fails with it.
        throw this.injectError(err, true);
      }
    }
    const built = this.record(spec, [], startedAt);
    this.built.push(built);
    value.built = built;
    const crash = await new Promise<Error | undefined>((resolve) => {
      let over = false;
      built.crash = (error) => {
        if (over) return false;
        over = true;
        resolve(error);
        return true;
      };
      void svc.noMoreDependents().then(() => {
        if (!over) resolve(undefined);
        over = true;
      });
    });
    built.crash = undefined;
    if (crash) {
      built.endedByCrash = true;
      built.disposals++;
      built.disposeBegin = built.disposeEnd = this.tick();
      throw crash;
    }
    // Its cleanup is its disposal.
    built.disposals++;
    built.disposeBegin = this.tick();
    const mode = this.disposeMode[spec.index];
    if (mode === "hang") {
      this.hangs++;
      await new Promise((resolve) => svc.signal.addEventListener("abort", resolve, { once: true }));
      return;
    }
    if (spec.ticks > 0) await this.pause(spec, `clean up ${spec.name}`);
    built.disposeEnd = this.tick();
    if (mode === "fail" || mode === "probe") throw this.inject(`cleanup ${spec.name}#${built.uid}`);
  }
}

export const tokenOf = (index: number): string => `S${index}`;

/** A built value: it knows its record, and disposes itself as its dispose mode says. */
export class Value implements AsyncDisposable {
  constructor(
    readonly built: Built,
    protected readonly world: World,
    _failInit = false,
  ) {}

  [Symbol.asyncDispose](): Promise<void> {
    const { built, world } = this;
    built.disposals++;
    built.disposeBegin ||= world.tick();
    const mode = world.disposeMode[built.spec.index];
    if (mode === "hang") {
      world.hangs++;
      return new Promise<void>(() => undefined);
    }
    const finish = (): void => {
      built.disposeEnd = world.tick();
      if (mode === "fail") throw world.inject(`dispose ${built.spec.name}#${built.uid}`);
      // A disposer's result whose `then` throws when the library looks at it: a failed disposal.
      if (mode === "probe")
        return throwingThenable(world.inject(`dispose ${built.spec.name}#${built.uid} (probe)`)) as never;
    };
    // A synchronous disposer (no ticks) returns nothing or throws: the library's synchronous path.
    if (built.spec.ticks === 0) return finish() as unknown as Promise<void>;
    return world.pause(built.spec, `dispose ${built.spec.name}`).then(finish);
  }
}

/** A value whose class has both hooks: `@onInit` fails on command, `@onNoMoreDependents` in `failHook` mode. */
export class HookedValue extends Value {
  private readonly failInit: boolean;
  /** `@onInit` returns a value whose `then` throws (read at once when it is synchronous). */
  private readonly probeInit: boolean;
  constructor(built: Built, world: World, failInit: boolean) {
    super(built, world);
    this.failInit = failInit;
    this.probeInit = failInit && world.failing[built.spec.index] === "probe";
  }

  @onInit()
  init(): Promise<void> | void {
    const fail = (): void => {
      const error = this.world.inject(`init ${this.built.spec.name}#${this.built.uid}`, true);
      if (this.probeInit) return throwingThenable(error) as never;
      throw error;
    };
    if (this.built.spec.ticks > 0) {
      return this.world.pause(this.built.spec, `init ${this.built.spec.name}`).then(() => {
        if (this.failInit) return fail();
      });
    }
    if (this.failInit) return fail();
  }

  @onNoMoreDependents()
  noMoreDependents(): void {
    this.built.disposeBegin ||= this.world.tick();
    if (this.world.disposeMode[this.built.spec.index] === "failHook") {
      throw this.world.inject(`hook ${this.built.spec.name}#${this.built.uid}`);
    }
  }
}

/** A background task of the instance that fails when `built.crash` is called and ends when cancelled. */
function watchForCrash(scope: Scope, built: Built): void {
  // Its own scope is already cancelled when a dependency crashed while it started: it will not be ready.
  if (scope.state !== "open") return;
  scope.spawn(
    (signal) =>
      new Promise<void>((resolve, reject) => {
        built.crash = (error) => {
          built.crash = undefined;
          reject(error);
          return true;
        };
        signal.addEventListener(
          "abort",
          () => {
            built.crash = undefined;
            resolve();
          },
          { once: true },
        );
      }),
    { name: `${built.spec.name}#${built.uid} watch` },
  );
}

/** Resolve after `n` microtask hops: asynchronous, but done before any timer can fire. */
export async function hops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await null;
}
