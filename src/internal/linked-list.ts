/** An item of a `LinkedList`: it carries its own links, so adding and removing it allocates nothing. */
export interface Linked<T> {
  linkPrev: T | undefined;
  linkNext: T | undefined;
}

/**
 * An intrusive doubly linked list, in the order items were added: a container's live records, a scope's
 * child scopes. Adding and removing costs no hashing and no table to grow or shrink (a Set that churns
 * reallocates its table every few requests). An item is in at most one list at a time.
 */
export class LinkedList<T extends Linked<T>> implements Iterable<T> {
  head: T | undefined = undefined;
  tail: T | undefined = undefined;
  size = 0;

  has(item: T): boolean {
    return item.linkPrev !== undefined || this.head === item;
  }

  add(item: T): void {
    if (this.has(item)) return;
    const tail = this.tail;
    if (tail === undefined) this.head = item;
    else {
      tail.linkNext = item;
      item.linkPrev = tail;
    }
    this.tail = item;
    this.size++;
  }

  delete(item: T): void {
    if (!this.has(item)) return;
    const prev = item.linkPrev;
    const next = item.linkNext;
    if (prev === undefined) this.head = next;
    else prev.linkNext = next;
    if (next === undefined) this.tail = prev;
    else next.linkPrev = prev;
    item.linkPrev = item.linkNext = undefined;
    this.size--;
  }

  /** The items, in the order added (a copy: the list may change while the copy is walked). */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = this.head; i !== undefined; i = i.linkNext) out.push(i);
    return out;
  }

  /** In the order added. Not to be changed while iterated: walk `toArray()` to change it. */
  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.head; i !== undefined; i = i.linkNext) yield i;
  }
}
