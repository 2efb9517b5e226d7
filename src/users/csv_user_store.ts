/**
 * The `csv:PATH` user store: one CSV file, rewritten whole and atomically on every change, under
 * an exclusive lock on `PATH.lock` so several processes (and instances) can write it safely.
 *
 * @module
 */
import { concatBytes } from "../concat_bytes.ts";
import { dirname } from "node:path";
import { makeDirDurable, writeFileAtomic } from "../atomic_file.ts";
import {
  BurrowError,
  errorMessage,
  NotFoundError,
  StoreError,
  UserExistsError,
} from "../errors.ts";
import type { UserRecord, UserStore, UserUpdate } from "./user_store.ts";
import { validateUserName } from "./user_name.ts";
import {
  applyUpdate,
  checkRecord,
  checkUpdate,
  closedStore,
  compareNames,
  missingUser,
} from "./_user_record.ts";
import { decodeUsersCsv, encodeUsersCsv } from "./_csv_codec.ts";
import { USERS_SCHEMA_VERSION } from "./_user_columns.ts";
import { type HeldLock, lockFile } from "../exclusive_lock.ts";

/** How long a write waits for another writer's lock by default. */
const DEFAULT_LOCK_TIMEOUT_MS = 5000;

/** Options of `CsvUserStore.open`. */
export interface CsvUserStoreOptions {
  /** How long a write waits for another process's lock (default 5000 ms). */
  lockTimeoutMs?: number;
  /**
   * Whether a missing file is created, as an empty table with its parent folder (default true);
   * when false, opening a missing file fails and creates nothing.
   */
  create?: boolean;
}

/** What the cache was read from: inode, size and change times of the file, or "missing". */
type FileKey = string;

/**
 * A `UserStore` in a CSV file (`name,created,last_login,kdf,verifier,temporary_password,
 * append_only,quota,disabled`).
 *
 * Writers take the exclusive lock on `PATH.lock` (`lockFile`: flock, dropped by the system when
 * its holder ends, so no lock is ever stale and the file's content means nothing), re-read the
 * file, apply the change and replace the file atomically (temporary file, fsync, rename, fsync of
 * the folder), mode 0600. A held lock is waited for, then reported. The lock file stays in place.
 * Readers re-read the file whenever its inode, size or times change, so a running server sees
 * users another process added. A file removed after the open reads as an empty store. A file of
 * an older schema version (its header says which) is rewritten in the current one on open.
 */
