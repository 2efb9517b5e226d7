/**
 * An advisory lock between processes: a lock file created with O_EXCL (`createNew`) that holds
 * "PID TOKEN". A lock whose process is gone is stale and is broken by the next writer.
 *
 * @module
 */
import process from "node:process";
import { StoreError } from "../errors.ts";

/** How long to wait for a lock before giving up. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5000;
/** A lock file still empty after this long was left by a process that died while creating it. */
const EMPTY_LOCK_STALE_MS = 2000;
/** Tokens of the locks this process holds; tells our own live locks from a dead namesake's. */
const heldTokens = new Set<string>();

/** Options of `FileLock.acquire`. */
export interface FileLockOptions {
  /** Give up after this many milliseconds (default `DEFAULT_LOCK_TIMEOUT_MS`). */
  timeoutMs?: number;
}

/** A held lock file; release it in a `finally`. */
export class FileLock {
  readonly #path: string;
  readonly #content: string;
  readonly #token: string;

  private constructor(path: string, content: string, token: string) {
    this.#path = path;
    this.#content = content;
    this.#token = token;
  }

  /**
   * Takes the lock at `path`, waiting with short sleeps while another live process holds it and
   * breaking it when its process is gone.
   * @param action what the lock protects, for the error message ("write user store \"x\"").
   * @throws {StoreError} "Cannot ACTION: locked by process N" after the timeout.
   */
  static async acquire(
    path: string,
    action: string,
    options: FileLockOptions = {},
  ): Promise<FileLock> {
    const token = crypto.randomUUID();
    const content = `${Deno.pid} ${token}\n`;
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    // The token counts as held before the file exists: another instance in this process that
    // reads the new file must not take it for a dead namesake's lock and break it.
    heldTokens.add(token);
    try {
      return await FileLock.#acquireLoop(path, content, token, action, deadline);
    } catch (error) {
      heldTokens.delete(token);
      throw error;
    }
  }

  /** Removes the lock file when it is still ours; idempotent. */
  async release(): Promise<void> {
    if (!heldTokens.has(this.#token)) return;
    try {
      if (await readOrNull(this.#path) === this.#content) await Deno.remove(this.#path);
    } finally {
      heldTokens.delete(this.#token);
    }
  }

  /** Tries to create the lock file until it succeeds, breaking stale locks, or the deadline. */
  static async #acquireLoop(
    path: string,
    content: string,
    token: string,
    action: string,
    deadline: number,
  ): Promise<FileLock> {
    for (;;) {
      if (await createExclusive(path, content)) return new FileLock(path, content, token);
      const seen = await readOrNull(path);
      if (seen !== null && await isStale(path, seen) && await breakStale(path, seen)) continue;
      if (Date.now() >= deadline) {
        throw new StoreError(`Cannot ${action}: locked by process ${ownerPid(seen ?? "")}`);
      }
      await sleep(5 + Math.random() * 20);
    }
  }
}

/** Creates `path` holding `content`; false when it already exists. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  }
  try {
    await file.write(new TextEncoder().encode(content));
  } catch (error) {
    file.close();
    await removeIfExists(path);
    throw error;
  }
  file.close();
  return true;
}

/** The text of `path`, or null when it does not exist. */
async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** The pid written in a lock file, or "unknown". */
function ownerPid(content: string): string {
  const match = /^(\d+) (\S+)\n$/.exec(content);
  return match?.[1] ?? "unknown";
}

/** True when the lock holding `content` was left by a process that is gone. */
async function isStale(path: string, content: string): Promise<boolean> {
  const match = /^(\d+) (\S+)\n$/.exec(content);
  if (match === null) {
    // Empty or torn: its creator is between open and write, or died there.
    const mtime = (await Deno.stat(path).catch(() => null))?.mtime;
    return mtime !== null && mtime !== undefined &&
      Date.now() - mtime.getTime() > EMPTY_LOCK_STALE_MS;
  }
  const pid = Number(match[1]);
  if (pid === Deno.pid) return !heldTokens.has(match[2] ?? "");
  return !isAlive(pid);
}

/** True unless the system says no process `pid` exists (EPERM means it exists). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code !== "ESRCH";
  }
}

/**
 * Removes the stale lock at `path` if it still holds `seen`; true when the caller should try
 * again at once. A guard lock (`PATH.break`) keeps two breakers from racing, where the slower one
 * would remove the lock the faster one has just taken.
 */
async function breakStale(path: string, seen: string): Promise<boolean> {
  const guard = `${path}.break`;
  const token = crypto.randomUUID();
  heldTokens.add(token);
  let created = false;
  try {
    created = await createExclusive(guard, `${Deno.pid} ${token}\n`);
    if (created && await readOrNull(path) === seen) await removeIfExists(path);
  } finally {
    if (created) await removeIfExists(guard);
    heldTokens.delete(token);
  }
  if (created) return true;
  // Another breaker holds the guard; it only holds it for a moment unless it died.
  const other = await readOrNull(guard);
  if (other === null || !await isStale(guard, other)) return false;
  await removeIfExists(guard);
  return true;
}

/** Removes `path`; a file already gone is fine, any other failure is thrown. */
async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Resolves after `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
