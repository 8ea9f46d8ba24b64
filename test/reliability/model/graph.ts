// Random service graphs for the model-based and interleaving tests.
import fc from "fast-check";
import type { LifetimeName, ProviderKind, ServiceSpec } from "./reference.js";
import { tokenOf } from "./system.js";

const LIFETIMES: LifetimeName[] = ["transient", "scoped", "shared", "singleton"];
const KINDS: ProviderKind[] = ["factory", "class", "service"];

const rawSpec = fc.record({
  lifetime: fc.constantFrom(...LIFETIMES),
  kind: fc.constantFrom(...KINDS),
  hooks: fc.boolean(),
  ticks: fc.nat(2),
  deps: fc.uniqueArray(fc.nat(7), { maxLength: 3 }),
  group: fc.boolean(),
});

type RawSpec = typeof rawSpec extends fc.Arbitrary<infer T> ? T : never;

/**
 * Services S0…Sn-1, each depending only on earlier ones (no cycles). No captive dependencies: a shared or
 * singleton service never reaches a scoped one. A parallel group only holds services whose whole
 * dependency tree is shared or transient, so that which siblings a failure cut short cannot leave pinned
 * instances behind: the end state of every command stays deterministic.
 */
function buildSpecs(raws: RawSpec[]): ServiceSpec[] {
  const specs: ServiceSpec[] = [];
  const reachesScoped = (i: number): boolean => {
    const s = specs[i]!;
    return s.lifetime === "scoped" || (s.lifetime === "transient" && depsOf(s).some(reachesScoped));
  };
  const pinnedFree = (i: number): boolean => {
    const s = specs[i]!;
    return (s.lifetime === "shared" || s.lifetime === "transient") && depsOf(s).every(pinnedFree);
  };
  raws.forEach((raw, index) => {
    let deps = index === 0 ? [] : [...new Set(raw.deps.map((d) => d % index))];
    if (raw.lifetime === "shared" || raw.lifetime === "singleton")
      deps = deps.filter((d) => !reachesScoped(d));
    const groupable = raw.kind !== "class" && raw.group ? deps.filter(pinnedFree) : [];
    const steps: (number | number[])[] =
      groupable.length >= 2 ? [...deps.filter((d) => !groupable.includes(d)), groupable] : deps;
    specs.push({
      index,
      name: tokenOf(index),
      lifetime: raw.lifetime,
      kind: raw.kind,
      steps,
      hooks: raw.kind !== "service" && raw.hooks,
      ticks: raw.ticks,
    });
  });
  return specs;
}

const depsOf = (s: ServiceSpec): number[] => s.steps.flatMap((x) => (typeof x === "number" ? [x] : [...x]));

export const graph = fc.array(rawSpec, { minLength: 1, maxLength: 6 }).map(buildSpecs);
