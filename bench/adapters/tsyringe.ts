// tsyringe 4.10 as its README shows it: `@injectable()` classes, registrations with a lifecycle, a
// child container per request (`Lifecycle.ContainerScoped`), `dispose()` methods called by
// `container.dispose()`. Everything lives in a child of tsyringe's global container, so nothing leaks
// into (or out of) the global one.
import { container as globalContainer, injectable, Lifecycle, type DependencyContainer } from "tsyringe";
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

@injectable()
class Config {
  readonly url = CONFIG_URL;
}
@injectable()
class Db {
  constructor(readonly config: Config) {}
  dispose(): Promise<void> {
    return recordDisposal("Db");
  }
}
@injectable()
class Repo {
  constructor(readonly db: Db) {}
  dispose(): Promise<void> {
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

export class TsyringeAdapter
  extends ContainerAdapter<DependencyContainer>
  implements Adapter<DependencyContainer>
{
  readonly name = "tsyringe";
  readonly classes = { Config, Db, Repo, Service, Handler };
  readonly disposal = { awaitsScopeDisposal: true, closesOpenScopes: false };
  readonly notes = {
    A: "The singleton is first resolved from the root: tsyringe records a disposable in the container that constructs it, so a singleton first built inside a request container would be disposed with that request.",
    G: "container.dispose() runs every dispose() at once (Promise.all), without regard to dependencies.",
  };
  private readonly chain = chainCache("positional", (cls) => injectable()(cls));

  protected create(): DependencyContainer {
    const root = globalContainer.createChildContainer();
    root.register(Config, { useClass: Config }, { lifecycle: Lifecycle.Singleton });
    root.register(Db, { useClass: Db }, { lifecycle: Lifecycle.Singleton });
    root.register(Repo, { useClass: Repo }, { lifecycle: Lifecycle.ContainerScoped });
    root.register(Service, { useClass: Service }, { lifecycle: Lifecycle.ContainerScoped });
    root.register(Handler, { useClass: Handler });
    root.resolve(Db);
    return root;
  }

  protected close(root: DependencyContainer): Promise<void> | void {
    return root.dispose();
  }

  resolveSingleton(): Db {
    return this.container.resolve(Db);
  }

  createScope(): DependencyContainer {
    return this.container.createChildContainer();
  }

  resolveHandler(scope: DependencyContainer): Handler {
    return scope.resolve(Handler);
  }

  disposeScope(scope: DependencyContainer): Promise<void> | void {
    return scope.dispose();
  }

  async requestCycle(): Promise<void> {
    const scope = this.container.createChildContainer();
    scope.resolve(Handler);
    await scope.dispose();
  }

  coldStart(spec: ChainSpec): ColdStart {
    const chain = this.chain(spec);
    const container = globalContainer.createChildContainer();
    for (const cls of chain.classes) {
      container.register(cls, { useClass: cls }, { lifecycle: Lifecycle.Singleton });
    }
    return { root: container.resolve(chain.roots[0]!), close: () => container.dispose() };
  }

  concurrentShared() {
    return na(
      "resolve() is synchronous: an async factory's Promise would be handed out as the service itself",
    );
  }

  async disposeGraph(spec: LayeredSpec, recorder: DisposalRecorder): Promise<GraphFixture> {
    const graph = createLayered(spec, "positional", recorder);
    const container = globalContainer.createChildContainer();
    for (const cls of graph.classes) {
      injectable()(cls);
      container.register(cls, { useClass: cls }, { lifecycle: Lifecycle.Singleton });
    }
    for (const root of graph.roots) container.resolve(root);
    return {
      edges: graph.edges,
      close: async () => {
        await container.dispose();
      },
    };
  }
}
