/**
 * Blobs set aside as damaged: found so on read (their record failed its checks) or reported by a
 * client (the blob did not open under the user's key). Each is a (pack, id) pair, one
 * `PACKNAME IDHEX` line in `chunks/quarantine`, rewritten atomically whenever the set grows.
 *
 * Invariant: a pair is durable here before the store stops listing the id, and open leaves every
 * pair out of the index; so a set-aside blob is never served or listed again, and the next push
 * stores its id anew (in another pack). The record stays where it was; a prune reclaims it.
 *
 * @module
 */
import { writeFileAtomic } from "../atomic_file.ts";
import { CHUNK_ID_BYTES, toHex } from "../format/chunk_id.ts";
import type { Logger } from "../log.ts";
import { PACK_NAME } from "./_pack_layout.ts";

/** Most pairs kept: a client cannot make the server hold an unbounded list. */
export const MAX_QUARANTINED = 100_000;

/** One blob set aside: the pack its damaged record is in, and its id. */
export interface QuarantinedBlob {
  pack: string;
  id: Uint8Array;
}

const LINE = /^([0-9a-f]{32}) ([0-9a-f]{64})$/;

/** Stores the quarantine's text durably and atomically (a file, an object). */
export type SaveQuarantine = (text: string) => Promise<void>;

/** The quarantine of one pack store. */
export class Quarantine {
  readonly #save: SaveQuarantine;
  readonly #pairs: Set<string>;

  private constructor(save: SaveQuarantine, pairs: Set<string>) {
    this.#save = save;
    this.#pairs = pairs;
  }

  /** Reads `root/quarantine` (none yet: empty); a line that does not parse is logged and dropped. */
  static async load(root: string, logger: Logger): Promise<Quarantine> {
    const path = `${root}/quarantine`;
    let text = "";
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return Quarantine.parse(text, path, (next) => writeFileAtomic(path, next), logger);
  }

  /**
   * The quarantine kept as `text` at `where` (named in logs), saved with `save`; a line that does
   * not parse is logged and dropped.
   */
  static parse(text: string, where: string, save: SaveQuarantine, logger: Logger): Quarantine {
    const pairs = new Set<string>();
    for (const line of text.split("\n")) {
      if (line === "") continue;
      if (LINE.test(line) && PACK_NAME.test(line.slice(0, 32))) pairs.add(line);
      else {logger.error("quarantine line does not parse: dropped", {
          path: where,
          line: line.slice(0, 100),
        });}
    }
    return new Quarantine(save, pairs);
  }

  /** Number of pairs. */
  get size(): number {
    return this.#pairs.size;
  }

  /** Whether the record of `id` in pack `pack` is set aside. */
  has(pack: string, id: Uint8Array): boolean {
    return this.#pairs.size > 0 && this.#pairs.has(`${pack} ${toHex(id)}`);
  }

  /**
   * Adds `blobs` durably and resolves to the ones added: not those already set aside, nor any
   * beyond `MAX_QUARANTINED` pairs.
   */
  async add(blobs: readonly QuarantinedBlob[]): Promise<QuarantinedBlob[]> {
    const added: QuarantinedBlob[] = [];
    const lines: string[] = [];
    for (const blob of blobs) {
      if (blob.id.length !== CHUNK_ID_BYTES || !PACK_NAME.test(blob.pack)) continue;
      const line = `${blob.pack} ${toHex(blob.id)}`;
      if (this.#pairs.has(line) || lines.includes(line)) continue;
      if (this.#pairs.size + lines.length >= MAX_QUARANTINED) break;
      added.push(blob);
      lines.push(line);
    }
    if (lines.length === 0) return added;
    const text = [...this.#pairs, ...lines].map((line) => `${line}\n`).join("");
    await this.#save(text);
    for (const line of lines) this.#pairs.add(line);
    return added;
  }
}
