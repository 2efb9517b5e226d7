/**
 * What one session holds of its repository's prune gate (`store/prune_gate.ts`): a push's
 * shared hold from its first `list_chunks`/`put_chunks` to its commit, or a prune's exclusive
 * hold from `prune_begin` to `prune_run`, with the live ids its client sent meanwhile. The
 * session lets go of everything when it ends, whatever state it is in.
 *
 * @module
 */
import { BurrowError, errorMessage, ProtocolError } from "../errors.ts";
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";
import { type IdSet, IdSetBuilder } from "../format/id_set.ts";
import type { UserRepository } from "../store/user_repository.ts";

/** One session's holds on its repository's prune gate. */
export class RepositoryClaims {
  readonly #pruneWaitMs: number;
  #leavePush: (() => void) | null = null;
  #leaveServicePush: (() => Promise<void>) | null = null;
  #leaveServicePrune: (() => Promise<void>) | null = null;
  /** The gate's epoch when this session first listed or sent chunks. */
  #pushEpoch: number | undefined;
  #leavePrune: ((deleted: boolean) => void) | null = null;
  #live: IdSetBuilder | null = null;

  /** @param pruneWaitMs how long a prune waits for running pushes, here and on other servers */
  constructor(pruneWaitMs: number) {
    this.#pruneWaitMs = pruneWaitMs;
  }

  /**
   * Holds the gate as a push (once until the commit); the session running a prune needs no hold.
   * @throws {BurrowError} BUSY while a prune runs or waits
   */
  async enterPush(repository: UserRepository, action: string): Promise<void> {
    if (this.#leavePrune !== null || this.#leavePush !== null) return;
    const leave = repository.pruneGate.enterPush(action);
    try {
      this.#leaveServicePush = (await repository.serviceGate?.enterPush(action)) ?? null;
    } catch (error) {
      leave();
      throw error;
    }
    this.#leavePush = leave;
    this.#pushEpoch ??= repository.pruneGate.epoch;
  }

  /**
   * Refuses a commit when a prune finished since this session first listed or sent chunks: what
   * it was told is stored may be gone.
   * @throws {BurrowError} CONFLICT
   */
  checkCommit(repository: UserRepository, id: string): void {
    if (this.#pushEpoch !== undefined && this.#pushEpoch !== repository.pruneGate.epoch) {
      throw new BurrowError(
        "CONFLICT",
        `Cannot commit snapshot ${id}: a prune ran since this push listed the stored chunks; push again`,
      );
    }
  }

  /** Lets go of the push hold after a commit. */
  async committed(): Promise<void> {
    const leaveService = this.#leaveServicePush;
    this.#leaveServicePush = null;
    this.#leavePush?.();
    this.#leavePush = null;
    await leaveService?.();
  }

  /**
   * Takes the gate exclusively for a prune (waiting for running pushes).
   * @throws {ProtocolError} when this session already runs a prune
   * @throws {BurrowError} BUSY from the gate
   */
  async beginPrune(repository: UserRepository): Promise<void> {
    if (this.#leavePrune !== null) {
      throw new ProtocolError("Cannot begin a prune: this session runs one already");
    }
    await this.committed();
    const waitMs = this.#pruneWaitMs;
    const leave = await repository.pruneGate.enterPrune(waitMs);
    try {
      this.#leaveServicePrune = (await repository.serviceGate?.enterPrune(waitMs)) ?? null;
    } catch (error) {
      leave(false);
      throw error;
    }
    this.#leavePrune = leave;
    this.#live = new IdSetBuilder();
  }

  /**
   * Adds a part of the live ids, keeping only those the store holds (so the set never outgrows
   * the store).
   * @throws {ProtocolError} without `prune_begin`, or when the ids are not ascending
   */
  addLive(repository: UserRepository, ids: Uint8Array): void {
    const live = this.#prunePart("take live chunk ids");
    const held = new Uint8Array(ids.length);
    let count = 0;
    for (let at = 0; at < ids.length; at += CHUNK_ID_BYTES) {
      const id = ids.subarray(at, at + CHUNK_ID_BYTES);
      if (at > 0 && !ascending(ids, at)) {
        throw new ProtocolError("Cannot take live chunk ids: they are not in ascending order");
      }
      if (repository.chunks.has(id)) held.set(id, count++ * CHUNK_ID_BYTES);
    }
    try {
      live.append(held.subarray(0, count * CHUNK_ID_BYTES));
    } catch (error) {
      throw new ProtocolError(`Cannot take live chunk ids: ${errorMessage(error)}`, "PROTOCOL", {
        cause: error,
      });
    }
  }

  /** The live ids sent since `prune_begin`. @throws {ProtocolError} without `prune_begin` */
  takeLive(): IdSet {
    const live = this.#prunePart("prune").finish();
    this.#live = null;
    return live;
  }

  /** Lets go of the prune hold; `deleted` when chunks may have been deleted. */
  async endPrune(deleted: boolean): Promise<void> {
    const leaveService = this.#leaveServicePrune;
    this.#leaveServicePrune = null;
    this.#leavePrune?.(deleted);
    this.#leavePrune = null;
    this.#live = null;
    await leaveService?.();
  }

  /** Lets go of every hold (the session ended). */
  async releaseAll(): Promise<void> {
    await this.committed();
    await this.endPrune(false);
  }

  #prunePart(action: string): IdSetBuilder {
    if (this.#live === null) {
      throw new ProtocolError(`Cannot ${action}: send prune_begin first`);
    }
    return this.#live;
  }
}

/** Whether the id at `at` in `ids` is above the one before it. */
function ascending(ids: Uint8Array, at: number): boolean {
  for (let i = 0; i < CHUNK_ID_BYTES; i++) {
    const d = ids[at + i]! - ids[at - CHUNK_ID_BYTES + i]!;
    if (d !== 0) return d > 0;
  }
  return false;
}
