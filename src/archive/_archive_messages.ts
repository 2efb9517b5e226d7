/**
 * Messages between the archiver's main thread and its workers, and the sizes that shape them.
 * Every buffer in a reply is transferred, never copied: each is a fresh allocation the worker
 * gives up (sealed blobs, concatenated ids), so the worker's heap does not grow with the data.
 *
 * @module
 */

import type { SharedIds } from "../format/id_set.ts";

const MiB = 1024 * 1024;

/** Bytes of a worker's reused read window: twice the largest chunk, so a refill reads ≥ 4 MiB. */
export const WINDOW_BYTES = 8 * MiB;
/** Files larger than this are jobs of their own, streamed through the window. */
export const LARGE_FILE_BYTES = 8 * MiB;
/** Small files are batched up to this much content per job. */
export const BATCH_BYTES = 4 * MiB;
/** ... or up to this many files per job. */
export const BATCH_FILES = 256;
/** A worker replies early once this many sealed bytes are waiting (large files). */
export const FLUSH_BYTES = 8 * MiB;

/**
 * Sent once, first: the keys, the ids the server already has (when they are in already), and
 * the worker's credit. The known ids are shared memory, read in place: not copied per worker.
 */
export interface InitMessage {
  type: "init";
  idKey: Uint8Array;
  dataKey: Uint8Array;
  /** The repository's gear table (`RepositoryKeys.gear`): where the worker cuts chunks. */
  gear: Int32Array;
  /**
   * Known chunk ids: an `IdSet` in shared memory (`IdSet.fromShared`). Absent while they load:
   * a {@link KnownMessage} brings them, and until then every chunk counts as new.
   */
  knownIds?: SharedIds;
  /** Sealed bytes the worker may have sent and not had acknowledged before it waits. */
  creditBytes: number;
  /** Sealed bytes after which the worker sends a partial reply. */
  flushBytes: number;
}

/** One job: files to read, in order (absolute paths). */
export interface JobMessage {
  type: "job";
  jobId: number;
  paths: string[];
}

/** Sealed bytes the main thread has uploaded or dropped: the worker may seal that much more. */
export interface CreditMessage {
  type: "credit";
  bytes: number;
}

/** The ids the server already has, once they are in (for a worker started before). */
export interface KnownMessage {
  type: "known";
  knownIds: SharedIds;
}

/** Anything the main thread sends a worker. */
export type ToWorkerMessage = InitMessage | JobMessage | CreditMessage | KnownMessage;

/** What one reply says about one file of the job (a large file spans several replies). */
export interface FileOutcome {
  /** Position of the file in the job's `paths`. */
  at: number;
  /** Chunk ids of this file carried by this reply (taken in order from `chunkIds`). */
  chunks: number;
  /** Bytes of the file read since the previous reply (holes of a sparse file included). */
  bytes: number;
  /** Of `bytes`, those in holes of a sparse file: taken as zeros, not read from disk. */
  holeBytes?: number;
  /** Whether the file is finished (read to its end, or failed). */
  end: boolean;
  /** Why the file could not be read (a warning; the file is left out). */
  error?: string;
  /**
   * The file changed while it was read (its size or mtime differ between its opening and its
   * end): what was read is kept, with a warning.
   */
  changed?: boolean;
}

/** A worker's answer: progress on files, their chunk ids, and the blobs it sealed. */
export interface JobReply {
  type: "reply";
  jobId: number;
  /** Whether this is the job's last reply. */
  done: boolean;
  /** Whether the worker is out of credit and waits for uploads. */
  waiting: boolean;
  files: FileOutcome[];
  /** Chunk ids of the files, 32 bytes each, in the order of `files`. */
  chunkIds: Uint8Array;
  /** Ids of the blobs, 32 bytes each, in the order of `blobs`. */
  blobIds: Uint8Array;
  /** Sealed blobs of chunks this worker had not seen before. */
  blobs: Uint8Array[];
  /** Plaintext size of each blob's chunk. */
  plainSizes: number[];
}