export class CsvUserStore implements UserStore {
  /** The CSV file's path, as given. */
  readonly path: string;
  readonly #lockTimeoutMs: number;
  #users = new Map<string, UserRecord>();
  #key: FileKey | undefined;
  /** The schema version of the file last read. */
  #version = USERS_SCHEMA_VERSION;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(path: string, options: CsvUserStoreOptions) {
    this.path = path;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  }

  /**
   * Opens the store at `path` and reads it at once, so a broken file is reported before use;
   * creates a missing file (unless `create` is false) and migrates one of an older schema
   * version, each with one atomic write under the lock.
   * @throws {NotFoundError} when the file is missing and `create` is false.
   * @throws {StoreError} for an unreadable or broken file, naming the file and line.
   */
  static async open(path: string, options: CsvUserStoreOptions = {}): Promise<CsvUserStore> {
    if (path === "") throw new StoreError("Cannot open user store: empty path");
    const store = new CsvUserStore(path, options);
    await store.#current();
    if (store.#key === "missing" && options.create === false) {
      throw new NotFoundError(`Cannot open user store "${path}": it does not exist`);
    }
    if (store.#key === "missing" || store.#version < USERS_SCHEMA_VERSION) {
      // Re-read under the lock and write back: a missing file becomes an empty table, an old
      // one is written under the current header.
      await store.#mutate(() => undefined, () => {});
    }
    return store;
  }

  /** The record for `name`, or null. @throws {InvalidNameError} for a bad name. */
  async get(name: string): Promise<UserRecord | null> {
    validateUserName(name);
    this.#checkOpen();
    const record = (await this.#current()).get(name);
    return record === undefined ? null : { ...record };
  }

  /** Adds `record`. @throws {UserExistsError} when the name is taken; the file is unchanged. */
  add(record: UserRecord): Promise<void> {
    return this.#mutate(() => checkRecord(record), (users, checked) => {
      if (users.has(checked.name)) throw new UserExistsError(checked.name);
      users.set(checked.name, checked);
    });
  }

  /** Changes the given fields of `name`. @throws {NotFoundError} when there is none. */
  update(name: string, changes: UserUpdate): Promise<void> {
    const check = () => {
      validateUserName(name);
      return checkUpdate(changes);
    };
    return this.#mutate(check, (users, checked) => {
      const record = users.get(name);
      if (record === undefined) throw missingUser("update", name);
      users.set(name, applyUpdate(record, checked));
    });
  }

  /** Deletes `name`. @throws {NotFoundError} when there is none. */
  remove(name: string): Promise<void> {
    return this.#mutate(() => validateUserName(name), (users) => {
      if (!users.delete(name)) throw missingUser("remove", name);
    });
  }

  /** Every record, sorted by name. */
  async list(): Promise<UserRecord[]> {
    this.#checkOpen();
    const users = await this.#current();
    return [...users.values()].sort((a, b) => compareNames(a.name, b.name)).map((r) => ({ ...r }));
  }

  /** Waits for writes in progress, then closes; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
  }

  #checkOpen(): void {
    if (this.#closed) throw closedStore(`"${this.path}"`);
  }

  /** The users as the file holds them now, re-read only when the file changed. */
  async #current(): Promise<Map<string, UserRecord>> {
    const key = await this.#statKey();
    if (key !== this.#key) await this.#load();
    return this.#users;
  }

  /** The current file's key, without reading it. */
  async #statKey(): Promise<FileKey> {
    try {
      return fileKey(await Deno.stat(this.path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "missing";
      throw this.#readError(error);
    }
  }

  /** Reads and decodes the file into the cache; the key comes from the very file read. */
  async #load(): Promise<void> {
    let key: FileKey = "missing";
    let text = "";
    try {
      using file = await Deno.open(this.path, { read: true });
      key = fileKey(await file.stat());
      text = new TextDecoder("utf-8", { fatal: true }).decode(await readAll(file));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw this.#readError(error);
    }
    const { records, version } = decodeUsersCsv(text, this.path);
    this.#users = new Map(records.map((record) => [record.name, record]));
    this.#version = version;
    this.#key = key;
  }

  /**
   * Checks the arguments, then, one write at a time and under the lock file, re-reads the file,
   * lets `change` edit the users and writes them back. A throw from `change` writes nothing.
   */
  #mutate<T>(
    check: () => T,
    change: (users: Map<string, UserRecord>, checked: T) => void,
  ): Promise<void> {
    const run = async () => {
      const checked = check();
      this.#checkOpen();
      await this.#ensureDir();
      const lock = await this.#lock();
      try {
        await this.#load();
        const users = new Map(this.#users);
        change(users, checked);
        await this.#write(users);
      } finally {
        lock.release();
      }
    };
    const result = this.#tail.then(run);
    this.#tail = result.catch(() => {});
    return result;
  }

  /**
   * Takes the lock on `PATH.lock`, waiting for another writer at most the lock timeout.
   * @throws {StoreError} when another writer kept it for the whole wait.
   */
  async #lock(): Promise<HeldLock> {
    const path = `${this.path}.lock`;
    let lock: HeldLock | null;
    try {
      lock = await lockFile(path, this.#lockTimeoutMs);
    } catch (error) {
      throw this.#writeError(error);
    }
    if (lock === null) {
      throw new StoreError(
        `Cannot write user store "${this.path}": another writer holds "${path}"`,
      );
    }
    return lock;
  }

  /** Writes `users` sorted by name, atomically, and caches them. */
  async #write(users: Map<string, UserRecord>): Promise<void> {
    const sorted = [...users.values()].sort((a, b) => compareNames(a.name, b.name));
    try {
      await writeFileAtomic(this.path, encodeUsersCsv(sorted), { mode: 0o600 });
      this.#key = fileKey(await Deno.stat(this.path));
      this.#version = USERS_SCHEMA_VERSION;
    } catch (error) {
      throw this.#writeError(error);
    }
    this.#users = new Map(sorted.map((record) => [record.name, record]));
  }

  /** Creates the parent folder (mode 0700) when it is missing. */
  async #ensureDir(): Promise<void> {
    try {
      await makeDirDurable(dirname(this.path));
    } catch (error) {
      throw this.#writeError(error);
    }
  }

  #readError(error: unknown): BurrowError {
    if (error instanceof BurrowError) return error;
    return new StoreError(`Cannot read user store "${this.path}": ${errorMessage(error)}`, {
      cause: error,
    });
  }

  #writeError(error: unknown): BurrowError {
    if (error instanceof BurrowError) return error;
    return new StoreError(`Cannot write user store "${this.path}": ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

/** The identity of one version of the file: device, inode, size and times. */
function fileKey(info: Deno.FileInfo): FileKey {
  const times = [info.mtime, info.ctime].map((time) => time?.getTime() ?? 0).join(":");
  return `${info.dev}:${info.ino ?? 0}:${info.size}:${times}`;
}

/** The rest of `file`, read to its end. */
async function readAll(file: Deno.FsFile): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const chunk = new Uint8Array(64 * 1024);
    const count = await file.read(chunk);
    if (count === null) break;
    chunks.push(chunk.subarray(0, count));
  }
  return concatBytes(chunks);
}
