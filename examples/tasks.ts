import { Container, sleep, TimeoutError } from "asyncscope";

const container = new Container();

// A scope is a task group: its tasks never outlive it.
const result = await container.withScope(async (scope) => {
  // A background ticker: cancelled (its signal aborts) once the awaited work is over.
  scope.spawn(
    async (signal) => {
      for (;;) {
        await sleep(10, signal);
        console.log("tick");
      }
    },
    { awaited: false },
  );
  // Awaited work: the scope waits for it.
  const total = scope.spawn(async (signal) => {
    await sleep(35, signal);
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
