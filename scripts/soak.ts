// Soak: a million request scopes over shared services, `concurrency` at a time, with failures injected in
// 1% of them. Prints the throughput and the heap (after GC) once warmed up and at the end, and exits 1 when
// the heap grew by more than 5%, when an instance is still alive at the end, or when an injected error was
// not received exactly once.
//
//   npm run soak                                   # 1,000,000 scopes, concurrency 100
//   node --expose-gc build/scripts/soak.js --count 20000 --concurrency 50 --failure-rate 0.01
//   SOAK_COUNT=20000 SOAK_CONCURRENCY=50 npm run soak
import { parseArgs } from "node:util";
import { Container, Lifetime, ScopeDiedError, type Logger } from "asyncscope";

const { values: argv } = parseArgs({
  options: {
    count: { type: "string", short: "n" },
    concurrency: { type: "string", short: "c" },
    "failure-rate": { type: "string" },
    "max-heap-growth": { type: "string" },
    seed: { type: "string" },
  },
});
const number = (arg: string | undefined, env: string | undefined, fallback: number): number => {
  const n = Number(arg ?? env ?? fallback);
  if (!Number.isFinite(n) || n < 0) throw new Error(`soak: not a number: ${arg ?? env}`);
  return n;
};
const COUNT = number(argv.count, process.env.SOAK_COUNT, 1_000_000);
const CONCURRENCY = Math.max(1, number(argv.concurrency, process.env.SOAK_CONCURRENCY, 100));
const FAILURE_RATE = number(argv["failure-rate"], process.env.SOAK_FAILURE_RATE, 0.01);
const MAX_HEAP_GROWTH = number(argv["max-heap-growth"], process.env.SOAK_MAX_HEAP_GROWTH, 0.05);
const WARM_UP = Math.min(Math.ceil(COUNT / 2), 50_000);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error("soak: run node with --expose-gc (npm run soak does)");
  process.exit(2);
}

// ----- what fails, and who received it ---------------------------------------------------------------------

/** A small seeded PRNG (mulberry32), so that a run can be repeated. */
let seed = number(argv.seed, process.env.SOAK_SEED, 0x5eed) >>> 0;
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

type Fault = "create" | "dispose" | "task" | "crash";
const FAULTS: Fault[] = ["create", "dispose", "task", "crash"];

/** Injected errors not received yet; each must be received exactly once. */
const pending = new Set<Error>();
const stats = { injected: 0, received: 0, unexpected: 0, logged: 0 };

function inject(what: string): Error {
  const error = new Error(`injected: ${what}`);
  pending.add(error);
  stats.injected++;
  return error;
}

function receive(error: unknown): void {
  const errors = error instanceof AggregateError ? error.errors : [error];
  for (const e of errors) {
    const cause = e instanceof ScopeDiedError ? e.cause : e;
    if (pending.delete(cause as Error)) stats.received++;
    else {
      stats.unexpected++;
      if (stats.unexpected <= 5) console.error("soak: unexpected error", e);
    }
  }
}

const logger: Logger = {
  warn: (msg) => {
    stats.logged++;
    if (stats.logged <= 5) console.error(`soak: logged ${msg}`);
  },
  error: (msg) => {
    stats.logged++;
    if (stats.logged <= 5) console.error(`soak: logged ${msg}`);
  },
};

// ----- the services ----------------------------------------------------------------------------------------

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class Pool implements AsyncDisposable {
  queries = 0;
  async query(sql: string): Promise<string> {
    this.queries++;
    await null;
    return sql;
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await tick();
  }
}

class RequestContext {
  readonly startedAt = performance.now();
}

class Repo implements Disposable {
  static inject = ["context", "pool"];
  constructor(
    readonly context: RequestContext,
    readonly pool: Pool,
  ) {}
  find(id: number): Promise<string> {
    return this.pool.query(`select ${id}`);
  }
  [Symbol.dispose](): void {}
}

class Handler {
  static inject = ["repo", "cache"];
  constructor(
    readonly repo: Repo,
    readonly cache: Map<number, string>,
  ) {}
  async handle(id: number): Promise<void> {
    const row = await this.repo.find(id % 1000);
    this.cache.set(id % 1000, row);
  }
}

