/**
 * One login in the page: the connection, the repository's keys, the snapshots' trees, and what
 * downloads and previews read. It runs the same client code as the command line over a
 * WebSocket, and fetches chunks as streamed HTTPS responses that log in with a ticket of that
 * connection; keys stay in this page's memory (and in the download worker's while it runs a
 * file the page handed it) and are dropped (and their bytes zeroed) by `close`.
 *
 * Invariants: every byte a stream yields comes from a chunk that opened under the key and
 * matched its id (`RemoteChunkSource`), and a file's chunks add up to its size (`readTree`); a
 * chunk that does not verify errors the stream with a message naming the file, so a download
 * never completes with wrong or missing bytes.
 *
 * @module
 */
import { readManifest } from "../backup/manifest_reader.ts";
import { BurrowClient } from "../client/burrow_client.ts";
import { RemoteChunkSource } from "../client/remote_chunk_source.ts";
import { RemoteRepository, type SnapshotListing } from "../client/remote_repository.ts";
import { StreamChunkFetcher } from "../client/stream_chunk_fetcher.ts";
import { openWebSocket, type WebSocketConnection } from "../client/websocket_connection.ts";
import type { SnapshotRecord, TreeEntry } from "../format/snapshot_model.ts";
import type { Payloads } from "../protocol/mod.ts";
import { emptyTotals, readTree, type TreeItem } from "../restore/tree_reader.ts";
import type { FileJob } from "./download_messages.ts";
import { verifiedFileStream } from "./file_stream.ts";
import { FolderIndex } from "./folder_index.ts";
import { nextTask } from "./next_task.ts";

/** Where the server takes chunk streams, on the page's own origin. */
const STREAM_PATH = "/stream";

/** How long the parts of a login took. */
export interface LoginTimings {
  /** Milliseconds of key derivation (Argon2id and HKDF) in this page. */
  kdfMs: number;
}

/** A connection a login can take over: the WebSocket open and the protocol version agreed. */
export interface PageConnection {
  client: BurrowClient;
  socket: WebSocketConnection;
}

/**
 * Opens a connection to the page's own server (`url`, its WebSocket) up to the version
 * handshake; nothing secret has been sent on it.
 *
 * @throws {NetworkError} when the server cannot be reached
 */
export async function openPageConnection(url: string): Promise<PageConnection> {
  const socket = await openWebSocket(url);
  return { client: await BurrowClient.start(socket), socket };
}

/** A logged-in page. */
export class PageSession {
  readonly #client: BurrowClient;
  readonly #chunks: StreamChunkFetcher;
  readonly #ticket: Uint8Array;
  readonly #repository: RemoteRepository | null;
  /** The snapshot list asked for with the login, until the first `snapshots` takes it. */
  #listed: Promise<Payloads["snapshots"]> | null;
  readonly #trees = new Map<string, Promise<FolderIndex>>();
  readonly #sources = new Set<RemoteChunkSource>();
  /** The logged-in user. */
  readonly user: string;
  /** How long the login's parts took. */
  readonly timings: LoginTimings;

  private constructor(
    client: BurrowClient,
    chunks: StreamChunkFetcher,
    ticket: Uint8Array,
    repository: RemoteRepository | null,
    listed: Promise<Payloads["snapshots"]>,
    user: string,
    timings: LoginTimings,
  ) {
    this.#client = client;
    this.#chunks = chunks;
    this.#ticket = ticket;
    this.#repository = repository;
    this.#listed = listed;
    this.user = user;
    this.timings = timings;
  }

