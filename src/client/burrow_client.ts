/**
 * The typed calls the commands use: connect (TLS + version handshake), log in without sending
 * the password (Argon2id + HKDF on this side, only the auth key travels), sign up, change the
 * password, list snapshots.
 *
 * @module
 */
import { clientKdfMeetsFloor, parseClientKdf } from "../auth/client_kdf.ts";
import { deriveClientKeys } from "../auth/client_keys.ts";
import { checkNewPassword } from "../auth/password_policy.ts";
import { newCredentials } from "../auth/new_credentials.ts";
import { errorMessage, ProtocolError } from "../errors.ts";
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";
import { releaseBuffer } from "../release_bytes.ts";
import { type IdSet, IdSetBuilder } from "../format/id_set.ts";
import {
  type ByteStream,
  type HelloOkPayload,
  type IdentifiedBlob,
  MAX_FORGET_IDS,
  MAX_GET_CHUNKS,
  type Payloads,
  PROTOCOL_VERSION,
} from "../protocol/mod.ts";
import { RpcChannel } from "./rpc_channel.ts";

const CLIENT_NAME = "burrow/0.1.0";
/** Live ids per `prune_live` frame (8 MiB, well under the frame limit). */
const LIVE_IDS_PER_FRAME = 262_144;

/**
 * The connection a client runs over: a TLS connection on the command line, a WebSocket in the
 * web page. `closeWrite` tells the server that nothing more will be sent.
 */
export interface ClientConn extends ByteStream {
  closeWrite(): Promise<void>;
}

/** The keys a login yields that stay on the client. */
export interface LoginResult {
  user: string;
  /** Unwraps the repository master key; never sent. */
  keyEncryptionKey: Uint8Array;
  /** Milliseconds the key derivation (Argon2id and HKDF) took on this side. */
  kdfMs: number;
}

/** A connection to a burrow server. */
export class BurrowClient {
  readonly #conn: ClientConn;
  readonly #rpc: RpcChannel;
  /** What the server said in its `hello_ok`. */
  readonly server: HelloOkPayload;
  #user: string | null = null;

  private constructor(conn: ClientConn, rpc: RpcChannel, server: HelloOkPayload) {
    this.#conn = conn;
    this.#rpc = rpc;
    this.server = server;
  }

  /** Completes the version handshake over an open connection; closes it when that fails. */
  static async start(conn: ClientConn): Promise<BurrowClient> {
    const rpc = new RpcChannel(conn);
    try {
      const hello = await rpc.request(
        "hello",
        { protocol: [PROTOCOL_VERSION], client: CLIENT_NAME },
        "hello_ok",
      );
      return new BurrowClient(conn, rpc, hello);
    } catch (error) {
      await rpc.close();
      throw error;
    }
  }

  /** Logs in as `user`. @throws {AuthError} on a wrong name or password, or a rate limit */
  async login(user: string, password: string): Promise<LoginResult> {
    const challenge = await this.#rpc.request("login_start", { user }, "login_challenge");
    let kdf;
    try {
      kdf = parseClientKdf(challenge.kdf);
    } catch (error) {
      throw new ProtocolError(
        "Cannot log in: the server sent unusable KDF parameters",
        "PROTOCOL",
        {
          cause: error,
        },
      );
    }
    // A hostile server could ask for cheap parameters to brute-force the password from the auth
    // key it receives: refuse anything below the defaults.
    if (!clientKdfMeetsFloor(kdf)) {
      throw new ProtocolError(
        "Cannot log in: the server asks for key derivation parameters weaker than burrow's minimum",
      );
    }
    const started = performance.now();
    const keys = await deriveClientKeys(password, kdf);
    const kdfMs = performance.now() - started;
    await this.#rpc.request("login_proof", { authKey: keys.authKey }, "login_ok");
    this.#user = user;
    return { user, keyEncryptionKey: keys.keyEncryptionKey, kdfMs };
  }

