import type { InstanceRecord } from "./instance.js";

/**
 * A container's live records (starting, ready or releasing), in the order they were added: a list linked
 * through the records themselves, so that a request adding and removing its instances costs no hashing and
 * no table to grow or shrink (a Set that churns reallocates its table every few requests).
 */
export class LiveRecords implements Iterable<InstanceRecord> {
  private head: InstanceRecord | undefined = undefined;
  private tail: InstanceRecord | undefined = undefined;
  size = 0;

  has(record: InstanceRecord): boolean {
    return record.livePrev !== undefined || this.head === record;
  }

  add(record: InstanceRecord): void {
    if (this.has(record)) return;
    const tail = this.tail;
    if (tail === undefined) this.head = record;
    else {
      tail.liveNext = record;
      record.livePrev = tail;
    }
    this.tail = record;
    this.size++;
  }

  delete(record: InstanceRecord): void {
    if (!this.has(record)) return;
    const prev = record.livePrev;
    const next = record.liveNext;
    if (prev === undefined) this.head = next;
    else prev.liveNext = next;
    if (next === undefined) this.tail = prev;
    else next.livePrev = prev;
    record.livePrev = record.liveNext = undefined;
    this.size--;
  }

  /** In the order added. Not to be changed while iterated: copy it first (`[...live]`) to change it. */
  *[Symbol.iterator](): Iterator<InstanceRecord> {
    for (let r = this.head; r !== undefined; r = r.liveNext) yield r;
  }
}
