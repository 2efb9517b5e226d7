/**
 * Entry point of a restore worker (see `_restore_pool.ts`): runs batches of file operations with
 * sync calls and answers once per batch. A file that fails is removed and reported once; later
 * operations on it are skipped. A hole is a seek past the end of the new file, so the file system
 * allocates nothing for it; a file that ends in one gets its length by truncate. Loaded only as
 * a Worker (never import it); `deno compile` needs `--include src/restore/restore_worker.ts`.
 *
 * @module
 */

import type { BatchReply, ToRestoreWorker, WriteFailure, WriteOp } from "./_restore_messages.ts";
import { FileOps } from "./_file_ops.ts";

interface RestoreWorkerScope {
  onmessage: ((event: MessageEvent<ToRestoreWorker>) => void) | null;
  postMessage(message: BatchReply): void;
}

const scope = globalThis as unknown as RestoreWorkerScope;
const failed = new Set<number>();
let ring: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
let files = new FileOps(null);

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "init") {
    ring = new Uint8Array(message.ring);
    files = new FileOps(message.umask);
    return;
  }
  const reply: BatchReply = { bytes: 0, files: 0, fileMs: 0, failures: [] };
  for (const op of message.ops) {
    if (op.op === "data") reply.bytes += op.skip + op.length;
    const ends = op.op === "close" || op.op === "abort";
    if (failed.has(op.file)) {
      if (ends) failed.delete(op.file);
      continue;
    }
    try {
      if (op.op === "open" || op.op === "close") {
        const start = performance.now();
        run(op);
        reply.fileMs += performance.now() - start;
        if (op.op === "open") reply.files++;
      } else run(op);
    } catch (error) {
      files.discard(op.file);
      reply.failures.push(describe(op.file, error));
      if (!ends) failed.add(op.file);
    }
  }
  scope.postMessage(reply);
};

function run(op: WriteOp): void {
  switch (op.op) {
    case "open":
      return files.open(op);
    case "data":
      return files.write(op.file, ring.subarray(op.at, op.at + op.length));
    case "hole":
      return files.hole(op.file, op.length);
    case "close":
      return files.close(op.file);
    case "abort":
      return files.discard(op.file);
  }
}

function describe(file: number, error: unknown): WriteFailure {
  const name = error instanceof Error ? error.constructor.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return { file, name, message };
}
