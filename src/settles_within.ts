/**
 * Waiting for something with a bound.
 *
 * @module
 */

/**
 * Whether `work` settles (resolves or rejects) within `ms`. Never rejects; the timer is cleared
 * as soon as `work` settles, so it keeps no process alive.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
