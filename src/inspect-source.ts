// What inspect.ts reads of a container, its scopes and its instance records: a leaf contract, so that
// inspect.ts imports no Scope, record or Container and the container can import it without an import cycle.
// The container's root scope and live list satisfy it as they are (structural typing).
import type { Lifetime } from "./lifetimes.js";

/** @internal What a snapshot reads of a scope. */
export interface InspectedScope {
  readonly id: number;
  readonly name: string;
  readonly state: string;
  /**
   * `root`, `child`, `fork` or `instance`. Among an instance's holders, a scope is the one that has a `kind`
   * (an instance has none).
   */
  readonly kind: string;
  readonly parent: InspectedScope | undefined;
  /** For an instance's own scope: that instance. */
  readonly ownerRecord: InspectedInstance | undefined;
  /** The live child scopes, in creation order. */
  childScopes(): readonly InspectedScope[];
}

/** @internal What a snapshot reads of an instance record. */
export interface InspectedInstance {
  readonly id: number;
  /** The display name of its token. */
  readonly name: string;
  readonly lifetime: Lifetime;
  readonly state: string;
  readonly crashed: boolean;
  readonly refCount: number;
  /** Held by its scope (scoped) or the root (singleton) until that scope closes. */
  readonly pinned: boolean;
  /** Its scope: the one that pins it when it is a pinned scoped instance. */
  readonly scope: InspectedScope;
  /** Every holder (a scope, or an instance: see `InspectedScope.kind`) with its count. */
  holders(): readonly (readonly [holder: InspectedScope | InspectedInstance, count: number])[];
  /** The unique instances it holds. */
  depRecords(): readonly InspectedInstance[];
}

/** @internal What `Container.inspect()` hands to `snapshot()` (inspect.ts): the root scope and the live records. */
export interface InspectSource {
  readonly root: InspectedScope;
  /** Every instance that is starting, ready or releasing, in the order they were added. */
  readonly live: Iterable<InspectedInstance>;
}
