/** An open worker that crashes on its first job (for `_open_pool_test.ts`). @module */
(globalThis as unknown as { onmessage: (event: MessageEvent<{ type: string }>) => void })
  .onmessage = (event) => {
    if (event.data.type === "open") throw new Error("simulated opener crash");
  };
