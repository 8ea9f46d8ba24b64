import type { Scenario } from "./scenario.js";
import { timeOp } from "../timing.js";

export const requestCycle: Scenario = {
  id: "C",
  title: "one request: create a scope, resolve Handler, dispose the scope",
  unit: "ns/op",
  async measure(adapter, { budget }) {
    return { value: await timeOp(() => adapter.requestCycle(), budget) };
  },
};
