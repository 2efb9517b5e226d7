/**
 * Messages between a `RemoteChunkSource` and its open workers (`_open_pool.ts`): the keys once,
 * then one job per `chunks` reply, its blobs still views into the reply's frame buffer, which is
 * transferred with them; each answer transfers the plaintext buffers back.
 *
 * @module
 */
import type { OpenedChunk } from "./_chunk_opener.ts";

/** The repository keys, first message to a worker. */
export interface OpenInit {
  type: "init";
  idKey: Uint8Array;
  dataKey: Uint8Array;
}

/** Blobs to open and verify, each under its chunk id. */
export interface OpenJob {
  type: "open";
  job: number;
  blobs: { id: Uint8Array; blob: Uint8Array }[];
}

/** Messages to an open worker. */
export type ToOpenWorker = OpenInit | OpenJob;

/** A worker's answer to one job: one result per blob, in order. */
export interface OpenReply {
  job: number;
  results: OpenedChunk[];
}
