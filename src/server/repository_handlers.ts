/**
 * Requests of a logged-in user: keys, chunks and snapshots. Each handler works only on the
 * logged-in user's own repository, so no request can reach another user's data; every id and
 * name was validated by the protocol layer and is validated again where it becomes a path.
 *
 * @module
 */
import { BurrowError, IntegrityError, NotFoundError, QuotaExceededError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  ChunkIdsPayloadWriter,
  ChunksPayloadWriter,
  type ClientMessage,
  type IdentifiedBlob,
  MAX_SNAPSHOT_RECORD,
  type MessageName,
  type Payloads,
} from "../protocol/mod.ts";
import type { UserRepository } from "../store/user_repository.ts";
import type { AccountService } from "./accounts.ts";
import type { ServerMetrics } from "./metrics.ts";
import { type AccountLimits, putWithinQuota, refuseIfAppendOnly } from "./account_limits.ts";
import type { UploadTally } from "./_upload_tally.ts";
import type { RepositoryClaims } from "./_repository_claims.ts";
import { addLive, beginPrune, forgetSnapshots, runPrune } from "./prune_handlers.ts";

/**
 * A reply: its message name and payload, or for `chunks` and `chunk_ids` the payload already
 * encoded (built in place by `ChunksPayloadWriter`, `ChunkIdsPayloadWriter`).
 */
export type Reply =
  | { [K in MessageName]: { type: K; payload: Payloads[K] } }[MessageName]
  | { type: "chunks" | "chunk_ids"; encoded: Uint8Array };

/** What the handlers need from the session. */
export interface HandlerContext {
  user: string;
  /**
   * The account's limits, read for this request. A handler that removes or replaces stored data
   * calls `refuseIfAppendOnly(ctx.limits, "ACTION")` before it changes anything.
   */
  limits: AccountLimits;
  accounts: AccountService;
  logger: Logger;
  /** The server's counters (prunes count themselves). */
  metrics?: ServerMetrics;
  /** The user's repository, opened on first use. */
  repository(): Promise<UserRepository>;
  /** This connection's uploads since its last commit, for the commit's log line. */
  uploads: UploadTally;
  /** This connection's holds on the repository's prune gate. */
  claims: RepositoryClaims;
}

/**
 * Ids per `list_chunks` page (the protocol allows 262,144): each page is copied on the event
 * loop, from ids scattered in memory, so a page stays small enough not to stall other sessions.
 */
const ID_PAGE = 65_536;
const CHUNKS_REPLY_BUDGET = 8 * 1024 * 1024;

/** Answers one request of a logged-in user. @throws {BurrowError} for refused requests */
export async function handleRepositoryRequest(
  ctx: HandlerContext,
  message: ClientMessage,
): Promise<Reply> {
  ctx.uploads.touch();
  switch (message.type) {
    case "get_key": {
      const wrapped = await (await ctx.repository()).readKey(await ctx.accounts.kdfOf(ctx.user));
      return { type: "key", payload: wrapped === null ? {} : { wrapped } };
    }
    case "put_key": {
      const kdf = await ctx.accounts.kdfOf(ctx.user);
      await (await ctx.repository()).writeKey(kdf, message.payload.wrapped, { createNew: true });
      return { type: "ok", payload: {} };
    }
    case "change_password":
      return await changePassword(ctx, message.payload);
    case "list_snapshots":
      return listSnapshots(ctx, await ctx.repository());
    case "list_chunks": {
      const repository = await ctx.repository();
      await ctx.claims.enterPush(repository, "list chunks");
      // Other servers of the service may have stored chunks since: a listing starts with them.
      if (message.payload.after === undefined) await repository.chunks.refresh?.();
      return listChunks(repository, message.payload.after);
    }
    case "put_chunks":
      return await putChunks(ctx, message.payload.blobs);
    case "get_chunks":
      return await getChunks(await ctx.repository(), message.payload.ids);
    case "report_damaged": {
      // Setting blobs aside hides them from every restore: an append-only account's client may
      // not, so a compromised one cannot make backups unreadable by calling them damaged.
      const setAside = ctx.limits.appendOnly
        ? 0
        : await (await ctx.repository()).chunks.markDamaged(message.payload.ids);
      ctx.logger.warn("client reported damaged chunks", {
        user: ctx.user,
        reported: message.payload.ids.length,
        setAside,
        kept: ctx.limits.appendOnly ? "account is append-only" : undefined,
      });
      return { type: "damage_noted", payload: { setAside } };
    }
    case "commit_snapshot": {
      const { id, record, filesNew, filesChanged, filesRemoved } = message.payload;
      const repository = await ctx.repository();
      await ctx.claims.enterPush(repository, "commit a snapshot");
      ctx.claims.checkCommit(repository, id);
      await repository.commitSnapshot(id, record);
      await ctx.claims.committed();
      // One line per finished push: what the client says it found, what the server received.
      ctx.logger.info("snapshot committed", {
        user: ctx.user,
        snapshot: id,
        filesNew,
        filesChanged,
        filesRemoved,
        ...ctx.uploads.take(),
      });
      return { type: "ok", payload: {} };
    }
    case "forget_snapshots":
      return await forgetSnapshots(ctx, message.payload);
    case "prune_begin":
      return await beginPrune(ctx);
    case "prune_live":
      return await addLive(ctx, message.payload);
    case "prune_run":
      return await runPrune(ctx, message.payload);
    default:
      throw new BurrowError("PROTOCOL", `Cannot handle "${message.type}" after login`);
  }
}

/**
 * Stores a batch of blobs within the account's quota (all or none of its new ones), and counts
 * it for the commit's log line; the first refusal since the last commit is logged.
 */
