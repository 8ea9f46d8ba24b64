import type { Scenario } from "./scenario.js";
import { timeOp } from "../timing.js";

export const resolveSingleton: Scenario = {
  id: "A",
  title: "resolve a ready singleton",
  unit: "ns/op",
  async measure(adapter, { budget }) {
    return { value: await timeOp(() => adapter.resolveSingleton(), budget) };
  },
};
