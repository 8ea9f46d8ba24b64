// The floor: the graph wired by hand with `new`, a request scope that is a Map of its scoped
// instances, and the hand-written equivalents of what the async scenarios ask for (a memoised
// promise for F, disposal that waits for dependents for G).
import type { Adapter, ColdStart, Constructor, GraphFixture, SharedFixture } from "../adapter.js";
import {
  chainCache,
  createLayered,
  type ChainSpec,
  type DisposalRecorder,
  type GeneratedGraph,
  type LayeredSpec,
} from "../generated.js";
import { CONFIG_URL, recordDisposal } from "../graph.js";
import { createSharedFactory, type SharedResource } from "../shared-resource.js";

class Config {
  readonly url = CONFIG_URL;
}
class Db {
  constructor(readonly config: Config) {}
  [Symbol.asyncDispose](): Promise<void> {
    return recordDisposal("Db");
  }
}
class Repo {
  constructor(readonly db: Db) {}
  [Symbol.asyncDispose](): Promise<void> {
    return recordDisposal("Repo");
  }
}
class Service {
  constructor(readonly repo: Repo) {}
}
class Handler {
  constructor(readonly service: Service) {}
}

/** One request: its scoped instances by class, disposed newest first. */
class RequestScope {
  private readonly instances = new Map<Constructor, object>();

  constructor(readonly db: Db) {}

  scoped<T extends object>(key: new (...args: any[]) => T, build: (scope: RequestScope) => T): T {
    let value = this.instances.get(key) as T | undefined;
    if (value === undefined) {
      value = build(this);
      this.instances.set(key, value);
    }
    return value;
  }

  async close(): Promise<void> {
    const values = [...this.instances.values()];
    this.instances.clear();
    for (let i = values.length - 1; i >= 0; i--) {
      const dispose = (values[i] as Partial<AsyncDisposable>)[Symbol.asyncDispose];
      if (dispose) await dispose.call(values[i]);
    }
  }
}

const buildRepo = (scope: RequestScope): Repo => new Repo(scope.db);
const buildService = (scope: RequestScope): Service => new Service(scope.scoped(Repo, buildRepo));
const handlerOf = (scope: RequestScope): Handler => new Handler(scope.scoped(Service, buildService));

/** Builds every class of a generated graph with `new`, dependencies first. */
function wireByHand(graph: GeneratedGraph): Map<Constructor, object> {
  const instances = new Map<Constructor, object>();
  for (const cls of graph.classes) {
    instances.set(cls, new cls(...graph.depsOf.get(cls)!.map((dep) => instances.get(dep))));
  }
  return instances;
}

export class BaselineAdapter implements Adapter<RequestScope> {
  readonly name = "baseline";
  readonly classes = { Config, Db, Repo, Service, Handler };
  readonly disposal = { awaitsScopeDisposal: true, closesOpenScopes: false };
  readonly notes = {};
  private db: Db | undefined;
  private readonly chain = chainCache("positional");

  async setup(): Promise<void> {
    this.db = new Db(new Config());
  }

  async teardown(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    await db?.[Symbol.asyncDispose]();
  }

  resolveSingleton(): Db {
    return this.db!;
  }

  resolveSingletonAwaited(): Promise<Db> {
    return Promise.resolve(this.db!);
  }

  createScope(): RequestScope {
    return new RequestScope(this.db!);
  }

  resolveHandler(scope: RequestScope): Handler {
    return handlerOf(scope);
  }

  disposeScope(scope: RequestScope): Promise<void> {
    return scope.close();
  }

  async requestCycle(): Promise<void> {
    const scope = new RequestScope(this.db!);
    handlerOf(scope);
    await scope.close();
  }

  coldStart(spec: ChainSpec): ColdStart {
    const graph = this.chain(spec);
    return { root: wireByHand(graph).get(graph.roots[0]!), close() {} };
  }

  async concurrentShared(count: number, factoryMs: number): Promise<SharedFixture> {
    const factory = createSharedFactory(factoryMs);
    let shared: Promise<SharedResource> | undefined;
    const requests = Array.from({ length: count }, () => ({
      shared: undefined as SharedResource | undefined,
    }));
    return {
      resolveAll: () =>
        Promise.all(requests.map(async (request) => (request.shared = await (shared ??= factory.create())))),
      get factoryCalls() {
        return factory.calls;
      },
      close: async () => {
        const value = await shared;
        await value?.[Symbol.asyncDispose]();
      },
    };
  }

  async disposeGraph(spec: LayeredSpec, recorder: DisposalRecorder): Promise<GraphFixture> {
    const graph = createLayered(spec, "positional", recorder);
    const instances = wireByHand(graph);
    const dependents = new Map<Constructor, Constructor[]>();
    for (const [cls, deps] of graph.depsOf) {
      for (const dep of deps) dependents.set(dep, [...(dependents.get(dep) ?? []), cls]);
    }
    // Each instance is disposed once everything that depends on it has been.
    const disposed = new Map<Constructor, Promise<void>>();
    const dispose = (cls: Constructor): Promise<void> => {
      let done = disposed.get(cls);
      if (done === undefined) {
        done = Promise.all((dependents.get(cls) ?? []).map(dispose)).then(() =>
          (instances.get(cls) as AsyncDisposable)[Symbol.asyncDispose](),
        );
        disposed.set(cls, done);
      }
      return done;
    };
    return {
      edges: graph.edges,
      close: async () => {
        await Promise.all(graph.classes.map(dispose));
      },
    };
  }
}
