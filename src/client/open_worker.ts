/**
 * Entry point of an open worker (see `_open_pool.ts`): opens, decompresses and verifies the
 * blobs of each job with a `ChunkOpener`, and answers with their plaintexts, transferred.
 * Loaded only as a Worker (never import it); `deno compile` needs
 * `--include src/client/open_worker.ts`.
 *
 * @module
 */
import { loadWebAssembly } from "../format/load_web_assembly.ts";
import { ownsBuffer, releaseBytes } from "../release_bytes.ts";
import { ChunkOpener, plainIn } from "./_chunk_opener.ts";
import type { OpenReply, ToOpenWorker } from "./_open_messages.ts";

interface OpenWorkerScope {
  onmessage: ((event: MessageEvent<ToOpenWorker>) => void) | null;
  postMessage(message: OpenReply, transfer: ArrayBuffer[]): void;
}

const scope = globalThis as unknown as OpenWorkerScope;
const decoderLoaded = loadWebAssembly();
let opener: ChunkOpener | undefined;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "init") {
    opener = new ChunkOpener(message);
    return;
  }
  // Jobs wait for the decoder; `then` callbacks run in the order they were added.
  void decoderLoaded.then(() => {
    if (opener === undefined) throw new Error("Cannot open blobs: the worker has no keys");
    const results = message.blobs.map(({ id, blob }) => opener!.open(id, blob));
    const frame = message.blobs[0]?.blob.buffer;
    if (frame instanceof ArrayBuffer && !plainIn(results, frame)) {
      releaseBytes(new Uint8Array(frame));
    }
    const transfer = new Set<ArrayBuffer>();
    for (const result of results) {
      if ("plain" in result && ownsBuffer(result.plain)) transfer.add(result.plain.buffer);
    }
    scope.postMessage({ job: message.job, results }, [...transfer]);
  });
};
