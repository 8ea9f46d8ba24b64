import type { Scenario } from "./scenario.js";
import { timeOp } from "../timing.js";

export const resolveInScope: Scenario = {
  id: "B",
  title: "resolve Handler in an existing scope",
  unit: "ns/op",
  async measure(adapter, { budget }) {
    const scope = adapter.createScope();
    const value = await timeOp(() => adapter.resolveHandler(scope), budget);
    await adapter.disposeScope(scope);
    return { value };
  },
};
