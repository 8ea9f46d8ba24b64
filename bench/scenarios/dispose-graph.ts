import { isNotApplicable } from "../adapter.js";
import { DisposalRecorder } from "../generated.js";
import type { Scenario } from "./scenario.js";

export const disposeGraph: Scenario = {
  id: "G",
  title: "dispose a 100-instance graph of 5 levels, each disposer 10 ms (critical path 50 ms)",
  unit: "ms",
  async measure(adapter, { layered }) {
    const recorder = new DisposalRecorder();
    const fixture = adapter.disposeGraph(layered, recorder);
    if (isNotApplicable(fixture)) return fixture;
    const graph = await fixture;
    const start = performance.now();
    await graph.close();
    const elapsed = performance.now() - start;
    return {
      value: elapsed,
      extras: { violations: recorder.violations(graph.edges), disposed: recorder.count },
    };
  },
  describe({ max }, { layered }) {
    const critical = layered.levels * layered.disposeMs;
    const order = max.violations === 0 ? "dependency order kept" : `${max.violations} edges out of order`;
    return `${order}; ${max.disposed}/${layered.levels * layered.width} disposed; critical path ${critical} ms`;
  },
};
