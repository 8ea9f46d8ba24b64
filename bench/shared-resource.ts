// F's shared service: an async factory that takes `factoryMs` and counts its calls.
import { sleep } from "./timing.js";

export class SharedResource {
  disposed = false;

  async [Symbol.asyncDispose](): Promise<void> {
    this.disposed = true;
  }
}

export interface SharedFactory {
  readonly calls: number;
  create(): Promise<SharedResource>;
}

export function createSharedFactory(factoryMs: number): SharedFactory {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async create() {
      calls++;
      await sleep(factoryMs);
      return new SharedResource();
    },
  };
}
