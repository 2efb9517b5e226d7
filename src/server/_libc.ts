/**
 * The few libc calls Deno has no API for (descriptor limits, socket addresses, socket shutdown and
 * options), bound once through FFI. Linux only: elsewhere, or where libc cannot be loaded, `libc()` says
 * why, and callers skip what needs it. Nothing here closes a descriptor.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";

const SYMBOLS = {
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
} as const;

/** The bound libc functions; each returns 0 on success and -1 on failure, as in C. */
export type LibcSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** `libc()`'s answer: the functions, or why they are not available. */
export type LibcBinding = { symbols: LibcSymbols } | { symbols: null; reason: string };

/** Linux's RLIMIT_NOFILE resource number. */
export const RLIMIT_NOFILE = 7;
/** `shutdown(2)`'s SHUT_RDWR. */
export const SHUT_RDWR = 2;
/** `setsockopt(2)`'s level for TCP options. */
export const IPPROTO_TCP = 6;
/** The TCP option that turns Nagle's algorithm off. */
export const TCP_NODELAY = 1;

let binding: LibcBinding | undefined;

/** Loads libc once per process; later calls return the same answer. Never throws. */
export function libc(): LibcBinding {
  binding ??= load();
  return binding;
}

function load(): LibcBinding {
  if (Deno.build.os !== "linux") {
    return { symbols: null, reason: `not on Linux (${Deno.build.os})` };
  }
  try {
    return { symbols: Deno.dlopen("libc.so.6", SYMBOLS).symbols };
  } catch (error) {
    return { symbols: null, reason: `cannot load libc.so.6: ${errorMessage(error)}` };
  }
}
