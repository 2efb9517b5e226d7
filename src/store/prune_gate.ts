/**
 * The concurrency rule between pushes and prunes of one repository: a reader/writer gate. A
 * push holds it shared from its first `list_chunks` or `put_chunks` until its commit (or the end
 * of its session); a prune holds it exclusively from `prune_begin`, before its client reads the
 * snapshot list, until `prune_run` ends. So no snapshot is committed while a prune decides what
 * is live, and no chunk a push was told is stored can be deleted before that push commits.
 *
 * Invariants: a prune never holds the gate while a push does. A prune waiting for pushes to end
 * keeps new pushes out (they are refused with BUSY at once, not queued), so it cannot starve.
 * `epoch` counts finished prunes that may have deleted chunks: a session that listed chunks
 * before a prune finished must not commit after it (its listing may name deleted chunks).
 *
 * @module
 */
import { BurrowError } from "../errors.ts";

/** How long a prune waits for running pushes by default. */
export const DEFAULT_PRUNE_WAIT_MS = 30_000;

/**
 * The same rule across the servers of a service (`postgres/postgres_gate.ts`), held beside the
 * server's own `PruneGate`: entered after it, left before it.
 */
export interface ServiceGate {
  /** Holds the gate shared for a push. @throws {BurrowError} BUSY while a prune runs or waits */
  enterPush(action: string): Promise<() => Promise<void>>;
  /** Holds it exclusively once no push runs anywhere. @throws {BurrowError} BUSY */
  enterPrune(waitMs: number): Promise<() => Promise<void>>;
}

/** The push/prune gate of one repository (shared by every session of its user). */
export class PruneGate {
  #pushes = 0;
  #prune: "waiting" | "running" | null = null;
  #epoch = 0;
  #drained: (() => void) | null = null;

  /** Finished prunes that deleted chunks, since the repository was opened. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Enters as a push; call the returned function once to leave.
   * @throws {BurrowError} BUSY when a prune is running or waiting to run
   */
  enterPush(action: string): () => void {
    if (this.#prune !== null) {
      throw new BurrowError(
        "BUSY",
        `Cannot ${action}: a prune of this repository is running; try again when it is done`,
      );
    }
    this.#pushes++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.#pushes === 0) this.#drained?.();
    };
  }

  /**
   * Enters as the prune, once no push holds the gate; call the returned function once to
   * leave, with `deleted` true when the prune may have deleted chunks.
   * @throws {BurrowError} BUSY when another prune holds or waits for the gate, or pushes still
   *   hold it after `waitMs`
   */
  async enterPrune(waitMs = DEFAULT_PRUNE_WAIT_MS): Promise<(deleted: boolean) => void> {
    if (this.#prune !== null) {
      throw new BurrowError("BUSY", "Cannot prune: another prune of this repository is running");
    }
    this.#prune = "waiting";
    if (this.#pushes > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = new Promise<boolean>((resolve) => {
        this.#drained = () => resolve(true);
        timer = setTimeout(() => resolve(false), waitMs);
      });
      const ok = await drained;
      clearTimeout(timer);
      this.#drained = null;
      if (!ok) {
        this.#prune = null;
        throw new BurrowError(
          "BUSY",
          "Cannot prune: a push to this repository is still running; try again when it is done",
        );
      }
    }
    this.#prune = "running";
    let left = false;
    return (deleted) => {
      if (left) return;
      left = true;
      if (deleted) this.#epoch++;
      this.#prune = null;
    };
  }
}
