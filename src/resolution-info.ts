/**
 * Where a failed creation failed: the token whose factory, constructor or hook threw, and the resolution
 * path that led to it (the token last).
 *
 * @example
 * ```ts
 * const info: ResolutionInfo | undefined = resolutionInfo(err);
 * ```
 */
export interface ResolutionInfo {
  /** The display name of the service whose creation failed first. */
  readonly token: string;
  /** The resolution path from the first token asked for to `token`, e.g. `["Handler", "Repo", "db"]`. */
  readonly path: readonly string[];
}

// Keyed by the error object itself: the error every waiter receives is left untouched (SEMANTICS 2.2).
const infos = new WeakMap<object, ResolutionInfo>();

/**
 * The token and resolution path of a creation that failed with `error`, or `undefined` when `error` did
 * not come out of a creation (or is a primitive, which cannot be looked up: throw `Error` objects).
 * Every waiter receives the factory's error itself, not a wrapper; this is where its context is kept.
 *
 * @example
 * ```ts
 * try {
 *   await scope.resolve(Handler);
 * } catch (err) {
 *   const info = resolutionInfo(err);
 *   if (info) console.error(`creating ${info.token} failed (${info.path.join(" -> ")})`, err);
 * }
 * ```
 */
export function resolutionInfo(error: unknown): ResolutionInfo | undefined {
  return isKey(error) ? infos.get(error) : undefined;
}

/** @internal What the resolver knows of a failed creation: its name and the creation that asked for it. */
export interface FailedCreation {
  readonly name: string;
  readonly parent: FailedCreation | undefined;
}

// The creations on the recorded path, to tell the failure's own propagation from a later reuse of the object.
const chains = new WeakMap<object, WeakSet<FailedCreation>>();

/**
 * @internal Record that `creation` failed with `error`. The innermost failure is kept as the error reaches
 * the creations that waited for it (`received`) or that were building it (on its recorded path); an error
 * object thrown anew by another creation gets the new context.
 */
export function noteCreationFailure(error: unknown, creation: FailedCreation, received: boolean): void {
  if (!isKey(error)) return;
  if (received && infos.has(error)) return;
  if (chains.get(error)?.has(creation)) return;
  const chain: FailedCreation[] = [];
  for (let c: FailedCreation | undefined = creation; c; c = c.parent) chain.unshift(c);
  infos.set(error, { token: creation.name, path: chain.map((c) => c.name) });
  // Added to, never replaced: concurrent creations failing with one shared object each keep their chain.
  let known = chains.get(error);
  if (!known) chains.set(error, (known = new WeakSet()));
  for (const c of chain) known.add(c);
}

/** The text a log line adds for an error with a known resolution context, else "". */
export function describeResolution(error: unknown): string {
  const info = resolutionInfo(error);
  return info ? ` (creating ${info.token}; resolution path: ${info.path.join(" -> ")})` : "";
}

function isKey(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}
