/**
 * An in-memory user store for tests. Not persistent and not shared between processes.
 *
 * @module
 */
import { UserExistsError } from "../errors.ts";
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

/** A `UserStore` held in a Map; for tests only. Returns copies, so callers cannot alter it. */
export class MemoryUserStore implements UserStore {
  #users = new Map<string, UserRecord>();
  #closed = false;

  /** The record for `name`, or null. @throws {InvalidNameError} for a bad name. */
  get(name: string): Promise<UserRecord | null> {
    return this.#run(() => {
      const record = this.#users.get(validateUserName(name));
      return record === undefined ? null : { ...record };
    });
  }

  /** Adds `record`. @throws {UserExistsError} when the name is taken. */
  add(record: UserRecord): Promise<void> {
    return this.#run(() => {
      const checked = checkRecord(record);
      if (this.#users.has(checked.name)) throw new UserExistsError(checked.name);
      this.#users.set(checked.name, checked);
    });
  }

  /** Changes the given fields of `name`. @throws {NotFoundError} when there is none. */
  update(name: string, changes: UserUpdate): Promise<void> {
    return this.#run(() => {
      const record = this.#users.get(validateUserName(name));
      const checked = checkUpdate(changes);
      if (record === undefined) throw missingUser("update", name);
      this.#users.set(name, applyUpdate(record, checked));
    });
  }

  /** Deletes `name`. @throws {NotFoundError} when there is none. */
  remove(name: string): Promise<void> {
    return this.#run(() => {
      if (!this.#users.delete(validateUserName(name))) throw missingUser("remove", name);
    });
  }

  /** Every record, sorted by name. */
  list(): Promise<UserRecord[]> {
    return this.#run(() =>
      [...this.#users.values()]
        .sort((a, b) => compareNames(a.name, b.name))
        .map((record) => ({ ...record }))
    );
  }

  /** Marks the store closed; idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Runs `action` on an open store, turning a throw into a rejection. */
  #run<T>(action: () => T): Promise<T> {
    return new Promise((resolve) => {
      if (this.#closed) throw closedStore("in memory");
      resolve(action());
    });
  }
}
