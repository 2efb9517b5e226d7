/**
 * The manifest's constants, shared by its encoder and decoder (the format is described in
 * `manifest_codec.ts`).
 *
 * @module
 */

/** The 8 bytes every manifest this version writes starts with. */
export const MANIFEST_MAGIC: Uint8Array = new TextEncoder().encode("BRWMAN03");
/** The magic of version 2 manifests (no owners, no hard links or special files), still read. */
export const MANIFEST_MAGIC_V2: Uint8Array = new TextEncoder().encode("BRWMAN02");
/** The magic of version 1 manifests (as version 2, mtime in milliseconds), still read. */
export const MANIFEST_MAGIC_V1: Uint8Array = new TextEncoder().encode("BRWMAN01");

/** Type codes of version 1 and 2 manifests: file, dir, symlink. */
export const OLD_TYPE_COUNT = 3;
/** Bytes of a record from the mode to the chunk count: u32 + i64 + 2 × f64 + u32. */
export const FIXED_BYTES = 4 + 8 + 8 + 8 + 4;
/** The flags bit that says an owner follows the target. */
export const HAS_OWNER = 1;
