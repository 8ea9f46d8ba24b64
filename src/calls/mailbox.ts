/**
 * A first-in, first-out queue whose single consumer can wait, without polling, for the next item.
 *
 * @internal
 */
export class Mailbox<T> {
  readonly #items: T[] = [];
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
    return this.#items.shift();
  }

  /** Settles once the queue holds an item: at once if it already does. One consumer at a time. */
  nonEmpty(): Promise<void> {
    if (this.#items.length > 0) return Promise.resolve();
    return new Promise((resolve) => (this.#wake = resolve));
  }
}
