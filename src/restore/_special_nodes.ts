/**
 * Makes fifos and device nodes with `mknod(2)`, bound from libc through FFI once per process
 * (Deno has no call for it). Linux only: elsewhere, or where libc cannot be loaded, every call
 * throws, saying why. A fifo can be made by anyone; a device only by root (CAP_MKNOD).
 *
 * @module
 */
import type { DeviceNumbers } from "../format/snapshot_model.ts";

const SYMBOLS = {
  mknod: { parameters: ["buffer", "u32", "u64"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The kinds of node `makeNode` makes, with their file type bits. */
const TYPE_BITS = { fifo: 0o010000, chardev: 0o020000, blockdev: 0o060000 } as const;

/** A kind of node `makeNode` makes. */
export type NodeType = keyof typeof TYPE_BITS;

/** Linux errno values a restore explains. */
const EPERM = 1;
const EEXIST = 17;

let binding: Symbols | string | undefined;

function libc(): Symbols | string {
  if (binding !== undefined) return binding;
  if (Deno.build.os !== "linux") return binding = `not on Linux (${Deno.build.os})`;
  try {
    binding = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch (error) {
    binding = `cannot load libc.so.6: ${error instanceof Error ? error.message : String(error)}`;
  }
  return binding;
}

/** glibc's `makedev`: a `dev_t` of a major and a minor number. */
function deviceId(device: DeviceNumbers | undefined): bigint {
  if (device === undefined) return 0n;
  const major = BigInt(device.major);
  const minor = BigInt(device.minor);
  return ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) |
    ((minor & ~0xffn) << 12n);
}

/**
 * Makes a fifo or a device node at `path` (never following a link: nothing may be there), with
 * permission bits 0o600 (the caller sets the mode it wants afterwards).
 *
 * @throws {Deno.errors.PermissionDenied} when this user may not make it (a device, not as root)
 * @throws {Deno.errors.AlreadyExists} when something is at `path`
 * @throws {Deno.errors.NotSupported} where libc's mknod cannot be reached
 * @throws {Error} for any other failure, naming its errno
 */
export function makeNode(path: string, type: NodeType, device?: DeviceNumbers): void {
  const lib = libc();
  if (typeof lib === "string") throw new Deno.errors.NotSupported(`Cannot make a ${type}: ${lib}`);
  const name = new TextEncoder().encode(`${path}\0`);
  if (lib.mknod(name, TYPE_BITS[type] | 0o600, deviceId(device)) === 0) return;
  const where = lib.__errno_location();
  const errno = where === null ? 0 : new Deno.UnsafePointerView(where).getInt32();
  if (errno === EPERM) {
    throw new Deno.errors.PermissionDenied(`Cannot make a ${type}: operation not permitted`);
  }
  if (errno === EEXIST) throw new Deno.errors.AlreadyExists(`Cannot make a ${type}: it exists`);
  throw new Error(`Cannot make a ${type}: mknod failed (errno ${errno})`);
}