  /**
   * Creates the account `user` (servers started with --allow-signup only).
   * @throws {UsageError} when `password` is shorter than the server's minimum; nothing is sent
   */
  async signup(user: string, password: string): Promise<void> {
    this.#checkNewPassword(password);
    const credentials = await newCredentials(password);
    await this.#rpc.request(
      "signup",
      { user, kdf: credentials.kdf, authKey: credentials.authKey },
      "signup_ok",
    );
  }

  /**
   * Sets a new password for the logged-in user; the old one stops working at once.
   * `rewrap` turns the new key-encryption key into the master key wrapped for it, when the user
   * has a repository key (the server refuses a change that would strand it).
   * @throws {UsageError} when `newPassword` is shorter than the server's minimum; nothing is sent
   */
  async changePassword(
    newPassword: string,
    rewrap: ((keyEncryptionKey: Uint8Array) => Uint8Array) | null,
  ): Promise<void> {
    this.#checkNewPassword(newPassword);
    const credentials = await newCredentials(newPassword);
    const base = { kdf: credentials.kdf, authKey: credentials.authKey };
    const payload = rewrap === null
      ? base
      : { ...base, wrappedKey: rewrap(credentials.keyEncryptionKey) };
    await this.#rpc.request("change_password", payload, "ok");
  }

  /**
   * The logged-in user's sealed snapshot records, the ones the server could not read, and how
   * many chunks it knows are lost.
   */
  listSnapshots(): Promise<Payloads["snapshots"]> {
    return this.#rpc.request("list_snapshots", {}, "snapshots");
  }

  /** The user's wrapped master key, or null before the first push. */
  async getWrappedKey(): Promise<Uint8Array | null> {
    return (await this.#rpc.request("get_key", {}, "key")).wrapped ?? null;
  }

  /** Stores the wrapped master key of a new repository. @throws {BurrowError} CONFLICT if one exists */
  async putWrappedKey(wrapped: Uint8Array): Promise<void> {
    await this.#rpc.request("put_key", { wrapped }, "ok");
  }

  /**
   * Every chunk id the server holds for this user, page after page into one sorted set in shared
   * memory (32 bytes an id).
   * @throws {ProtocolError} when the server sends ids out of ascending order
   */
  async listChunkIds(): Promise<IdSet> {
    const ids = new IdSetBuilder();
    let after: Uint8Array | undefined;
    for (;;) {
      const page = await this.#rpc.request(
        "list_chunks",
        after === undefined ? {} : { after },
        "chunk_ids",
      );
      try {
        ids.append(page.ids);
      } catch (error) {
        throw new ProtocolError(`Cannot list chunks: ${errorMessage(error)}`, "PROTOCOL", {
          cause: error,
        });
      }
      const more = page.more && page.ids.length > 0;
      after = page.ids.slice(-CHUNK_ID_BYTES);
      // The page is copied: free its frame now rather than leave megabytes to the collector.
      releaseBuffer(page.ids);
      if (!more) return ids.finish();
    }
  }

  /**
   * Sends sealed blobs without copying them: `written` resolves once they are on the wire (their
   * buffers may be released then), `reply` with the server's count once it stored them.
   */
  putChunks(
    blobs: IdentifiedBlob[],
  ): { written: Promise<void>; reply: Promise<Payloads["put_ok"]> } {
    return this.#rpc.send("put_chunks", { blobs }, "put_ok");
  }

  /** Fetches blobs: a prefix of `ids` (as many as fit one reply) and the ids the server lacks. */
  getChunks(ids: Uint8Array[]): Promise<Payloads["chunks"]> {
    return this.#rpc.request("get_chunks", { ids }, "chunks");
  }

  /**
   * A ticket with which other connections log in as this user to fetch chunks
   * (`StreamChunkFetcher`); valid while this connection stays open. Asking again voids the last.
   */
  async streamTicket(): Promise<Uint8Array> {
    return (await this.#rpc.request("stream_ticket", {}, "stream_ticket_ok")).ticket;
  }

  /**
   * Tells the server that the blobs of `ids` did not open under the key: it sets them aside, so
   * the next push that has their data stores them again. @returns how many it set aside
   */
  async reportDamaged(ids: readonly Uint8Array[]): Promise<number> {
    let count = 0;
    for (let at = 0; at < ids.length; at += MAX_GET_CHUNKS) {
      const batch = ids.slice(at, at + MAX_GET_CHUNKS);
      count += (await this.#rpc.request("report_damaged", { ids: batch }, "damage_noted")).setAside;
    }
    return count;
  }

  /**
   * Makes every chunk sent so far durable on the server, then stores the sealed snapshot record.
   * @param files the push's counts of new, changed and removed files, for the server's log line
   *   (the server learns these three numbers, nothing else of the record)
   */
  async commitSnapshot(
    id: string,
    record: Uint8Array,
    files: { filesNew: number; filesChanged: number; filesRemoved: number },
  ): Promise<void> {
    await this.#rpc.request("commit_snapshot", { id, record, ...files }, "ok");
  }

  /** Removes the snapshot records `ids` (their chunks stay until a prune). */
  async forgetSnapshots(ids: readonly string[]): Promise<void> {
    for (let at = 0; at < ids.length; at += MAX_FORGET_IDS) {
      const batch = ids.slice(at, at + MAX_FORGET_IDS);
      await this.#rpc.request("forget_snapshots", { ids: batch }, "ok");
    }
  }

  /**
   * Prunes: takes the repository's prune lock (pushes wait or are refused until it ends), then
   * `live` computes the live ids from the snapshots listed after that, which are sent in parts of
   * at most `LIVE_IDS_PER_FRAME`, and the server deletes or rewrites packs.
   */
  async prune(
    live: () => Promise<IdSet>,
    options: { maxUnused: number; dryRun: boolean },
  ): Promise<Payloads["pruned"]> {
    await this.#rpc.request("prune_begin", {}, "ok");
    const set = await live();
    const ids = new Uint8Array(set.shared.buffer, 0, set.size * CHUNK_ID_BYTES);
    const part = LIVE_IDS_PER_FRAME * CHUNK_ID_BYTES;
    for (let at = 0; at < ids.length; at += part) {
      // A copy in ordinary memory: the set's buffer is shared memory.
      const slice = ids.slice(at, at + part);
      await this.#rpc.request("prune_live", { ids: slice }, "ok");
    }
    return await this.#rpc.request("prune_run", options, "pruned");
  }

  /** Refuses a new password shorter than the minimum the server announced in `hello_ok`. */
  #checkNewPassword(password: string): void {
    checkNewPassword(password, this.server.minPasswordLength, "this server asks for");
  }

  /** The logged-in user, or null. */
  get user(): string | null {
    return this.#user;
  }

  /** Closes the connection, telling the server first (a TLS close_notify, a WebSocket close). */
  async close(): Promise<void> {
    await this.#conn.closeWrite().catch(() => {});
    await this.#rpc.close();
  }
}
