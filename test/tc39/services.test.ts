// Compiled without legacy decorator settings: services use no decorators, and class fields that hold
// their dependencies are initialised before startService reads `dependencies`.
import { Service, startService } from "asyncscope";
import { expect } from "chai";

describe("services under standard (TC39) class semantics", () => {
  it("starts class-field dependencies first and stops them last", async () => {
    const log: string[] = [];
    class Db extends Service {
      override async start() {
        log.push("Db:start");
      }
      override async stop() {
        log.push("Db:stop");
      }
    }
    class Api extends Service {
      readonly db = new Db();
      override get dependencies() {
        return [this.db];
      }
      override async start() {
        log.push(`Api:start (db running: ${this.db.running})`);
      }
      override async stop() {
        log.push("Api:stop");
      }
    }
    {
      await using _api = await startService(new Api());
    }
    expect(log).to.deep.equal(["Db:start", "Api:start (db running: true)", "Api:stop", "Db:stop"]);
  });
});
