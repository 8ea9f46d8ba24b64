/** A holder (a scope or an instance) taking a reference: the engine side of a scope's held refs. */
import { type Holder, InstanceRecord } from "./model.js";

/** Add one reference from `holder` to a ready record. */
export function addRef(record: InstanceRecord, holder: Holder): void {
  if (!(holder instanceof InstanceRecord)) {
    if (record.countOf(holder) === 0) holder.addRefEntry(record);
  } else {
    holder.addDep(record);
  }
  record.addHolder(holder);
}
