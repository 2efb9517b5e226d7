/**
 * Entry point of a restore worker (see `_restore_pool.ts`): runs batches of file operations with
 * sync calls and answers once per batch. A file that fails is removed and reported once; later
 * operations on it are skipped. A hole is a seek past the end of the new file, so the file system
 * allocates nothing for it; a file that ends in one gets its length by truncate. Loaded only as
 * a Worker (never import it); `deno compile` needs `--include src/restore/restore_worker.ts`.
 *
 * @module
 */

import { setModificationTime } from "../fs_times.ts";
import type { BatchReply, ToRestoreWorker, WriteFailure, WriteOp } from "./_restore_messages.ts";
import { writeAllSync } from "./write_all.ts";

interface RestoreWorkerScope {
  onmessage: ((event: MessageEvent<ToRestoreWorker>) => void) | null;
  postMessage(message: BatchReply): void;
}

interface OpenFile {
  handle: Deno.FsFile;
  temp: string;
  path: string;
  mode: number;
  /** Whether creating the file left its mode different from `mode`. */
  needsChmod: boolean;
  mtimeNs: bigint;
  /** Whether the last operation left a hole, so the file's length must be set at close. */
  endsInHole: boolean;
  owner: { uid: number; gid: number } | undefined;
}

const scope = globalThis as unknown as RestoreWorkerScope;
const open = new Map<number, OpenFile>();
const failed = new Set<number>();
let ring: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
let umask: number | null = null;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "init") {
    ring = new Uint8Array(message.ring);
    umask = message.umask;
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
      discard(op.file);
      reply.failures.push(describe(op.file, error));
      if (!ends) failed.add(op.file);
    }
  }
  scope.postMessage(reply);
};

function run(op: WriteOp): void {
  switch (op.op) {
    case "open": {
      // Created with its own permission bits: when the umask keeps them all (and there are no
      // setuid, setgid or sticky bits), the chmod at close is not needed. The partial file is no
      // more readable than the finished one will be.
      const created = umask === null ? 0o600 : op.mode & 0o777;
      const handle = Deno.openSync(op.temp, { write: true, createNew: true, mode: created });
      open.set(op.file, {
        handle,
        temp: op.temp,
        path: op.path,
        mode: op.mode,
        needsChmod: umask === null || (created & ~umask) !== (op.mode & 0o7777),
        mtimeNs: op.mtimeNs,
        endsInHole: false,
        owner: op.owner,
      });
      return;
    }
    case "data": {
      const file = fileOf(op.file);
      writeAllSync(file.handle, ring.subarray(op.at, op.at + op.length));
      file.endsInHole = false;
      return;
    }
    case "hole": {
      const file = fileOf(op.file);
      file.handle.seekSync(op.length, Deno.SeekMode.Current);
      file.endsInHole = true;
      return;
    }
    case "close": {
      const file = fileOf(op.file);
      if (file.endsInHole) file.handle.truncateSync(file.handle.seekSync(0, Deno.SeekMode.Current));
      // Before the mode: a change of owner clears setuid and setgid bits.
      if (file.owner !== undefined) Deno.chownSync(file.temp, file.owner.uid, file.owner.gid);
      if (file.needsChmod) Deno.chmodSync(file.temp, file.mode);
      file.handle.close();
      setModificationTime(file.temp, file.mtimeNs);
      Deno.renameSync(file.temp, file.path);
      open.delete(op.file);
      return;
    }
    case "abort":
      discard(op.file);
  }
}

function fileOf(id: number): OpenFile {
  const file = open.get(id);
  if (file === undefined) throw new Error(`Cannot write file ${id}: it is not open`);
  return file;
}

/** Closes and removes a file's temp copy, if it has one. */
function discard(id: number): void {
  const file = open.get(id);
  if (file === undefined) return;
  open.delete(id);
  try {
    file.handle.close();
  } catch {
    // Already closed.
  }
  try {
    Deno.removeSync(file.temp);
  } catch {
    // Never created, or already gone.
  }
}

function describe(file: number, error: unknown): WriteFailure {
  const name = error instanceof Error ? error.constructor.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return { file, name, message };
}