function buildContainer(): Container {
  const c = new Container({ name: "soak", logger });
  c.register("config", { useFactory: () => ({ region: "eu" }) }, { lifetime: Lifetime.Singleton });
  c.register("pool", { useFactory: () => new Pool() }, { dependsOn: ["config"] });
  c.register(
    "cache",
    {
      useService: async (svc) => {
        const cache = new Map<number, string>();
        svc.register(cache);
        await svc.noMoreDependents();
        cache.clear();
      },
    },
    { dependsOn: ["pool"] },
  );
  c.register("context", { useFactory: () => new RequestContext() }, { lifetime: Lifetime.Scoped });
  c.register("repo", { useClass: Repo }, { lifetime: Lifetime.Scoped });
  c.register(Handler, { useClass: Handler }, { lifetime: Lifetime.Transient });
  // Faults, each received by exactly one caller: a failing creation, a failing disposer, a crash.
  c.register(
    "flaky",
    {
      useFactory: async () => {
        await null;
        throw inject("create");
      },
    },
    { lifetime: Lifetime.Scoped, dependsOn: ["pool"] },
  );
  c.register(
    "fragile",
    {
      useFactory: () => ({
        [Symbol.asyncDispose]: async () => {
          throw inject("dispose");
        },
      }),
    },
    { lifetime: Lifetime.Scoped },
  );
  c.register(
    "volatile",
    {
      useFactory: (ctx) => {
        ctx.scope.spawn(async () => {
          await tick();
          throw inject("crash");
        });
        return {};
      },
    },
    { lifetime: Lifetime.Scoped },
  );
  return c;
}

// ----- the load --------------------------------------------------------------------------------------------

async function request(c: Container, id: number): Promise<void> {
  const fault = random() < FAILURE_RATE ? FAULTS[Math.floor(random() * FAULTS.length)] : undefined;
  const scope = c.createScope(`request ${id}`);
  try {
    const handler = await scope.resolve(Handler);
    await handler.handle(id);
    if (id % 7 === 0) await scope.spawn(() => handler.handle(id + 1));
    switch (fault) {
      case "create":
        await scope.resolve("flaky");
        break;
      case "dispose":
        await scope.resolve("fragile");
        break;
      case "task":
        scope.spawn(async () => {
          await null;
          throw inject("task");
        });
        break;
      case "crash":
        await scope.resolve("volatile");
        await tick();
        await tick();
        break;
    }
  } catch (err) {
    receive(err);
  }
  try {
    await scope.close();
  } catch (err) {
    receive(err);
  }
}

async function run(c: Container, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) await request(c, next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, to - from) }, worker));
}

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

async function main(): Promise<number> {
  const c = buildContainer();
  await run(c, 0, WARM_UP);
  const heapStart = heapAfterGc();
  const t0 = performance.now();
  await run(c, WARM_UP, COUNT);
  const seconds = (performance.now() - t0) / 1000;
  const heapEnd = heapAfterGc();
  const between = c.inspect();
  await c.close().catch(receive);
  const after = c.inspect();

  const growth = (heapEnd - heapStart) / heapStart;
  const measured = COUNT - WARM_UP;
  const lingering = between.instances.filter((i) => i.lifetime !== Lifetime.Singleton);
  const problems: string[] = [];
  if (growth > MAX_HEAP_GROWTH) problems.push(`heap grew by ${(growth * 100).toFixed(2)}%`);
  if (lingering.length) problems.push(`${lingering.length} instances alive after the last request`);
  if (between.scopes.length !== 1) problems.push(`${between.scopes.length - 1} request scopes still open`);
  if (after.instances.length || after.scopes.length)
    problems.push("something is alive after container.close()");
  if (pending.size) problems.push(`${pending.size} injected errors never received`);
  if (stats.unexpected) problems.push(`${stats.unexpected} unexpected errors`);
  if (stats.logged) problems.push(`${stats.logged} log entries`);

  console.log(
    `soak: ${COUNT.toLocaleString("en")} request scopes, concurrency ${CONCURRENCY}, failure rate ${FAILURE_RATE}`,
  );
  console.log(
    `soak: ${measured.toLocaleString("en")} scopes after warm-up in ${seconds.toFixed(1)} s: ` +
      `${Math.round(measured / seconds).toLocaleString("en")} scopes/s`,
  );
  console.log(
    `soak: heap after GC ${mb(heapStart)} after warm-up, ${mb(heapEnd)} at the end (${(growth * 100).toFixed(2)}%)`,
  );
  console.log(
    `soak: ${stats.injected} errors injected, ${stats.received} received once, ${stats.unexpected} unexpected, ` +
      `${stats.logged} logged; alive at the end: ${after.instances.length} instances, ${after.scopes.length} scopes`,
  );
  for (const p of problems) console.error(`soak: FAILED: ${p}`);
  if (!problems.length) console.log("soak: OK");
  return problems.length ? 1 : 0;
}

process.exitCode = await main();
