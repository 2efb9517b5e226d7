/**
 * Raising the process's open-file limit: every connection holds a descriptor, and a soft limit
 * below the hard one (often 1024 against 500 000 or more) lets a few idle peers exhaust it.
 *
 * @module
 */
import type { Logger } from "../log.ts";
import { libc, RLIMIT_NOFILE } from "./_libc.ts";

const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/** A soft and a hard limit on open descriptors; null stands for unlimited. */
export interface DescriptorLimit {
  soft: number | null;
  hard: number | null;
}

/**
 * Raises the soft RLIMIT_NOFILE to the hard limit (to the kernel's `nr_open` when the hard one is
 * unlimited) and logs the limit in force at info. Skips, with a warning, where libc is not
 * available or the call fails: the server starts either way.
 * @returns the limit in force afterwards, or null where it could not be read
 */
export function raiseDescriptorLimit(logger: Logger): DescriptorLimit | null {
  const binding = libc();
  if (binding.symbols === null) {
    logger.warn("descriptor limit unchanged", { reason: binding.reason });
    return null;
  }
  const { symbols } = binding;
  const limit = new BigUint64Array(2);
  const bytes = new Uint8Array(limit.buffer);
  if (symbols.getrlimit(RLIMIT_NOFILE, bytes) !== 0) {
    logger.warn("descriptor limit unchanged", { reason: "getrlimit failed" });
    return null;
  }
  const [soft = 0n, hard = 0n] = limit;
  const target = hard === RLIM_INFINITY ? kernelMaximum() ?? soft : hard;
  if (target > soft) {
    limit[0] = target;
    if (symbols.setrlimit(RLIMIT_NOFILE, bytes) !== 0) {
      limit[0] = soft;
      logger.warn("cannot raise the descriptor limit", { soft: show(soft), hard: show(hard) });
    }
  }
  const result = { soft: asNumber(limit[0] ?? soft), hard: asNumber(hard) };
  logger.info("descriptor limit", { soft: result.soft ?? "unlimited", hard: show(hard) });
  return result;
}

/** The most descriptors one process may have (`/proc/sys/fs/nr_open`), or null. */
function kernelMaximum(): bigint | null {
  try {
    return BigInt(Deno.readTextFileSync("/proc/sys/fs/nr_open").trim());
  } catch {
    return null;
  }
}

function asNumber(value: bigint): number | null {
  return value === RLIM_INFINITY ? null : Number(value);
}

function show(value: bigint): number | string {
  return asNumber(value) ?? "unlimited";
}
