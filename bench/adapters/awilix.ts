// Awilix 13 as its README shows it: plain classes that take the cradle (the default PROXY injection
// mode), `asClass(...).singleton() / .scoped() / .transient()`, `container.createScope()` per request,
// and `.disposer(...)` hooks run by `scope.dispose()` / `container.dispose()`.
import { asClass, createContainer, type AwilixContainer } from "awilix";
import type { Adapter, ColdStart, GraphFixture } from "../adapter.js";
import { na } from "../adapter.js";
import {
  chainCache,
  createLayered,
  type ChainSpec,
  type DisposalRecorder,
  type LayeredSpec,
} from "../generated.js";
import { CONFIG_URL, recordDisposal } from "../graph.js";
import { ContainerAdapter } from "./container-adapter.js";

interface Cradle {
  config: Config;
  db: Db;
  repo: Repo;
  service: Service;
  handler: Handler;
}

class Config {
  readonly url = CONFIG_URL;
}
class Db {
  readonly config: Config;
  constructor({ config }: Cradle) {
    this.config = config;
  }
  close(): Promise<void> {
    return recordDisposal("Db");
  }
}
class Repo {
  readonly db: Db;
  constructor({ db }: Cradle) {
    this.db = db;
  }
  close(): Promise<void> {
    return recordDisposal("Repo");
  }
}
class Service {
  readonly repo: Repo;
  constructor({ repo }: Cradle) {
    this.repo = repo;
  }
}
class Handler {
  readonly service: Service;
  constructor({ service }: Cradle) {
    this.service = service;
  }
}

export class AwilixAdapter
  extends ContainerAdapter<AwilixContainer<Cradle>>
  implements Adapter<AwilixContainer<Cradle>>
{
  readonly name = "awilix";
  readonly classes = { Config, Db, Repo, Service, Handler };
  readonly disposal = { awaitsScopeDisposal: true, closesOpenScopes: false };
  readonly notes = {
    G: "container.dispose() runs every disposer at once (Promise.all), without regard to dependencies.",
  };
  private readonly chain = chainCache("cradle");

  protected create(): AwilixContainer<Cradle> {
    const container = createContainer<Cradle>();
    container.register({
      config: asClass(Config).singleton(),
      db: asClass(Db)
        .singleton()
        .disposer((db) => db.close()),
      repo: asClass(Repo)
        .scoped()
        .disposer((repo) => repo.close()),
      service: asClass(Service).scoped(),
      handler: asClass(Handler).transient(),
    });
    container.resolve("db");
    return container;
  }

  protected close(container: AwilixContainer<Cradle>): Promise<void> {
    return container.dispose();
  }

  resolveSingleton(): Db {
    return this.container.resolve("db");
  }

  createScope(): AwilixContainer<Cradle> {
    return this.container.createScope();
  }

  resolveHandler(scope: AwilixContainer<Cradle>): Handler {
    return scope.resolve("handler");
  }

  disposeScope(scope: AwilixContainer<Cradle>): Promise<void> {
    return scope.dispose();
  }

  async requestCycle(): Promise<void> {
    const scope = this.container.createScope();
    scope.resolve("handler");
    await scope.dispose();
  }

  coldStart(spec: ChainSpec): ColdStart {
    const chain = this.chain(spec);
    const container = createContainer();
    for (const cls of chain.classes) container.register(chain.names.get(cls)!, asClass(cls).singleton());
    return { root: container.resolve(chain.names.get(chain.roots[0]!)!), close: () => container.dispose() };
  }

  concurrentShared() {
    return na(
      "resolve() is synchronous: an async factory's Promise would be handed out as the service itself",
    );
  }

  async disposeGraph(spec: LayeredSpec, recorder: DisposalRecorder): Promise<GraphFixture> {
    const graph = createLayered(spec, "cradle", recorder);
    const container = createContainer();
    for (const cls of graph.classes) {
      container.register(
        graph.names.get(cls)!,
        asClass(cls)
          .singleton()
          .disposer((node) => (node as AsyncDisposable)[Symbol.asyncDispose]()),
      );
    }
    for (const root of graph.roots) container.resolve(graph.names.get(root)!);
    return { edges: graph.edges, close: () => container.dispose() };
  }
}
