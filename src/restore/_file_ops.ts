/**
 * The file operations of a restore, with sync calls, for whichever thread writes files: a restore
 * worker (`restore_worker.ts`) or, for a restore of a few files, the restorer's own thread
 * (`_inline_files.ts`). A file is created under its temp name (never through a link), filled with
 * verified bytes and holes, given its owner, mode and mtime, and only then renamed over its final
 * name; a file that is aborted or fails is closed and its temp name removed.
 *
 * @module
 */
import { setModificationTime } from "../fs_times.ts";
import type { OpenOp } from "./_restore_messages.ts";
import { writeAllSync } from "./write_all.ts";

interface OpenFile {
  handle: Deno.FsFile;
  temp: string;
  path: string;
  mode: number;
  /** Whether creating the file left its mode different from `mode`. */
  needsChmod: boolean;
  mtimeNs: bigint;
  /** Whether the last operation left a hole, so the file's length must be set at close. */
  endsInHole: boolean;
  owner: { uid: number; gid: number } | undefined;
}

/** The files one thread has open, by the number the restorer gave each. */
export class FileOps {
  readonly #open = new Map<number, OpenFile>();
  readonly #umask: number | null;

  /** @param umask the process umask, or null when unknown (every file then gets a chmod) */
  constructor(umask: number | null) {
    this.#umask = umask;
  }

  /** Creates `op.temp` (never following a link). @throws the file system's error */
  open(op: OpenOp): void {
    // Created with its own permission bits: when the umask keeps them all (and there are no
    // setuid, setgid or sticky bits), the chmod at close is not needed. The partial file is no
    // more readable than the finished one will be.
    const umask = this.#umask;
    const created = umask === null ? 0o600 : op.mode & 0o777;
    const handle = Deno.openSync(op.temp, { write: true, createNew: true, mode: created });
    this.#open.set(op.file, {
      handle,
      temp: op.temp,
      path: op.path,
      mode: op.mode,
      needsChmod: umask === null || (created & ~umask) !== (op.mode & 0o7777),
      mtimeNs: op.mtimeNs,
      endsInHole: false,
      owner: op.owner,
    });
  }

  /** Appends `bytes` to `file`. */
  write(file: number, bytes: Uint8Array): void {
    const open = this.#fileOf(file);
    writeAllSync(open.handle, bytes);
    open.endsInHole = false;
  }

  /** Leaves `length` zero bytes of `file` as a hole (a seek past them). */
  hole(file: number, length: number): void {
    const open = this.#fileOf(file);
    open.handle.seekSync(length, Deno.SeekMode.Current);
    open.endsInHole = true;
  }

  /** Gives `file` its length, owner, mode and mtime, closes it and renames it into place. */
  close(file: number): void {
    const open = this.#fileOf(file);
    const { handle, temp } = open;
    if (open.endsInHole) handle.truncateSync(handle.seekSync(0, Deno.SeekMode.Current));
    // Before the mode: a change of owner clears setuid and setgid bits.
    if (open.owner !== undefined) Deno.chownSync(temp, open.owner.uid, open.owner.gid);
    if (open.needsChmod) Deno.chmodSync(temp, open.mode);
    handle.close();
    setModificationTime(temp, open.mtimeNs);
    Deno.renameSync(temp, open.path);
    this.#open.delete(file);
  }

  /** Closes and removes `file`'s temp copy, if it has one. Never throws. */
  discard(file: number): void {
    const open = this.#open.get(file);
    if (open === undefined) return;
    this.#open.delete(file);
    try {
      open.handle.close();
    } catch {
      // Already closed.
    }
    try {
      Deno.removeSync(open.temp);
    } catch {
      // Never created, or already gone.
    }
  }

  #fileOf(file: number): OpenFile {
    const open = this.#open.get(file);
    if (open === undefined) throw new Error(`Cannot write file ${file}: it is not open`);
    return open;
  }
}

/** The process umask, or null where it cannot be read (Windows). Reading it sets it to 0 for a moment: read it before any worker starts. */
export function currentUmask(): number | null {
  try {
    return Deno.umask();
  } catch {
    return null;
  }
}
