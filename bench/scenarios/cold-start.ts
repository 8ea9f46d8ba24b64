import type { Scenario } from "./scenario.js";
import { nowNs, timeManual } from "../timing.js";

export const coldStart: Scenario = {
  id: "E",
  title: "cold start: register 200 classes, resolve the root of a 200-deep chain",
  unit: "ns/op",
  async measure(adapter, { budget, chain }) {
    const value = await timeManual(async () => {
      const start = nowNs();
      const pending = adapter.coldStart(chain);
      const built = pending instanceof Promise ? await pending : pending;
      const elapsed = nowNs() - start;
      await built.close();
      return elapsed;
    }, budget);
    return { value };
  },
};
