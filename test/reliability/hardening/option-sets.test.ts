// Hardening, class 13 (continued): every list option that is a set behaves as one. `@state({ transitionsTo })`
// names the states a state may call: a name given twice is one transition, as `onStart` sees it.
import { expect } from "chai";
import fc from "fast-check";
import { asStateMachine, state, type StateInfo } from "asyncscope";
import { propertyOptions } from "../../support/helpers.js";

describe("hardening: list options that are sets", () => {
  it("property: @state({ transitionsTo }) with duplicates lists each state once, in first-seen order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("b", "c", "d"), { minLength: 1, maxLength: 8 }),
        async (names) => {
          const seen: StateInfo[] = [];
          class Flow {
            @state({ transitionsTo: names, onStart: (info) => void seen.push(info) })
            a(): void {
              this.b();
            }
            @state()
            b(): void {}
          }
          const machine = asStateMachine(new Flow().a());
          await machine.join().catch(() => undefined);
          expect(seen[0]!.transitionsTo).to.deep.equal([...new Set(names)]);
          expect(machine.successful).to.equal(names.includes("b"));
        },
      ),
      propertyOptions(50),
    );
  });
});
