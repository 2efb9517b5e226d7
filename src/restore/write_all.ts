/**
 * One sync write loop, in a module of its own so that the restore workers load nothing else.
 *
 * @module
 */

/** Writes all of `bytes` to `file`. */
export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}
