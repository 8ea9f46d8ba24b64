// Type-level tests: this file only has to compile. Each `@ts-expect-error` line must be an error, so a
// typing regression (in either direction) breaks the build.
import { DeferredCallHandler, type Deferred, type OneWay } from "asyncscope";
import { expectType, type Equal } from "../support/helpers.js";

const tag = Symbol("tag");

class Shop extends DeferredCallHandler {
  stock = 3;
  [tag](): void {}
  price(item: string, quantity: number): number {
    return item.length * quantity;
  }
  async restock(count: number): Promise<{ stock: number }> {
    return { stock: (this.stock += count) };
  }
  either(flag: boolean): string | Promise<number> {
    return flag ? "x" : Promise.resolve(1);
  }
  optional(label?: string, ...rest: boolean[]): string {
    return `${label}${rest.length}`;
  }
  private hidden(): void {}
  protected internal(): void {}
  touch(): void {
    this.hidden();
    this.internal();
  }
  async fromInside(): Promise<number> {
    // `this` is generic here: the calls resolve (loosely typed); a cast to the class types them fully.
    this.oneway.price("a", 1);
    const price: Promise<number> = (this as Shop).sync.price("a", 2);
    // @ts-expect-error a cast to the class checks the arguments
    (this as Shop).oneway.price(1, 2);
    return price;
  }
}

export function checkTypes(shop: Shop): void {
  // sync: same parameters, a promise of the awaited result.
  expectType<Equal<typeof shop.sync.price, (item: string, quantity: number) => Promise<number>>>(true);
  expectType<Equal<typeof shop.sync.restock, (count: number) => Promise<{ stock: number }>>>(true);
  expectType<Equal<ReturnType<typeof shop.sync.either>, Promise<string | number>>>(true);
  expectType<Equal<typeof shop.sync.optional, (label?: string, ...rest: boolean[]) => Promise<string>>>(true);
  expectType<Equal<ReturnType<typeof shop.sync.touch>, Promise<void>>>(true);

  // sync with options: the same methods.
  expectType<Equal<ReturnType<typeof shop.sync>, Deferred<Shop>>>(true);
  expectType<
    Equal<typeof shop.sync, Deferred<Shop> & ((options?: { timeoutMs?: number }) => Deferred<Shop>)>
  >(true);
  const timed: Promise<number> = shop.sync({ timeoutMs: 10 }).price("a", 1);
  void timed;

  // oneway: same parameters, void.
  expectType<Equal<typeof shop.oneway.price, (item: string, quantity: number) => void>>(true);
  expectType<Equal<typeof shop.oneway, OneWay<Shop>>>(true);

  // Public string keys only: no private or protected members, no handler members; fields are `never`.
  expectType<
    Equal<
      keyof Deferred<Shop>,
      "stock" | "price" | "restock" | "either" | "optional" | "touch" | "fromInside"
    >
  >(true);
  expectType<Equal<Deferred<Shop>["stock"], never>>(true);
  expectType<Equal<keyof OneWay<Shop>, keyof Deferred<Shop>>>(true);

  // @ts-expect-error wrong argument type
  void shop.sync.price(1, 2);
  // @ts-expect-error missing argument
  void shop.sync.price("a");
  // @ts-expect-error too many arguments
  shop.oneway.restock(1, 2);
  // @ts-expect-error wrong argument type
  shop.oneway.price("a", "b");
  // @ts-expect-error a field is not a method
  void shop.sync.stock();
  // @ts-expect-error a field is not a method
  shop.oneway.stock();
  // @ts-expect-error the handler's own members are not deferrable
  void shop.sync.process();
  // @ts-expect-error the handler's own members are not deferrable
  shop.oneway.stopProcessing();
  // @ts-expect-error private methods are not deferrable
  void shop.sync.hidden();
  // @ts-expect-error timeoutMs is a number
  void shop.sync({ timeoutMs: "10" });
  // @ts-expect-error the result of a sync call is a promise
  const _direct: number = shop.sync.price("a", 1);
  // @ts-expect-error a one-way call returns nothing
  void shop.oneway.price("a", 1).then;
}
