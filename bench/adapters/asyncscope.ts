// asyncscope as its README shows it: `@injectable()` classes registered with a lifetime,
// `container.createScope()` per request, `await scope.resolve(...)`, `await scope.close()`; disposal
// through `Symbol.asyncDispose`, dependents before their dependencies.
//
// The classes are declared by `declareGraph(lib)` with the decorators of the build `lib` is, so that the
// same adapter also runs an earlier build of the library (`--before <rev>`, see ../before.ts).
import * as asyncscope from "asyncscope";
import type { Container, Scope } from "asyncscope";
import type { Adapter, ColdStart, GraphFixture, SharedFixture } from "../adapter.js";
import {
  chainCache,
  createLayered,
  type ChainSpec,
  type DisposalRecorder,
  type LayeredSpec,
} from "../generated.js";
import { CONFIG_URL, recordDisposal } from "../graph.js";
import { createSharedFactory, SharedResource } from "../shared-resource.js";
import { ContainerAdapter } from "./container-adapter.js";

/** What the adapter takes from a build of the library (this one, or one built at another revision). */
export type AsyncscopeLibrary = Pick<typeof asyncscope, "Container" | "injectable" | "Lifetime">;

/** The graph's five classes, decorated by `lib`'s `@injectable()`. */
function declareGraph({ injectable }: AsyncscopeLibrary) {
  @injectable()
  class Config {
    readonly url = CONFIG_URL;
  }
  @injectable()
  class Db {
    constructor(readonly config: Config) {}
    [Symbol.asyncDispose](): Promise<void> {
      return recordDisposal("Db");
    }
  }
  @injectable()
  class Repo {
    constructor(readonly db: Db) {}
    [Symbol.asyncDispose](): Promise<void> {
      return recordDisposal("Repo");
    }
  }
  @injectable()
  class Service {
    constructor(readonly repo: Repo) {}
  }
  @injectable()
  class Handler {
    constructor(readonly service: Service) {}
  }
  return { Config, Db, Repo, Service, Handler };
}

export class AsyncscopeAdapter extends ContainerAdapter<Container> implements Adapter<Scope> {
  readonly classes: ReturnType<typeof declareGraph>;
  readonly disposal = { awaitsScopeDisposal: true, closesOpenScopes: true };
  readonly notes = {};
  private readonly chain = chainCache("positional");
  private readonly Container: AsyncscopeLibrary["Container"];
  private readonly Lifetime: AsyncscopeLibrary["Lifetime"];

  /** `lib`: the build to run (this one by default); `name`: the adapter's column in the report. */
  constructor(
    readonly name = "asyncscope",
    lib: AsyncscopeLibrary = asyncscope,
  ) {
    super();
    this.classes = declareGraph(lib);
    this.Container = lib.Container;
    this.Lifetime = lib.Lifetime;
  }

  protected async create(): Promise<Container> {
    const { Config, Db, Repo, Service, Handler } = this.classes;
    const { Container, Lifetime } = this;
    const container = new Container()
      .register(Config, { useClass: Config }, { lifetime: Lifetime.Singleton })
      .register(Db, { useClass: Db }, { lifetime: Lifetime.Singleton })
      .register(Repo, { useClass: Repo }, { lifetime: Lifetime.Scoped })
      .register(Service, { useClass: Service }, { lifetime: Lifetime.Scoped })
      .register(Handler, { useClass: Handler }, { lifetime: Lifetime.Transient });
    await container.resolve(Db);
    return container;
  }

  protected close(container: Container): Promise<void> {
    return container.close();
  }

  resolveSingleton(): Promise<object> {
    return this.container.resolve(this.classes.Db);
  }

  lookupSingleton(): object | undefined {
    return this.container.root.lookup(this.classes.Db);
  }

  createScope(): Scope {
    return this.container.createScope();
  }

  resolveHandler(scope: Scope): Promise<object> {
    return scope.resolve(this.classes.Handler);
  }

  disposeScope(scope: Scope): Promise<void> {
    return scope.close();
  }

  async requestCycle(): Promise<void> {
    const scope = this.container.createScope();
    await scope.resolve(this.classes.Handler);
    await scope.close();
  }

  async coldStart(spec: ChainSpec): Promise<ColdStart> {
    const { Container, Lifetime } = this;
    const chain = this.chain(spec);
    const container = new Container();
    for (const cls of chain.classes)
      container.register(cls, { useClass: cls }, { lifetime: Lifetime.Singleton });
    return { root: await container.resolve(chain.roots[0]!), close: () => container.close() };
  }

  async concurrentShared(count: number, factoryMs: number): Promise<SharedFixture> {
    const { Container, Lifetime } = this;
    const factory = createSharedFactory(factoryMs);
    const container = new Container().register(
      SharedResource,
      { useFactory: () => factory.create() },
      { lifetime: Lifetime.Shared },
    );
    const scopes = Array.from({ length: count }, () => container.createScope());
    return {
      resolveAll: () => Promise.all(scopes.map((scope) => scope.resolve(SharedResource))),
      get factoryCalls() {
        return factory.calls;
      },
      close: async () => {
        await Promise.all(scopes.map((scope) => scope.close()));
        await container.close();
      },
    };
  }

  async disposeGraph(spec: LayeredSpec, recorder: DisposalRecorder): Promise<GraphFixture> {
    const { Container, Lifetime } = this;
    const graph = createLayered(spec, "positional", recorder);
    const container = new Container();
    for (const cls of graph.classes)
      container.register(cls, { useClass: cls }, { lifetime: Lifetime.Singleton });
    await Promise.all(graph.roots.map((root) => container.resolve(root)));
    return { edges: graph.edges, close: () => container.close() };
  }
}
