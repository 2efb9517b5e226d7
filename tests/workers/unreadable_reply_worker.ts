/**
 * Test fixture: a worker that answers every message but `init` with a reply the receiving thread
 * cannot deserialize, so the pool sees a `messageerror` event instead of a `message`.
 *
 * The reply is the deepest chain of nested objects this thread can still serialize: V8 needs more
 * stack to read such a chain back than to write it, so reading it on the other side overflows.
 * A chain that would also read back fine is a broken fixture, reported as a crash.
 *
 * @module
 */

const scope = globalThis as unknown as {
  onmessage: (event: MessageEvent<{ type?: string }>) => void;
  postMessage(message: unknown): void;
};

/** A chain of `depth` objects, each holding the next. */
function chain(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

/** Whether a chain of `depth` objects can be serialized here (it is never read back). */
function serializes(depth: number): boolean {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(chain(depth));
    return true;
  } catch {
    return false;
  } finally {
    port1.close();
    port2.close();
  }
}

/** The deepest chain that serializes, checked not to read back. */
function unreadableReply(): unknown {
  let low = 1;
  let high = 1 << 16;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (serializes(middle)) low = middle;
    else high = middle - 1;
  }
  const reply = chain(low);
  let readsBack = true;
  try {
    structuredClone(reply);
  } catch {
    readsBack = false;
  }
  if (readsBack) throw new Error("Cannot make an unreadable reply: every chain reads back");
  return reply;
}

let reply: unknown;

scope.onmessage = (event) => {
  if (event.data?.type === "init") return;
  reply ??= unreadableReply();
  scope.postMessage(reply);
};
