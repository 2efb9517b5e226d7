/**
 * Whose a restored entry becomes. Root gives each entry its recorded owner: by name where this
 * machine knows the user (or group) name, else by number; with `numericIds`, by number only. Any
 * other user cannot give files away: what it restores stays its own, and the policy notes whether
 * a recorded owner differed, so the restore can say so once.
 *
 * @module
 */
import type { EntryOwner } from "../format/snapshot_model.ts";
import type { OwnerNames } from "../owner_names.ts";

/** A uid and gid to give an entry. */
export interface OwnerIds {
  uid: number;
  gid: number;
}

/** Options of an `OwnerPolicy`. */
export interface OwnerPolicyOptions {
  /** Give owners by the recorded numbers, never by name. */
  numericIds: boolean;
  /** The restoring process's uid and gid; only uid 0 gives entries away. */
  self: OwnerIds;
  /** Where names are looked up. */
  names: OwnerNames;
}

/** Decides the owner of each restored entry (see the module comment). */
export class OwnerPolicy {
  readonly #options: OwnerPolicyOptions;
  #kept = false;

  constructor(options: OwnerPolicyOptions) {
    this.#options = options;
  }

  /** Whether owners are given at all (the restore runs as root). */
  get restores(): boolean {
    return this.#options.self.uid === 0;
  }

  /** Whether an entry's recorded owner was not given because the restore does not run as root. */
  get kept(): boolean {
    return this.#kept;
  }

  /** The ids to give an entry recorded with `owner`, or undefined to leave it as created. */
  idsFor(owner: EntryOwner | undefined): OwnerIds | undefined {
    if (owner === undefined) return undefined;
    const { self, names, numericIds } = this.#options;
    if (!this.restores) {
      if (owner.uid !== self.uid || owner.gid !== self.gid) this.#kept = true;
      return undefined;
    }
    if (numericIds) return { uid: owner.uid, gid: owner.gid };
    return {
      uid: names.uidOf(owner.user) ?? owner.uid,
      gid: names.gidOf(owner.group) ?? owner.gid,
    };
  }
}
