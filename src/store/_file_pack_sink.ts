/**
 * A pack's bytes in a file: written to `.pack.tmp`, then fsynced, renamed to `.pack` and the
 * folder fsynced, so a sealed pack file is always whole.
 *
 * @module
 */
import { syncDir } from "../atomic_file.ts";
import { PackPaths, packsDir } from "./_pack_layout.ts";
import { type PackSink, PackWriter } from "./_pack_writer.ts";
import type { WriteBudget } from "./_write_budget.ts";

/** Replaceable file operations, so tests can inject failures. */
export interface PackFileHooks {
  /** Makes a pack file's contents durable (fsync). */
  syncFile(file: Deno.FsFile, path: string): Promise<void>;
}

/** The file of one pack of the store in `root`. */
export class FilePackSink implements PackSink {
  /** The pack's file paths. */
  readonly paths: PackPaths;
  readonly #root: string;
  readonly #hooks: PackFileHooks;
  #file: Deno.FsFile | undefined;

  constructor(root: string, id: Uint8Array, hooks: PackFileHooks) {
    this.paths = new PackPaths(root, id);
    this.#root = root;
    this.#hooks = hooks;
  }

  /** Makes the pack's folder when missing and creates the temp file. */
  async open(): Promise<void> {
    try {
      await Deno.mkdir(this.paths.dir, { mode: 0o700 });
      await syncDir(packsDir(this.#root));
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    this.#file = await Deno.open(this.paths.temp, { write: true, createNew: true, mode: 0o600 });
  }

  /** Appends `bytes` to the temp file. */
  async write(bytes: Uint8Array): Promise<void> {
    const file = this.#file!;
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
  }

  /** Fsyncs the temp file, renames it to `.pack` and fsyncs its folder. */
  async seal(): Promise<void> {
    const file = this.#file!;
    await this.#hooks.syncFile(file, this.paths.temp);
    this.#file = undefined;
    file.close();
    await Deno.rename(this.paths.temp, this.paths.pack);
    await syncDir(this.paths.dir);
  }

  /** Closes the temp file; the caller removes it. */
  abort(): Promise<void> {
    this.#file?.close();
    this.#file = undefined;
    return Promise.resolve();
  }
}

/** A writer of a new pack file `id` in the store in `root`. */
export function filePackWriter(
  root: string,
  id: Uint8Array,
  budget: WriteBudget,
  hooks: PackFileHooks,
  onError: (error: unknown) => void,
): PackWriter<FilePackSink> {
  return new PackWriter(id, new FilePackSink(root, id, hooks), budget, onError);
}
