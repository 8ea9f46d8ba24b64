// The set-up and tear-down every adapter that owns a container object shares: build it in `setup`,
// hand it out while the measurement runs, end it once in `teardown`.
import type { Adapter } from "../adapter.js";

export abstract class ContainerAdapter<C> implements Pick<Adapter, "name" | "setup" | "teardown"> {
  abstract readonly name: string;
  private current: C | undefined;

  /** A container with the graph registered and its singletons ready, as the library's users build it. */
  protected abstract create(): C | Promise<C>;
  /** Ends the container the library's way. */
  protected abstract close(container: C): Promise<void> | void;

  /** The container of the current measurement. */
  protected get container(): C {
    if (this.current === undefined) throw new Error(`${this.name}: setup() has not run`);
    return this.current;
  }

  async setup(): Promise<void> {
    this.current = await this.create();
  }

  async teardown(): Promise<void> {
    const container = this.current;
    this.current = undefined;
    if (container !== undefined) await this.close(container);
  }
}
