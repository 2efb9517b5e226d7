/**
 * Messages between the restorer's main thread and its file-writing workers. The main thread
 * sends batches of operations (open a file, append verified bytes or a hole, close it, or abort
 * it); a worker runs each batch with sync file calls and answers once per batch, so 20,000 small
 * files cost a few hundred messages, not 20,000 round trips.
 *
 * @module
 */

/** Create `temp` (never following a link); its final name, mode, mtime and owner come with it. */
export interface OpenOp {
  op: "open";
  file: number;
  temp: string;
  path: string;
  mode: number;
  mtimeNs: bigint;
  /** The owner to give it before its mode is set (absent: left as created). */
  owner?: { uid: number; gid: number };
}

/**
 * Append `length` bytes (already verified) at `at` in the worker's ring to `file`. `skip` bytes
 * at the ring's end were left unused before `at` (the data would not fit there); the worker
 * counts them as consumed with it.
 */
export interface DataOp {
  op: "data";
  file: number;
  at: number;
  length: number;
  skip: number;
}

/**
 * Leave `length` zero bytes as a hole: seek past them without writing (a file ending in a hole
 * gets its length at close).
 */
export interface HoleOp {
  op: "hole";
  file: number;
  length: number;
}

/**
 * Give the owner, if any, set mode (unless creating it gave it already) and mtime, close, rename
 * over the final name.
 */
export interface CloseOp {
  op: "close";
  file: number;
}

/** Close and remove the temp file: its content did not verify. */
export interface AbortOp {
  op: "abort";
  file: number;
}

/** One operation on one file. */
export type WriteOp = OpenOp | DataOp | HoleOp | CloseOp | AbortOp;

/**
 * Main thread → worker: first the ring (shared memory the main thread copies file data into, so
 * no message carries bytes and the memory in flight is fixed), then batches of operations.
 */
export type ToRestoreWorker = {
  type: "init";
  ring: SharedArrayBuffer;
  /** The process umask, or null when unknown (every file then gets a chmod). */
  umask: number | null;
} | {
  type: "batch";
  ops: WriteOp[];
};

/** A file the worker could not write. */
export interface WriteFailure {
  file: number;
  /** `Deno.errors` class name when it is one, else "Error". */
  name: string;
  message: string;
}

/**
 * Worker → main thread, once per batch: ring bytes consumed (in order), how long creating and
 * finishing files took (the kernel's share of a restore, which more workers spread), and files
 * that failed.
 */
export interface BatchReply {
  bytes: number;
  /** Files opened (created) in this batch. */
  files: number;
  /** Milliseconds spent in `open` and `close` operations (create; chmod, utime, close, rename). */
  fileMs: number;
  failures: WriteFailure[];
}
