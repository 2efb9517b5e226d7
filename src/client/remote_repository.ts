/**
 * The user's repository as the client sees it: the master key (made and stored wrapped on the
 * first push, unwrapped with the login's key-encryption key after that), the keys derived from
 * it, and the snapshot records, opened and checked.
 *
 * @module
 */
import { BurrowError, IntegrityError } from "../errors.ts";
import {
  deriveRepositoryKeys,
  type MasterKey,
  newMasterKey,
  type RepositoryKeys,
  unwrapMasterKey,
  wrapMasterKey,
} from "../format/master_key.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import type { Payloads } from "../protocol/mod.ts";
import { openSnapshotRecord, sealSnapshotRecord } from "../format/snapshot_record.ts";
import type { BurrowClient, LoginResult } from "./burrow_client.ts";

/** A snapshot that is listed but cannot be used, and why. */
export interface UnreadableSnapshot {
  id: string;
  reason: string;
}

/** What `RemoteRepository.listSnapshots` found. */
export interface SnapshotListing {
  /** The snapshots whose records opened and verified, oldest first. */
  records: SnapshotRecord[];
  /** The ones whose records did not, by id. */
  unreadable: UnreadableSnapshot[];
  /** Chunks the server knows are missing or damaged (0 for a healthy repository). */
  damagedChunks: number;
}

/** An opened repository: keys in memory, snapshots on the server. */
export class RemoteRepository {
  readonly #client: BurrowClient;
  readonly #master: MasterKey;
  /** The keys derived from the master key (with the gear table its key file's version says). */
  readonly keys: RepositoryKeys;

  private constructor(client: BurrowClient, master: MasterKey) {
    this.#client = client;
    this.#master = master;
    this.keys = deriveRepositoryKeys(master);
  }

  /**
   * Opens the logged-in user's repository; with `create`, makes it on first use (with `dryRun`
   * too, a repository made now lives in this process only: its key is not stored).
   * @returns null when the user has none and `create` is false
   */
  static async open(
    client: BurrowClient,
    login: LoginResult,
    options: { create: boolean; dryRun?: boolean },
  ): Promise<RemoteRepository | null> {
    const wrapped = await client.getWrappedKey();
    if (wrapped !== null) return new RemoteRepository(client, unwrap(wrapped, login));
    if (!options.create) return null;
    const master = newMasterKey();
    if (options.dryRun === true) return new RemoteRepository(client, master);
    try {
      await client.putWrappedKey(wrapMasterKey(master, login.keyEncryptionKey));
      return new RemoteRepository(client, master);
    } catch (error) {
      // Another push made the key first: use theirs.
      if (!(error instanceof BurrowError) || error.code !== "CONFLICT") throw error;
      const theirs = await client.getWrappedKey();
      if (theirs === null) throw error;
      return new RemoteRepository(client, unwrap(theirs, login));
    }
  }

  /**
   * The master key wrapped for another key-encryption key (a new password), in a key file of the
   * same version, so the repository keeps cutting chunks the way it always has.
   */
  rewrap(keyEncryptionKey: Uint8Array): Uint8Array {
    return wrapMasterKey(this.#master, keyEncryptionKey);
  }

  /**
   * Every snapshot of the user whose record opens, oldest first; the ones that do not (on the
   * server, or here: a record that does not verify or parse), with the reason; and the chunks
   * the server knows are lost.
   */
  async listSnapshots(): Promise<SnapshotListing> {
    return this.openListing(await this.#client.listSnapshots());
  }

  /** The listing a `list_snapshots` reply of this repository's server holds (see `listSnapshots`). */
  openListing(reply: Payloads["snapshots"]): SnapshotListing {
    const records: SnapshotRecord[] = [];
    const unreadable = [...(reply.unreadable ?? [])];
    for (const { id, record } of reply.snapshots) {
      try {
        records.push(openSnapshotRecord(this.keys, id, record));
      } catch (error) {
        if (!(error instanceof IntegrityError)) throw error;
        unreadable.push({ id, reason: error.message });
      }
    }
    records.sort((a, b) => a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1);
    unreadable.sort((a, b) => (a.id < b.id ? -1 : 1));
    return { records, unreadable, damagedChunks: reply.damagedChunks ?? 0 };
  }

  /** Seals a snapshot record for commit. */
  seal(record: SnapshotRecord): Uint8Array {
    return sealSnapshotRecord(this.keys, record);
  }
}

function unwrap(wrapped: Uint8Array, login: LoginResult): MasterKey {
  try {
    return unwrapMasterKey(wrapped, login.keyEncryptionKey);
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    throw new IntegrityError(
      "Cannot open the repository: its key does not open with this password's key",
      { cause: error },
    );
  }
}