  /**
   * Logs in (keys derived here) over `opened` when it is still open, else over a new connection
   * to the page's own server (`url`, its WebSocket); chunks come from the same server's stream
   * address.
   *
   * @throws {AuthError} on a wrong name or password, or a rate limit
   * @throws {NetworkError} when the server cannot be reached
   */
  static async login(
    user: string,
    password: string,
    url: string,
    opened: Promise<PageConnection> | null = null,
  ): Promise<PageSession> {
    const { client } = await stillOpen(opened) ?? await openPageConnection(url);
    try {
      const login = await client.login(user, password);
      // Asked for at once: the server answers in order, so the three cost one round trip.
      const opening = RemoteRepository.open(client, login, { create: false });
      const ticketed = client.streamTicket();
      const listed = client.listSnapshots();
      ticketed.catch(() => {}); // awaited below, or failed with the connection closed below
      listed.catch(() => {}); // read by the first `snapshots`
      const repository = await opening;
      login.keyEncryptionKey.fill(0);
      const streams = new URL(STREAM_PATH, url.replace(/^ws/, "http")).href;
      const ticket = await ticketed;
      const chunks = new StreamChunkFetcher(streams, ticket);
      const timings = { kdfMs: login.kdfMs };
      return new PageSession(client, chunks, ticket, repository, listed, user, timings);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** The user's snapshots (none before the first push), oldest first. */
  async snapshots(): Promise<SnapshotListing> {
    const listed = this.#listed;
    this.#listed = null;
    if (this.#repository === null) return { records: [], unreadable: [], damagedChunks: 0 };
    if (listed === null) return await this.#repository.listSnapshots();
    return this.#repository.openListing(await listed);
  }

  /** A snapshot's tree, read and verified once per session. */
  tree(record: SnapshotRecord): Promise<FolderIndex> {
    let tree = this.#trees.get(record.id);
    if (tree === undefined) {
      tree = this.#withSource((source) => readManifest(source, record))
        .then((entries) => new FolderIndex(entries));
      tree.catch(() => this.#trees.delete(record.id));
      this.#trees.set(record.id, tree);
    }
    return tree;
  }

  /** The verified content of one file, read here as the stream is read (for previews). */
  fileStream(entry: TreeEntry): ReadableStream<Uint8Array> {
    const source = this.#source();
    return verifiedFileStream(entry, source, () => this.#release(source));
  }

  /**
   * What the download worker needs to fetch and verify one file itself: copies of the keys
   * and the ticket (the worker zeroes its copies when the download ends).
   */
  fileJob(entry: TreeEntry): FileJob {
    const keys = this.#keys();
    return {
      url: this.#chunks.url,
      ticket: this.#ticket.slice(),
      idKey: keys.idKey.slice(),
      dataKey: keys.dataKey.slice(),
      entry,
    };
  }

  /**
   * A zip of `entries` (a folder's subtree), built as the stream is read. The zip writer is
   * loaded on the first zip: it is most of the page's script, and the login does not need it.
   */
  async zipStream(entries: readonly TreeEntry[]): Promise<ReadableStream<Uint8Array>> {
    const { writeZip } = await import("../export/zip_stream.ts");
    const source = this.#source();
    const pipe = new TransformStream<Uint8Array, Uint8Array>(undefined, { highWaterMark: 1 });
    const items: AsyncIterable<TreeItem> = readTree(entries, source, emptyTotals());
    void writeZip(items, pipe.writable, 0)
      .catch((error) => pipe.writable.abort(error).catch(() => {}))
      .finally(() => this.#release(source));
    return pipe.readable;
  }

  /** Logs out: closes the connection and the workers, and zeroes the keys held here. */
  async close(): Promise<void> {
    for (const source of this.#sources) source.close();
    this.#sources.clear();
    this.#trees.clear();
    if (this.#repository !== null) {
      this.#repository.keys.idKey.fill(0);
      this.#repository.keys.dataKey.fill(0);
    }
    this.#ticket.fill(0);
    await this.#client.close();
  }

  /** A chunk source that opens blobs on the page's thread, giving the page a turn after each. */
  #source(): RemoteChunkSource {
    const source = new RemoteChunkSource(this.#chunks, this.#keys(), {
      pauseBetweenBlobs: nextTask,
    });
    this.#sources.add(source);
    return source;
  }

  #keys(): RemoteRepository["keys"] {
    if (this.#repository === null) throw new Error("Cannot read files: there are no backups yet");
    return this.#repository.keys;
  }

  #release(source: RemoteChunkSource): void {
    source.close();
    this.#sources.delete(source);
  }

  async #withSource<T>(body: (source: RemoteChunkSource) => Promise<T>) {
    const source = this.#source();
    try {
      return await body(source);
    } finally {
      this.#release(source);
    }
  }
}

/** The connection `opened` gives when it is still open; one that closed or failed is let go. */
async function stillOpen(opened: Promise<PageConnection> | null): Promise<PageConnection | null> {
  const connection = await opened?.catch(() => null) ?? null;
  if (connection === null || connection.socket.open) return connection;
  await connection.client.close().catch(() => {});
  return null;
}
