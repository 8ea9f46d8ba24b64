// InversifyJS 8 as its docs show it: `@injectable()` classes, `bind(...).toSelf().inSingletonScope()`,
// `@preDestroy()` run on unbind. Inversify's own "Request" scope lasts one `get()` call, so a request
// that spans several resolves is a child container (`new Container({ parent })`) loading a
// `ContainerModule` with the request's bindings, unbound with `unbindAllAsync()` at the end.
import { Container, ContainerModule, injectable, preDestroy } from "inversify";
import type { Adapter, ColdStart, GraphFixture, SharedFixture } from "../adapter.js";
import {
  chainCache,
  createLayered,
  type ChainSpec,
  type DisposalRecorder,
  type LayeredSpec,
} from "../generated.js";
import { CONFIG_URL, recordDisposal } from "../graph.js";
import { createSharedFactory, type SharedResource } from "../shared-resource.js";
import { ContainerAdapter } from "./container-adapter.js";

@injectable()
class Config {
  readonly url = CONFIG_URL;
}
@injectable()
class Db {
  constructor(readonly config: Config) {}
  @preDestroy()
  close(): Promise<void> {
    return recordDisposal("Db");
  }
}
@injectable()
class Repo {
  constructor(readonly db: Db) {}
  @preDestroy()
  close(): Promise<void> {
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

const requestBindings = new ContainerModule(({ bind }) => {
  bind(Repo).toSelf().inSingletonScope();
  bind(Service).toSelf().inSingletonScope();
});

export class InversifyAdapter extends ContainerAdapter<Container> implements Adapter<Container> {
  readonly name = "inversify";
  readonly classes = { Config, Db, Repo, Service, Handler };
  readonly disposal = { awaitsScopeDisposal: true, closesOpenScopes: false };
  readonly notes = {
    C: "A request is a child container that loads the request bindings; its resolution plans are built afresh for every child.",
  };
  private readonly chain = chainCache("positional", (cls) => injectable()(cls));

  protected create(): Container {
    const root = new Container();
    root.bind(Config).toSelf().inSingletonScope();
    root.bind(Db).toSelf().inSingletonScope();
    root.bind(Handler).toSelf();
    root.get(Db);
    return root;
  }

  protected close(root: Container): Promise<void> {
    return root.unbindAllAsync();
  }

  resolveSingleton(): Db {
    return this.container.get(Db);
  }

  createScope(): Container {
    const scope = new Container({ parent: this.container });
    scope.load(requestBindings);
    return scope;
  }

  resolveHandler(scope: Container): Handler {
    return scope.get(Handler);
  }

  disposeScope(scope: Container): Promise<void> {
    return scope.unbindAllAsync();
  }

  async requestCycle(): Promise<void> {
    const scope = new Container({ parent: this.container });
    scope.load(requestBindings);
    scope.get(Handler);
    await scope.unbindAllAsync();
  }

  coldStart(spec: ChainSpec): ColdStart {
    const chain = this.chain(spec);
    const container = new Container();
    for (const cls of chain.classes) container.bind(cls).toSelf().inSingletonScope();
    return { root: container.get(chain.roots[0]!), close: () => container.unbindAllAsync() };
  }

  async concurrentShared(count: number, factoryMs: number): Promise<SharedFixture> {
    const factory = createSharedFactory(factoryMs);
    const shared = Symbol("SharedResource");
    this.container
      .bind<SharedResource>(shared)
      .toDynamicValue(() => factory.create())
      .inSingletonScope();
    const scopes = Array.from({ length: count }, () => this.createScope());
    return {
      resolveAll: () => Promise.all(scopes.map((scope) => scope.getAsync<SharedResource>(shared))),
      get factoryCalls() {
        return factory.calls;
      },
      close: async () => {
        await Promise.all(scopes.map((scope) => scope.unbindAllAsync()));
      },
    };
  }

  async disposeGraph(spec: LayeredSpec, recorder: DisposalRecorder): Promise<GraphFixture> {
    const graph = createLayered(spec, "positional", recorder);
    const container = new Container();
    for (const cls of graph.classes) {
      injectable()(cls);
      container
        .bind(cls)
        .toSelf()
        .inSingletonScope()
        .onDeactivation(async (node) => {
          await (node as AsyncDisposable)[Symbol.asyncDispose]();
        });
    }
    for (const root of graph.roots) container.get(root);
    return { edges: graph.edges, close: () => container.unbindAllAsync() };
  }
}
