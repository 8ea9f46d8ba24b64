import { isNotApplicable, type SharedFixture } from "../adapter.js";
import type { Scenario } from "./scenario.js";

export const concurrentShared: Scenario = {
  id: "F",
  title: "10,000 concurrent resolves of a shared service whose async factory takes 1 ms",
  unit: "ms",
  async measure(adapter, { sharedRequests, factoryMs }) {
    const warmup = adapter.concurrentShared(Math.ceil(sharedRequests / 10), factoryMs);
    if (isNotApplicable(warmup)) return warmup;
    await warmUp(await warmup);
    const shared = await (adapter.concurrentShared(sharedRequests, factoryMs) as Promise<SharedFixture>);
    const start = performance.now();
    const values = await shared.resolveAll();
    const elapsed = performance.now() - start;
    const instances = new Set(values).size;
    const factoryCalls = shared.factoryCalls;
    await shared.close();
    return { value: elapsed, extras: { factoryCalls, instances } };
  },
  describe({ max }) {
    const calls = max.factoryCalls!;
    return `${calls} factory call${calls === 1 ? "" : "s"}, ${max.instances} distinct instance${max.instances === 1 ? "" : "s"}`;
  },
};

/** A tenth of the run first, untimed, so that the timed one does not pay for compiling the path. */
async function warmUp(fixture: SharedFixture): Promise<void> {
  await fixture.resolveAll();
  await fixture.close();
}
