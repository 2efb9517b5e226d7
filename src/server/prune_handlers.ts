/**
 * Requests that remove data from the logged-in user's repository: `forget_snapshots` removes
 * snapshot records, and a prune (`prune_begin`, `prune_live`…, `prune_run`) removes the chunks
 * no remaining snapshot names, under the repository's prune gate (`store/prune_gate.ts`).
 * Each request starts with `refuseRemoval`, the one place an account rule that forbids removing
 * data is checked.
 *
 * @module
 */
import type { Payloads } from "../protocol/mod.ts";
import { refuseIfAppendOnly } from "./account_limits.ts";
import type { HandlerContext, Reply } from "./repository_handlers.ts";

/**
 * The check every removing request passes first: an append-only account is refused.
 * @throws {AppendOnlyError} when the account may not remove data
 */
function refuseRemoval(ctx: HandlerContext, action: string): void {
  refuseIfAppendOnly(ctx.limits, action);
}

/** `forget_snapshots`: removes the named snapshot records (every one must exist). */
export async function forgetSnapshots(
  ctx: HandlerContext,
  payload: Payloads["forget_snapshots"],
): Promise<Reply> {
  refuseRemoval(ctx, "forget snapshots");
  await (await ctx.repository()).forgetSnapshots(payload.ids);
  ctx.logger.info("snapshots forgotten", { user: ctx.user, snapshots: payload.ids.length });
  return { type: "ok", payload: {} };
}

/** `prune_begin`: takes the prune gate for this session, before the client lists snapshots. */
export async function beginPrune(ctx: HandlerContext): Promise<Reply> {
  refuseRemoval(ctx, "prune");
  await ctx.claims.beginPrune(await ctx.repository());
  return { type: "ok", payload: {} };
}

/** `prune_live`: one more part of the live chunk ids. */
export async function addLive(
  ctx: HandlerContext,
  payload: Payloads["prune_live"],
): Promise<Reply> {
  ctx.claims.addLive(await ctx.repository(), payload.ids);
  return { type: "ok", payload: {} };
}

/** `prune_run`: prunes with the live ids sent, then lets go of the gate. */
export async function runPrune(
  ctx: HandlerContext,
  payload: Payloads["prune_run"],
): Promise<Reply> {
  refuseRemoval(ctx, "prune");
  const repository = await ctx.repository();
  const live = ctx.claims.takeLive();
  const started = performance.now();
  let freed: number | null = null;
  try {
    const report = await repository.chunks.prune(live, {
      maxUnusedPercent: payload.maxUnused,
      dryRun: payload.dryRun,
    });
    freed = report.bytesBefore - report.bytesAfter;
    ctx.logger.info(payload.dryRun ? "prune dry run" : "prune finished", {
      user: ctx.user,
      ...report,
      bytesFreed: freed,
      seconds: Math.round(performance.now() - started) / 1000,
    });
    return { type: "pruned", payload: report };
  } finally {
    if (!payload.dryRun) ctx.metrics?.pruned(freed);
    await ctx.claims.endPrune(!payload.dryRun);
  }
}
