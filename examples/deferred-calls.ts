import { DeferredCallHandler, sleep, TimeoutError } from "asyncscope";

// Calls made through `sync` or `oneway` wait in the inventory's mailbox and run one at a time, in order,
// inside its process() loop: the stock is never changed by two calls at once.
class Inventory extends DeferredCallHandler {
  readonly #stock = new Map<string, number>();

  restock(item: string, count: number): void {
    this.#stock.set(item, (this.#stock.get(item) ?? 0) + count);
  }

  async take(item: string): Promise<number> {
    const left = (this.#stock.get(item) ?? 0) - 1;
    if (left < 0) throw new Error(`out of ${item}`);
    await sleep(5); // say, a database write: no other call runs meanwhile
    this.#stock.set(item, left);
    return left;
  }

  async audit(): Promise<void> {
    await sleep(50);
  }

  report(): string {
    return [...this.#stock].map(([item, count]) => `${item}=${count}`).join(", ");
  }
}

const inventory = new Inventory();
const processing = inventory.process({ forever: true });

inventory.oneway.restock("apple", 2); // returns at once; errors would go to the logger
console.log("apples left:", await inventory.sync.take("apple"));

try {
  await inventory.sync.take("pear"); // the method's own error, the same object
} catch (err) {
  console.log("error:", (err as Error).message);
}

try {
  await inventory.sync({ timeoutMs: 10 }).audit(); // this call only; it still runs, unwaited
} catch (err) {
  console.log("audit timed out:", err instanceof TimeoutError);
}
console.log("stock:", await inventory.sync.report()); // runs after the abandoned audit

inventory.stopProcessing();
await processing;
