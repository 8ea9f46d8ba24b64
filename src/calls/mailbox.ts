/**
 * A first-in, first-out queue whose single consumer can wait, without polling, for the next item. Taking an
 * item is O(1): items are read from a moving head, and the array is compacted once the consumed part is
 * at least half of it (so a long queue drains in linear time, never with one `Array#shift` per item).
 *
 * @internal
 */
export class Mailbox<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #wake: (() => void) | undefined;

  /** Append an item and wake the consumer if it waits. */
  push(item: T): void {
    this.#items.push(item);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Take the oldest item, or `undefined` when the queue is empty. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined; // let it be collected
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Settles once the queue holds an item: at once if it already does. One consumer at a time. */
  nonEmpty(): Promise<void> {
    if (this.#head < this.#items.length) return Promise.resolve();
    return new Promise((resolve) => (this.#wake = resolve));
  }
}
