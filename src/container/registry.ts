import type { DependencyContainer } from "tsyringe";
import { decoratedFor, decoratedVersion, type DecoratedService } from "../decorators.js";
import { Lifetime } from "../lifetimes.js";
import { createRegistration } from "../provider.js";
import type { Constructor, Token } from "../tokens.js";
import { Registration, type EngineHost } from "../engine/model.js";
import { pushAll } from "../internal/maybe.js";
import { isConstructible, tsyringeLifetime } from "../internal/metadata.js";

/**
 * A container's token → Registration look-up: its own registrations, decorated classes, tsyringe and plain
 * classes (adopted once), the tsyringe fallback, and a cache cleared when a registration or a decorator is
 * added.
 */
export class Registry {
  private readonly registry = new Map<Token, Registration[]>();
  private readonly cache = new Map<Token, Registration | null>();
  private cacheVersion = -1;
  private readonly adopted = new Map<DecoratedService | Constructor | Token, Registration>();

  constructor(
    private readonly host: EngineHost,
    private readonly useDecorated: boolean,
    private readonly fallback: DependencyContainer | undefined,
  ) {}

  /** Add a provider for a token: `find` uses the last, `all` every one in order. */
  add(token: Token, reg: Registration): void {
    reg.host = this.host;
    const list = this.registry.get(token);
    if (list) list.push(reg);
    else this.registry.set(token, [reg]);
    this.cache.clear();
  }

  /** The registration `resolve(token)` uses, or undefined. */
  find(token: Token): Registration | undefined {
    const v = decoratedVersion();
    if (this.cacheVersion !== v) {
      this.cache.clear();
      this.cacheVersion = v;
    }
    const hit = this.cache.get(token);
    if (hit !== undefined) return hit ?? undefined;
    const reg = this.lookup(token);
    this.cache.set(token, reg ?? null);
    return reg;
  }

  /** Every registration for a token, in registration order (decorated ones first). */
  all(token: Token): Registration[] {
    const out: Registration[] = [];
    if (this.useDecorated) for (const d of decoratedFor(token) ?? []) out.push(this.adopt(d));
    pushAll(out, this.registry.get(token) ?? []);
    if (out.length === 0) {
      const reg = this.find(token);
      if (reg) out.push(reg);
    }
    return out;
  }

  /** Resolve through the tsyringe fallback container (its lifecycle, never disposed by us). */
  fallbackResolve(token: Token): unknown {
    return this.fallback!.resolve(token as never);
  }

  private lookup(token: Token): Registration | undefined {
    const local = this.registry.get(token);
    if (local && local.length) return local[local.length - 1];
    if (this.useDecorated) {
      const decorated = decoratedFor(token);
      if (decorated && decorated.length) return this.adopt(decorated[decorated.length - 1]!);
    }
    if (typeof token === "function") {
      const lifetime = tsyringeLifetime(token);
      if (lifetime !== undefined || isConstructible(token)) {
        return this.adoptClass(token, lifetime ?? Lifetime.Transient);
      }
    }
    if (this.fallback && this.fallback.isRegistered(token as never, true)) {
      let reg = this.adopted.get(token);
      if (!reg) {
        reg = new Registration([token], "fallback", Lifetime.Transient);
        reg.host = this.host;
        this.adopted.set(token, reg);
      }
      return reg;
    }
    return undefined;
  }

  private adopt(d: DecoratedService): Registration {
    let reg = this.adopted.get(d);
    if (!reg) {
      reg = createRegistration(
        d.tokens,
        { useClass: d.cls },
        d.options,
        Lifetime.Shared,
        `@scopedService ${d.cls.name}`,
      );
      reg.host = this.host;
      this.adopted.set(d, reg);
    }
    return reg;
  }

  private adoptClass(cls: Constructor, lifetime: Lifetime): Registration {
    let reg = this.adopted.get(cls);
    if (!reg) {
      reg = createRegistration([cls], { useClass: cls }, { lifetime }, lifetime, cls.name);
      reg.host = this.host;
      this.adopted.set(cls, reg);
    }
    return reg;
  }
}
