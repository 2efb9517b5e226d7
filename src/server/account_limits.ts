/**
 * What an administrator allows a logged-in account (`useradd`/`usermod`), as the server enforces
 * it: append-only accounts may not remove or replace what they stored, and a quota bounds the
 * bytes of sealed chunks an account stores. The session reads the limits from the user store for
 * every request after login (`AccountService.limitsOf`), so a `usermod` applies to the next
 * request of a connection that is already open.
 *
 * Handlers ask through `HandlerContext.limits` (`repository_handlers.ts`): a destructive request
 * calls `refuseIfAppendOnly(ctx.limits, "ACTION")` before it changes anything, and `put_chunks`
 * stores through `putWithinQuota`.
 *
 * Invariant of the quota: a batch of chunks (one `put_chunks`) is checked whole, with the bytes
 * of its blobs the store does not hold yet, before any of it is written; the bytes of batches
 * other sessions of the same user are storing at that moment count as stored. So the stored
 * bytes (`ChunkStore.storedBytes`, read live: a prune's deletions count at once) never pass the
 * quota, and a refused batch writes nothing. Where several servers share the store's index
 * (`ChunkStore.refresh`), the stored bytes are read from it, the one place that counts them for
 * every server, before each batch of an account with a quota; what other servers are storing at
 * that moment (at most one batch each per session) is not counted yet.
 *
 * @module
 */
import { formatSize } from "../display.ts";
import { AppendOnlyError, QuotaExceededError } from "../errors.ts";
import type { IdentifiedBlob } from "../protocol/mod.ts";
import type { ChunkStore } from "../store/chunk_store.ts";

/** The limits of a logged-in account at the time of one request. */
export interface AccountLimits {
  /** The server refuses what would remove or replace the account's data. */
  appendOnly: boolean;
  /** Most bytes of sealed chunks the account may store, or null for no limit. */
  quota: number | null;
}

/**
 * Refuses a request that would remove or replace stored data when the account is append-only.
 * @param action what the request does, for the message: "Cannot ACTION: account is append-only"
 * @throws {AppendOnlyError} APPEND_ONLY (the client exits 3)
 */
export function refuseIfAppendOnly(limits: AccountLimits, action: string): void {
  if (limits.appendOnly) throw new AppendOnlyError(action);
}

/** Bytes of batches being stored right now, per chunk store (one per user, shared by sessions). */
const inFlight = new WeakMap<ChunkStore, number>();

/** What `putWithinQuota` stored. */
export interface PutResult {
  /** Blobs new to the store, and their bytes. */
  stored: number;
  bytes: number;
}

/**
 * Stores `blobs` unless the new ones would take the account past `quota`; then stores none.
 * @throws {QuotaExceededError} QUOTA_EXCEEDED "Cannot store chunks: quota exceeded: 49.8 GiB of
 *   50 GiB stored" (the client exits 1)
 */
export async function putWithinQuota(
  chunks: ChunkStore,
  blobs: readonly IdentifiedBlob[],
  quota: number | null,
): Promise<PutResult> {
  if (quota !== null) await chunks.refresh?.();
  // Blobs already held cost nothing; an id twice in one batch counts twice (stricter, never
  // looser), so no per-batch set of ids is needed.
  const counted = blobs.map(({ id }) => !chunks.has(id));
  let pending = 0;
  blobs.forEach(({ blob }, i) => (pending += counted[i] ? blob.length : 0));
  if (quota !== null) {
    const busy = inFlight.get(chunks) ?? 0;
    if (chunks.storedBytes + busy + pending > quota) {
      throw new QuotaExceededError(
        `Cannot store chunks: quota exceeded: ${formatSize(chunks.storedBytes + busy)} of ${
          formatSize(quota)
        } stored`,
      );
    }
  }
  inFlight.set(chunks, (inFlight.get(chunks) ?? 0) + pending);
  const result: PutResult = { stored: 0, bytes: 0 };
  try {
    for (let i = 0; i < blobs.length; i++) {
      const { id, blob } = blobs[i]!;
      const isNew = await chunks.put(id, blob);
      if (counted[i]) {
        // Stored now (and in storedBytes), or stored meanwhile by another session.
        pending -= blob.length;
        inFlight.set(chunks, (inFlight.get(chunks) ?? 0) - blob.length);
      }
      if (isNew) {
        result.stored++;
        result.bytes += blob.length;
      }
    }
  } finally {
    inFlight.set(chunks, (inFlight.get(chunks) ?? 0) - pending);
  }
  return result;
}
