/**
 * Opens the IdSet it is sent in shared memory and answers lookups (for `id_set_test.ts`).
 * Messages: `{ shared }` first, then `{ id }`; each is answered `{ has, shared }` where `shared`
 * says whether the set's buffer is shared memory. @module
 */
import { IdSet, type SharedIds } from "../id_set.ts";

type Message = { shared: SharedIds } | { id: Uint8Array };
const scope = globalThis as unknown as {
  onmessage: (event: MessageEvent<Message>) => void;
  postMessage(reply: { has: boolean; shared: boolean }): void;
};
let set: IdSet | undefined;

scope.onmessage = (event) => {
  const message = event.data;
  if ("shared" in message) set = IdSet.fromShared(message.shared);
  else {
    const shared = set!.shared.buffer instanceof SharedArrayBuffer;
    scope.postMessage({ has: set!.has(message.id), shared });
  }
};
