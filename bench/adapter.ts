// The one interface every container under test implements. Each adapter builds the same object graph
// the way a user of that library would write it; a scenario the library cannot express is a
// `NotApplicable` with the reason, never an imitation.
import type { ChainSpec, DisposalRecorder, GeneratedGraph, LayeredSpec } from "./generated.js";

export type ScenarioId = "A" | "B" | "C" | "D" | "E" | "F" | "G" | "H";

/** A cell the library cannot fill, with the reason shown in the table. */
export interface NotApplicable {
  readonly na: string;
}

export function na(reason: string): NotApplicable {
  return { na: reason };
}

export function isNotApplicable(value: unknown): value is NotApplicable {
  return typeof value === "object" && value !== null && typeof (value as NotApplicable).na === "string";
}

export type Constructor = new (...args: any[]) => object;

/** The graph's five classes as this adapter declared them (each adapter has its own set). */
export interface GraphClasses {
  readonly Config: Constructor;
  readonly Db: Constructor;
  readonly Repo: Constructor;
  readonly Service: Constructor;
  readonly Handler: Constructor;
}

/** What the library does at teardown, checked by the semantic check rather than assumed. */
export interface DisposalSupport {
  /** `disposeScope` settles only after the scope's async disposers have finished. */
  readonly awaitsScopeDisposal: boolean;
  /** Ending the container disposes scopes still open, dependents before their dependencies. */
  readonly closesOpenScopes: boolean;
}

/** A container built for E: the chain registered and its root resolved. */
export interface ColdStart {
  readonly root: unknown;
  close(): Promise<void> | void;
}

/** F: `count` requests ready to ask for the shared service at once. */
export interface SharedFixture {
  resolveAll(): Promise<unknown[]>;
  readonly factoryCalls: number;
  close(): Promise<void>;
}

/** G: the layered graph built and every instance alive; `close` disposes all of it. */
export interface GraphFixture {
  readonly edges: GeneratedGraph["edges"];
  close(): Promise<void>;
}

export interface Adapter<S = any> {
  readonly name: string;
  readonly classes: GraphClasses;
  readonly disposal: DisposalSupport;
  /** Caveats printed under the table, keyed by scenario. */
  readonly notes: Partial<Record<ScenarioId, string>>;

  /** A fresh container with the graph registered and its singletons ready. */
  setup(): Promise<void>;
  /** Ends the container (disposing the singletons where the library can). */
  teardown(): Promise<void>;

  /** A: the `Db` singleton. */
  resolveSingleton(): unknown;
  /**
   * A, second way: where the library's resolve is asynchronous but it also has a synchronous call for an
   * instance that is already ready, that call (shown in the notes, not ranked).
   */
  lookupSingleton?(): unknown;
  /**
   * A, the floor of any promise-returning resolve (the baseline only): the ready instance handed out through
   * an already-resolved promise, which the timed region awaits.
   */
  resolveSingletonAwaited?(): Promise<unknown>;
  createScope(): S;
  /** B: a `Handler` from an open scope. */
  resolveHandler(scope: S): unknown;
  disposeScope(scope: S): Promise<void> | void;
  /** C: one request: create a scope, resolve `Handler`, dispose the scope. */
  requestCycle(): Promise<void>;

  /** E: a fresh container, the chain's classes registered, its root resolved. */
  coldStart(chain: ChainSpec): Promise<ColdStart> | ColdStart;
  /** F: a shared service whose async factory takes `factoryMs`, asked for by `count` requests. */
  concurrentShared(count: number, factoryMs: number): Promise<SharedFixture> | NotApplicable;
  /** G: a layered graph whose disposers are slow and report to `recorder`. */
  disposeGraph(graph: LayeredSpec, recorder: DisposalRecorder): Promise<GraphFixture> | NotApplicable;
}
