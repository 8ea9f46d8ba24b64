import { Service, startService, stopService } from "asyncscope";
import { expect } from "chai";
import fc from "fast-check";
import { propertyOptions } from "../support/helpers.js";
import { logged, type RecordingLogger, recordingLogger } from "./helpers.js";

/** A node of a random graph: it checks the ordering rules from inside its own hooks. */
class Node extends Service {
  deps: (Node | Node[])[] = [];
  failStart = false;
  delay = 0;
  starts = 0;
  /** Starts that failed with this node's own error (not its signal's reason). */
  ownFailures = 0;
  completedStarts = 0;
  stops = 0;
  readonly violations: string[];
  constructor(
    readonly label: string,
    violations: string[],
  ) {
    super();
    this.violations = violations;
  }
  override get name() {
    return this.label;
  }
  override get dependencies() {
    return this.deps;
  }
  private flatDeps(): Node[] {
    return this.deps.flat();
  }
  /** Between the start of start() and the end of stop() (or of a failed start()). */
  private active = false;
  override async start(signal: AbortSignal) {
    this.starts++;
    if (this.active) this.violations.push(`${this.label} started again before it stopped`);
    this.active = true;
    for (const dep of this.flatDeps()) {
      if (!dep.running) this.violations.push(`${this.label} started before ${dep.label}`);
    }
    await this.pause();
    if (signal.aborted || this.failStart) {
      this.active = false;
      if (signal.aborted) throw signal.reason;
      this.ownFailures++;
      throw new Error(`${this.label} failed`);
    }
    this.completedStarts++;
  }
  override async stop() {
    this.stops++;
    if (!this.active) this.violations.push(`${this.label} stopped without a start`);
    for (const dep of this.flatDeps()) {
      if (!dep.running) this.violations.push(`${this.label} stopped after ${dep.label}`);
    }
    await this.pause();
    this.active = false;
  }
  private async pause() {
    for (let i = 0; i < this.delay; i++) await new Promise((resolve) => setImmediate(resolve));
  }
}

function build(edges: number[][], violations: string[], logger: RecordingLogger): Node[] {
  const nodes = edges.map((_, i) => Object.assign(new Node(`N${i}`, violations), { logger }));
  nodes.forEach((node, i) => {
    const parallel = nodes.filter((_, j) => j < i && edges[i]![j] === 2);
    const sequential = nodes.filter((_, j) => j < i && edges[i]![j] === 1);
    node.deps = parallel.length > 0 ? [...sequential, parallel] : sequential;
  });
  return nodes;
}

function reaches(from: Node, to: Node): boolean {
  return from === to || from.deps.flat().some((dep) => reaches(dep, to));
}

/** No ordering violation, nothing logged (these services honour their signals), nothing left running. */
function expectCleanEnd(nodes: Node[], violations: string[], logger: RecordingLogger): void {
  expect(violations).to.deep.equal([]);
  expect(logged(logger)).to.deep.equal([]);
  for (const node of nodes) {
    expect(node.running, `${node.label} still running`).to.equal(false);
    expect(node.stops, `${node.label} stops`).to.equal(node.completedStarts);
  }
}

const graph = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.record({
    // For each node, each lower node: 0 no edge, 1 sequential, 2 in the node's parallel group.
    edges: fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }), {
      minLength: n,
      maxLength: n,
    }),
    failing: fc.array(fc.constantFrom(false, false, false, true), { minLength: n, maxLength: n }),
    delays: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
    roots: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 3 }),
  }),
);

describe("services: invariants over random graphs", () => {
  it("keeps start and stop order, starts shared dependencies once, and leaves nothing running", async () => {
    await fc.assert(
      fc.asyncProperty(graph, async ({ edges, failing, delays, roots }) => {
        const violations: string[] = [];
        const logger = recordingLogger();
        const nodes = build(edges, violations, logger);
        nodes.forEach((node, i) => {
          node.failStart = failing[i]!;
          node.delay = delays[i]!;
        });
        const started = await Promise.allSettled(roots.map((r) => startService(nodes[r]!)));
        await Promise.all(
          roots.map((r, k) => (started[k]!.status === "fulfilled" ? stopService(nodes[r]!) : undefined)),
        );

        expectCleanEnd(nodes, violations, logger);
        // A start that failed is not tried again within the same startService call.
        for (const node of nodes) {
          const calls = roots.filter((r) => reaches(nodes[r]!, node)).length;
          expect(node.ownFailures, `${node.label} failed starts`).to.be.at.most(calls);
        }
      }),
      // A random seed each run; fast-check prints seed and path on failure (FC_SEED, FC_PATH replay it).
      propertyOptions(200),
    );
  });

  it("a crash stops exactly the stacks that contain the crashed service, and only those", async () => {
    await fc.assert(
      fc.asyncProperty(graph, fc.nat(), async ({ edges, delays, roots }, pick) => {
        const violations: string[] = [];
        const logger = recordingLogger();
        const nodes = build(edges, violations, logger);
        nodes.forEach((node, i) => (node.delay = delays[i]!));
        await Promise.all(roots.map((r) => startService(nodes[r]!)));
        const running = nodes.filter((node) => node.running);
        const crashed = running[pick % running.length]!;
        const waits = roots.map((r) =>
          nodes[r]!.wait().then(
            () => "stopped",
            (error: unknown) => error,
          ),
        );
        const E = new Error("E");
        crashed.addTask(async () => {
          throw E;
        });
        const hit = roots.filter((r) => reaches(nodes[r]!, crashed));
        await Promise.all(hit.map((r) => waits[roots.indexOf(r)]));

        expect(crashed.running).to.equal(false);
        for (const r of roots) expect(nodes[r]!.running, `N${r}`).to.equal(!hit.includes(r));
        await Promise.all(roots.map((r) => stopService(nodes[r]!)));
        expect(await Promise.all(waits)).to.deep.equal(roots.map((r) => (hit.includes(r) ? E : "stopped")));
        expectCleanEnd(nodes, violations, logger);
      }),
      // A random seed each run; fast-check prints seed and path on failure (FC_SEED, FC_PATH replay it).
      propertyOptions(200),
    );
  });
});
