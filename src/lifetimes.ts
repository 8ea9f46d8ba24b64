/**
 * How long an instance lives and who shares it.
 *
 * | lifetime | one instance per | disposed when |
 * |---|---|---|
 * | `transient` | resolution | the scope (or service) that resolved it is disposed or releases it |
 * | `scoped` | scope (a child scope gets its own) | that scope is disposed |
 * | `shared` (default) | container, while anyone holds it | its last holder releases it (after `keepAliveMs`) |
 * | `singleton` | container | the container is closed |
 *
 * @example
 * ```ts
 * container.register(RequestContext, { useClass: RequestContext }, { lifetime: Lifetime.Scoped });
 * ```
 */
export const Lifetime = {
  Transient: "transient",
  Scoped: "scoped",
  Shared: "shared",
  Singleton: "singleton",
} as const;
/** One of `"transient" | "scoped" | "shared" | "singleton"`. */
export type Lifetime = (typeof Lifetime)[keyof typeof Lifetime];

const LIFETIMES: ReadonlySet<string> = new Set(Object.values(Lifetime));

/** Whether a value is one of the four lifetimes. */
export function isLifetime(value: unknown): value is Lifetime {
  return typeof value === "string" && LIFETIMES.has(value);
}
