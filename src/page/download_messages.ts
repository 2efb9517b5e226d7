/**
 * What the page and its service worker (`service_worker.ts`) tell each other about downloads.
 *
 * The page offers a download on a port of its own: a file to fetch and verify in the service
 * worker (the chunk ids, the stream address, the login's ticket and the keys to open them), or
 * a stream the page builds (a zip). The service worker answers on that port: accepted at once,
 * then progress, then saved, failed (one sentence) or cancelled. The page forgets the keys it
 * handed over by sending `forget` on logout.
 *
 * @module
 */
import type { TreeEntry } from "../format/snapshot_model.ts";

/** A file the service worker fetches, opens and verifies itself. */
export interface FileJob {
  /** The server's chunk stream address. */
  url: string;
  /** A stream ticket of the page's login (void once the login ends). */
  ticket: Uint8Array;
  idKey: Uint8Array;
  dataKey: Uint8Array;
  /** The file (or hard link, whose chunks are the file's). */
  entry: TreeEntry;
}

/** A download the page offers; the port that comes with it carries the reports. */
export type DownloadOffer =
  & { type: "download"; id: string; name: string; size: number | null }
  & ({ file: FileJob } | { stream: ReadableStream<Uint8Array> });

/** Tells the service worker to end every download it runs for the page and zero their keys. */
export interface ForgetMessage {
  type: "forget";
}

/** What the service worker reports about one download. */
export type DownloadReport =
  | { type: "accepted" }
  | { type: "progress"; bytes: number }
  | { type: "saved"; bytes: number }
  | { type: "failed"; message: string }
  | { type: "cancelled" };
