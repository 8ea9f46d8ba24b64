import { runService, Service, sleep, startService } from "asyncscope";

class Database extends Service {
  override async start(signal: AbortSignal) {
    await sleep(20, signal); // connecting…
    console.log("database: connected");
  }
  override async stop() {
    console.log("database: closed");
  }
}

class Cache extends Service {
  override async start() {
    console.log("cache: warmed");
  }
  override async stop() {
    console.log("cache: flushed");
  }
}

class Api extends Service {
  readonly db = new Database();
  readonly cache = new Cache();
  // One step with db and cache in parallel; [this.db, this.cache] would start them one after another.
  override get dependencies() {
    return [[this.db, this.cache]];
  }
  override async start() {
    // A background task: its signal aborts when Api stops.
    this.addTask(async (signal) => {
      for (;;) {
        await sleep(1000, signal);
        console.log("api: heartbeat");
      }
    });
    console.log("api: listening");
  }
  override async stop() {
    console.log("api: closed");
  }
}

// Dependencies start first; at the end of the block Api stops, then its dependencies.
{
  await using api = await startService(new Api());
  console.log(`running: api ${api.running}, database ${api.db.running}`);
}

// A background task that throws brings the whole stack down, and runService rejects with its error.
class Worker extends Service {
  readonly db = new Database();
  override get dependencies() {
    return [this.db];
  }
  override async start() {
    this.addTask(async () => {
      await sleep(10);
      throw new Error("queue connection lost");
    });
  }
  override async stop() {
    console.log("worker: stopped");
  }
}

try {
  await runService(new Worker());
} catch (error) {
  console.log(`runService rejected: ${(error as Error).message}`);
}