async function putChunks(ctx: HandlerContext, blobs: IdentifiedBlob[]): Promise<Reply> {
  const repository = await ctx.repository();
  await ctx.claims.enterPush(repository, "store chunks");
  const chunks = repository.chunks;
  let received = 0;
  for (const { blob } of blobs) received += blob.length;
  try {
    const { stored, bytes } = await putWithinQuota(chunks, blobs, ctx.limits.quota);
    ctx.uploads.add(blobs.length, received, stored, bytes);
    return { type: "put_ok", payload: { stored, bytes } };
  } catch (error) {
    if (error instanceof QuotaExceededError && ctx.uploads.refused()) {
      ctx.logger.warn("chunks refused: quota exceeded", {
        user: ctx.user,
        stored: chunks.storedBytes,
        quota: ctx.limits.quota ?? undefined,
      });
    }
    throw error;
  }
}

/**
 * A new password: the key wrapped for it is stored first, the user store's update commits the
 * change, then the old wrapped keys go. A crash at any step leaves a password that works with a
 * key that opens the repository.
 */
async function changePassword(
  ctx: HandlerContext,
  payload: Payloads["change_password"],
): Promise<Reply> {
  const repository = await ctx.repository();
  const current = await ctx.accounts.kdfOf(ctx.user);
  if (payload.wrappedKey === undefined) {
    if (await repository.readKey(current) !== null) {
      throw new BurrowError(
        "CONFLICT",
        "Cannot change the password: the repository key must be wrapped for the new password",
      );
    }
  } else {
    // The old wrapped keys are removed below: that replaces the key.
    refuseIfAppendOnly(ctx.limits, "replace the repository key");
    await repository.writeKey(payload.kdf, payload.wrappedKey, { createNew: false });
  }
  await ctx.accounts.changePassword(ctx.user, payload.kdf, payload.authKey);
  if (payload.wrappedKey !== undefined) await repository.removeKeysExcept(payload.kdf);
  return { type: "ok", payload: {} };
}

/**
 * The user's snapshot records, the ones that cannot be sent (unreadable, or a size no record can
 * have: the client names them and goes on), and how many chunks the store knows are lost.
 */
async function listSnapshots(ctx: HandlerContext, repository: UserRepository): Promise<Reply> {
  const listing = await repository.listSnapshots();
  const unreadable = [...listing.unreadable];
  const snapshots = listing.snapshots.filter(({ id, record }) => {
    const reason = record.length === 0
      ? "its record file is empty"
      : record.length > MAX_SNAPSHOT_RECORD
      ? `its record file is larger than ${MAX_SNAPSHOT_RECORD} bytes`
      : undefined;
    if (reason !== undefined) {
      ctx.logger.error("snapshot record cannot be sent", { user: ctx.user, snapshot: id, reason });
      unreadable.push({ id, reason });
    }
    return reason === undefined;
  });
  const payload: Payloads["snapshots"] = { snapshots };
  if (unreadable.length > 0) payload.unreadable = unreadable.sort((a, b) => (a.id < b.id ? -1 : 1));
  const damaged = repository.chunks.damaged;
  if (damaged > 0) payload.damagedChunks = damaged;
  return { type: "snapshots", payload };
}

/**
 * One page of the ids, copied from the store's order straight into the reply: no sort and one
 * buffer per page, whatever the repository holds.
 */
function listChunks(repository: UserRepository, after: Uint8Array | undefined): Reply {
  const chunks = repository.chunks;
  const page = new ChunkIdsPayloadWriter(Math.max(1, Math.min(ID_PAGE, chunks.size)));
  const { count, more } = chunks.listInto(after, page.ids);
  return { type: "chunk_ids", encoded: page.finish(count, more) };
}

/**
 * A prefix of the asked blobs and the asked ids the server cannot provide: missing ones, and
 * damaged ones (logged for the operator by the store with where they are; the client, which
 * verifies every chunk anyway, reports the file they belong to). The blobs are read from their packs straight
 * into the reply's buffer.
 */
async function getChunks(
  repository: UserRepository,
  ids: Uint8Array[],
): Promise<Reply> {
  const chunks = repository.chunks;
  if (chunks.refresh !== undefined && ids.some((id) => chunks.lengthOf(id) === undefined)) {
    await chunks.refresh();
  }
  const wanted: { id: Uint8Array; length: number }[] = [];
  const missing: Uint8Array[] = [];
  let blobBytes = 0;
  for (const id of ids) {
    const length = chunks.lengthOf(id);
    if (length === undefined) {
      missing.push(id);
      continue;
    }
    // The first blob always goes (one blob always fits a frame); later ones only while the
    // reply (each blob with its 36-byte id and length) stays under its budget, and the client
    // asks again for the rest.
    const used = blobBytes + length + (wanted.length + 1) * 36;
    if (wanted.length > 0 && used > CHUNKS_REPLY_BUDGET) break;
    wanted.push({ id, length });
    blobBytes += length;
  }
  // On S3, the blobs of a reply are fetched together (neighbours in one GET, several GETs at once).
  chunks.prefetch?.(wanted.map(({ id }) => id));
  const reply = new ChunksPayloadWriter(blobBytes, wanted.length, ids.length);
  for (const { id, length } of wanted) {
    try {
      await reply.addBlob(id, length, (target) => chunks.readInto(id, target));
    } catch (error) {
      // Deleted since it was looked up, or damaged (the store logged where): the client hears
      // it is missing.
      if (!(error instanceof IntegrityError) && !(error instanceof NotFoundError)) throw error;
      missing.push(id);
    }
  }
  for (const id of missing) reply.addMissing(id);
  return { type: "chunks", encoded: reply.finish() };
}
