/**
 * The message protocol between {@link HashPool} and its workers, and the job runner a worker
 * calls. A request's secret buffer is transferred (not copied) and zeroed after use.
 *
 * @module
 */

import type { HashParams } from "./hash_params.ts";
import { hashSecret, verifySecret } from "./password_hash.ts";

/** One job sent to a worker. */
export type HashJobRequest =
  | { id: number; op: "hash"; secret: Uint8Array; params: HashParams }
  | { id: number; op: "verify"; secret: Uint8Array; phc: string };

/** A worker's answer to one job; errors travel as name and message (never a secret). */
export type HashJobResponse =
  | { id: number; ok: true; value: string | boolean }
  | { id: number; ok: false; errorName: string; message: string };

/** Runs one job; never rejects: failures become `ok: false` answers. */
export async function runHashJob(request: HashJobRequest): Promise<HashJobResponse> {
  try {
    const value = request.op === "hash"
      ? await hashSecret(request.secret, request.params)
      : await verifySecret(request.secret, request.phc);
    return { id: request.id, ok: true, value };
  } catch (error) {
    const errorName = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    return { id: request.id, ok: false, errorName, message };
  } finally {
    if (request.secret instanceof Uint8Array) request.secret.fill(0);
  }
}

/** The parts of a worker's global scope this protocol uses. */
export interface HashWorkerScope {
  onmessage: ((event: MessageEvent<HashJobRequest>) => void) | null;
  postMessage(message: HashJobResponse): void;
}
