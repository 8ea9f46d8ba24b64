/** Cycle and captive checks, and resolution paths (SEMANTICS 2.5). */
import { CycleError } from "../errors.js";
import { Lifetime } from "../lifetimes.js";
import { type Token, tokenName } from "../tokens.js";
import { type DepEntry, type EngineScope, type Holder, InstanceRecord, type Registration } from "./model.js";

export function chainOf(record: InstanceRecord | undefined): InstanceRecord[] {
  const chain: InstanceRecord[] = [];
  for (let r = record; r; r = r.parent) chain.unshift(r);
  return chain;
}

export function pathOf(record: InstanceRecord | undefined): string[] {
  return chainOf(record).map((r) => r.name);
}

/** The instance whose own scope `scope` is, or is inside of, or whose code made it. */
export function instanceOwner(scope: EngineScope): InstanceRecord | undefined {
  for (let s: EngineScope | undefined = scope; s !== undefined; s = s.parent) {
    if (s.kind === "instance") return s.ownerRecord;
    const made = s.madeBy;
    if (made !== undefined) return made;
  }
  return undefined;
}

/**
 * A new instance of `reg` for `requester`: a cycle if an ancestor is the same registration (SEMANTICS 2.5).
 * A scoped one is the same instance only in the same scope; but one asked for again inside an instance's own
 * scope would be asked for again by each new instance, without end: that is a cycle too.
 */
export function checkNewCycle(
  reg: Registration,
  scope: EngineScope,
  requester: InstanceRecord | undefined,
): void {
  if (reg.starting === 0) return;
  const up: InstanceRecord[] = [];
  for (let r = requester; r; r = r.parent) {
    up.push(r);
    if (
      r.reg === reg &&
      (reg.lifetime !== Lifetime.Scoped || r.scope === scope || instanceOwner(scope) !== undefined)
    ) {
      throw new CycleError([...up.reverse().map((x) => x.name), reg.name], [...pathOf(requester), reg.name]);
    }
  }
}

/**
 * Joining a starting instance: a cycle if it (transitively) waits for the requester. An instance waits
 * for what it joined (the waits-for edges) and for what it is creating (every ancestor of the requester
 * waits for the requester, even while that creation is still synchronous).
 */
export function checkJoinCycle(target: InstanceRecord, requester: InstanceRecord | undefined): void {
  if (!requester) return;
  const chain = chainOf(requester);
  const ancestors = new Map<InstanceRecord, number>(chain.map((r, i) => [r, i]));
  // via: target … found (waits-for edges); then found creates … requester (the ancestor chain).
  const closing = (found: InstanceRecord, via: InstanceRecord[]): CycleError =>
    cycleFrom([...via.slice(0, -1), ...chain.slice(ancestors.get(found))]);
  if (ancestors.has(target)) throw closing(target, [target]);
  // Depth-first over the waits-for edges, iteratively (deep graphs must not overflow the stack).
  const prev = new Map<InstanceRecord, InstanceRecord | null>([[target, null]]);
  const stack = [target];
  while (stack.length) {
    const r = stack.pop()!;
    for (const next of r.waitingOn ?? []) {
      if (prev.has(next)) continue;
      prev.set(next, r);
      if (ancestors.has(next)) {
        const via: InstanceRecord[] = [];
        for (let x: InstanceRecord | null | undefined = next; x; x = prev.get(x)) via.unshift(x);
        throw closing(next, via);
      }
      stack.push(next);
    }
  }
}

/** The ready instance a request with no requester is made for: a lazy `ctx.resolve`, or its own scope. */
export function lazyHolder(holder: Holder): InstanceRecord | undefined {
  const r = !(holder instanceof InstanceRecord)
    ? holder.kind === "instance"
      ? holder.ownerRecord
      : undefined
    : holder;
  return r !== undefined && r.state === "ready" ? r : undefined;
}

/**
 * `holder` (a ready instance) is about to hold `target`: a cycle of references if `target` already holds it,
 * directly or through its dependencies or its own scope (each would keep the other alive for ever).
 */
export function holdCycle(target: InstanceRecord, holder: InstanceRecord): CycleError | undefined {
  // Only an instance some other instance holds can be a dependency of anything.
  if (!holder.heldByInstance()) return undefined;
  const prev = new Map<InstanceRecord, InstanceRecord | null>([[target, null]]);
  const stack = [target];
  while (stack.length) {
    const r = stack.pop()!;
    // What it holds: its dependencies, and what its own scope holds for it.
    const held: DepEntry[] = [...r.depList()];
    if (r.ownScope !== undefined) held.push(r.ownScope.held.refList());
    for (const entry of held) {
      for (const dep of Array.isArray(entry) ? entry : [entry]) {
        if (prev.has(dep)) continue;
        prev.set(dep, r);
        if (dep === holder) {
          const via: InstanceRecord[] = [];
          for (let x: InstanceRecord | null | undefined = dep; x; x = prev.get(x)) via.unshift(x);
          return new CycleError([holder, ...via].map((n) => n.name));
        }
        stack.push(dep);
      }
    }
  }
  return undefined;
}

/** The cycle through `nodes` (each waits for the next, the last for the first), from its oldest member. */
function cycleFrom(nodes: InstanceRecord[]): CycleError {
  let start = 0;
  nodes.forEach((n, i) => {
    if (n.id < nodes[start]!.id) start = i;
  });
  const rotated = [...nodes.slice(start), ...nodes.slice(0, start)];
  return new CycleError([...rotated.map((n) => n.name), rotated[0]!.name]);
}

export function describeToken(token: Token): string {
  if (typeof token === "string") return `"${token}"`;
  if (typeof token === "symbol") return token.toString();
  return `class ${tokenName(token)}`;
}
