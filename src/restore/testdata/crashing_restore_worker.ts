/** A restore worker that crashes on its first batch (for `_restore_pool_test.ts`). @module */
(globalThis as unknown as { onmessage: (event: MessageEvent<{ type: string }>) => void })
  .onmessage = (event) => {
    if (event.data.type === "batch") throw new Error("simulated writer crash");
  };
