/**
 * One server per data folder: `burrow serve` holds an exclusive lock on DATA/serve.lock for as
 * long as it runs (the chunk stores assume a single writer; a second server opening the same
 * packs would remove the first one's unfinished packs). The operating system drops the lock
 * when the process ends, however it ends.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";

/** A held data-folder lock. */
export interface DataLock {
  release(): void;
}

/** Takes the lock or fails at once with a clear error naming the folder. */
export async function lockDataDir(dataDir: string, waitMs = 500): Promise<DataLock> {
  const file = await Deno.open(`${dataDir}/serve.lock`, { create: true, write: true, mode: 0o600 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((
    resolve,
  ) => (timer = setTimeout(() => resolve(false), waitMs)));
  const locked = await Promise.race([file.lock(true).then(() => true), timeout]);
  clearTimeout(timer);
  if (!locked) {
    file.close();
    throw new ConfigError(`Cannot start the server: another burrow serve uses "${dataDir}"`);
  }
  return { release: () => file.close() };
}
