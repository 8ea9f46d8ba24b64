import { Container, sleep, TimeoutError } from "asyncscope";

const container = new Container();

// A scope is a task group: its tasks never outlive it.
const result = await container.withScope(async (scope) => {
  let ticks = 0;
  let ticked!: () => void;
  const twoTicks = new Promise<void>((resolve) => (ticked = resolve));
  // A background ticker: cancelled (its signal aborts) once the awaited work is over.
  scope.spawn(
    async (signal) => {
      for (;;) {
        await sleep(10, signal);
        console.log(`tick ${++ticks}`);
        if (ticks === 2) ticked();
      }
    },
    { awaited: false },
  );
  // Awaited work: the scope waits for it.
  const total = scope.spawn(async () => {
    await twoTicks;
    return 42;
  });
  return await total;
});
console.log("result:", result);

// A timeout cancels everything in the scope, and the scope rejects with TimeoutError.
try {
  await container.withScope(
    async (scope) => {
      scope.spawn((signal) => sleep(10_000, signal));
    },
    { timeoutMs: 50 },
  );
} catch (err) {
  console.log("timed out:", err instanceof TimeoutError);
}
await container.close();
