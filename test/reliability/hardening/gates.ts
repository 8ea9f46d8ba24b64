// A gate the hardening tests open by hand, and the helpers they share with the rest of the suite.
export { loggedContainer, propertyOptions, settle } from "../../support/helpers.js";

export interface Gate {
  promise: Promise<void>;
  open(): void;
}

/** A promise opened by `open()` (already open with `open = true`). */
export function deferredGate(open = false): Gate {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  if (open) resolve();
  return { promise, open: () => resolve() };
}
