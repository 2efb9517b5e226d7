/**
 * Worker fixtures for the worker pool tests, and a guard that turns a hang into a failure.
 *
 * @module
 */

/** A worker whose every reply (after `init`) fails to deserialize (`messageerror`). */
export const UNREADABLE_REPLY_WORKER = new URL("./unreadable_reply_worker.ts", import.meta.url)
  .href;

/**
 * `promise`'s outcome, or a rejection once `ms` milliseconds pass first: a test of something
 * that must not hang fails instead of waiting forever.
 */
export async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Cannot settle: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
