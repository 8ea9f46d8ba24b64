import { fewAdd, fewRemove, fewToArray, type Few } from "../internal/few.js";
import { giveUp } from "./flight.js";
import { InstanceRecord, type Held, type Holder, type Registration, type Waiter } from "./model.js";

/** Past this many scoped instances, a scope looks them up through a map rather than a scan. */
const SCOPED_SCAN = 8;

/**
 * A scope's side of the engine: the references it holds (one entry per instance held; the count is in the
 * instance), the scoped instances that belong to it (a short list, indexed by a map once it grows), and its
 * pending resolves. One or many are kept as a value or an array, so a request allocates no list for one.
 */
export class HeldRefs implements Held {
  refs: Few<InstanceRecord> = undefined;
  scoped: Few<InstanceRecord> = undefined;
  scopedIndex: Map<Registration, InstanceRecord> | undefined = undefined;
  /** Resolves through the scope still waiting for a starting (or releasing) instance. */
  pendingWaiters: Set<Waiter> | undefined = undefined;

  /** The scoped instance of `reg` in the scope, if any. */
  findScoped(reg: Registration): InstanceRecord | undefined {
    const scoped = this.scoped;
    if (scoped === undefined) return undefined;
    if (!Array.isArray(scoped)) return scoped.reg === reg ? scoped : undefined;
    if (this.scopedIndex !== undefined) return this.scopedIndex.get(reg);
    for (let i = 0; i < scoped.length; i++) if (scoped[i]!.reg === reg) return scoped[i];
    return undefined;
  }

  /** Register a scoped instance of the scope (none of its registration is there). */
  addScoped(record: InstanceRecord): void {
    const scoped = (this.scoped = fewAdd(this.scoped, record));
    if (!Array.isArray(scoped)) return;
    if (this.scopedIndex !== undefined) this.scopedIndex.set(record.reg, record);
    else if (scoped.length > SCOPED_SCAN) this.scopedIndex = new Map(scoped.map((r) => [r.reg, r]));
  }

  /** Forget a scoped instance (failed, or released), so that the next resolve starts afresh. */
  removeScoped(record: InstanceRecord): void {
    this.scoped = fewRemove(this.scoped, record);
    if (this.scopedIndex?.get(record.reg) === record) this.scopedIndex.delete(record.reg);
  }

  /** Take every scoped instance, in creation order (closing). */
  takeScoped(): InstanceRecord[] {
    const scoped = this.scoped;
    this.scoped = undefined;
    this.scopedIndex = undefined;
    return fewToArray(scoped);
  }

  /** Note that the scope now holds `record` (it held none of it before). */
  addRefEntry(record: InstanceRecord): void {
    this.refs = fewAdd(this.refs, record);
  }

  /** This scope no longer holds `record`. */
  removeRefEntry(record: InstanceRecord): void {
    this.refs = fewRemove(this.refs, record);
  }

  /** What the scope holds, in acquisition order. */
  refList(): InstanceRecord[] {
    return fewToArray(this.refs);
  }

  /** Take every held record, in acquisition order (closing). */
  takeRefs(): InstanceRecord[] {
    const refs = this.refList();
    this.refs = undefined;
    return refs;
  }
}

/** Give up every resolve pending through a scope (it is closing or cancelled). */
export function giveUpAll(held: HeldRefs, reason: unknown): void {
  if (!held.pendingWaiters) return;
  for (const w of [...held.pendingWaiters]) giveUp(w, reason);
}

/** Add one reference from `holder` to a ready record. */
export function addRef(record: InstanceRecord, holder: Holder): void {
  if (!(holder instanceof InstanceRecord)) {
    if (record.countOf(holder) === 0) holder.held.addRefEntry(record);
  } else {
    holder.addDep(record);
  }
  record.addHolder(holder);
}
