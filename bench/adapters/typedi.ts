// TypeDI 0.10 as its README shows it: `@Service()` classes registered in the global container,
// `global: true` for services shared by every container, `transient: true` for a fresh instance per
// `get()`, `Container.of(id)` for a request and `Container.reset(id)` to end it, `destroy()` methods.
import * as typedi from "typedi";
import type { Adapter, ColdStart } from "../adapter.js";
import { na } from "../adapter.js";
import { chainCache, type ChainSpec } from "../generated.js";
import { CONFIG_URL, recordDisposal } from "../graph.js";

@typedi.Service({ global: true })
class Config {
  readonly url = CONFIG_URL;
}
@typedi.Service({ global: true })
class Db {
  constructor(readonly config: Config) {}
  destroy(): Promise<void> {
    return recordDisposal("Db");
  }
}
@typedi.Service()
class Repo {
  constructor(readonly db: Db) {}
  destroy(): Promise<void> {
    return recordDisposal("Repo");
  }
}
@typedi.Service()
class Service {
  constructor(readonly repo: Repo) {}
}
@typedi.Service({ transient: true })
class Handler {
  constructor(readonly service: Service) {}
}

const NOT_AWAITED = "reset() calls destroy() without awaiting it (and ignores its errors)";

export class TypediAdapter implements Adapter<typedi.ContainerInstance> {
  readonly name = "typedi";
  readonly classes = { Config, Db, Repo, Service, Handler };
  readonly disposal = { awaitsScopeDisposal: false, closesOpenScopes: false };
  readonly notes = {
    B:
      "TypeDI 0.10 caches a transient service in a Container.of() container after its first get() " +
      "(ContainerInstance.get stores the value of the entry it clones from the global container), so each " +
      "request container registers Handler as transient itself: one extra set() per request.",
    C: `Disposal is not awaited: ${NOT_AWAITED}.`,
  };
  private requests = 0;
  private readonly chain = chainCache("positional");

  async setup(): Promise<void> {
    typedi.Container.get(Db);
  }

  async teardown(): Promise<void> {
    typedi.Container.reset();
  }

  resolveSingleton(): Db {
    return typedi.Container.get(Db);
  }

  createScope(): typedi.ContainerInstance {
    const scope = typedi.Container.of(`request-${++this.requests}`);
    scope.set({ id: Handler, type: Handler, transient: true });
    return scope;
  }

  resolveHandler(scope: typedi.ContainerInstance): Handler {
    return scope.get(Handler);
  }

  disposeScope(scope: typedi.ContainerInstance): void {
    typedi.Container.reset(scope.id);
  }

  async requestCycle(): Promise<void> {
    const scope = this.createScope();
    scope.get(Handler);
    typedi.Container.reset(scope.id);
  }

  coldStart(spec: ChainSpec): ColdStart {
    const chain = this.chain(spec);
    const id = `cold-start-${++this.requests}`;
    const container = typedi.Container.of(id);
    for (const cls of chain.classes) container.set({ id: cls, type: cls });
    return { root: container.get(chain.roots[0]!), close: () => void typedi.Container.reset(id) };
  }

  concurrentShared() {
    return na("get() is synchronous: an async factory's Promise would be handed out as the service itself");
  }

  disposeGraph() {
    return na(NOT_AWAITED);
  }
}
