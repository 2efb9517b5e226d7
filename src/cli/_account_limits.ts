/**
 * The limits an administrator sets on an account (`useradd`, `usermod`) and how the admin
 * commands show them, so every command names them the same way.
 *
 * @module
 */
import { formatSize } from "../display.ts";
import type { UserRecord } from "../users/user_store.ts";
import type { FlagSpec } from "./command.ts";

/** The `--quota SIZE` flag of `useradd` and `usermod`. */
export const QUOTA_FLAG: FlagSpec = {
  type: "string",
  value: "SIZE",
  help: "Most bytes the account may store, e.g. 50GiB, 500MB, 1.5TiB (usermod: or none)",
};

/** The limits of `record` as a phrase, e.g. "append-only, quota 50 GiB, disabled"; "" for none. */
export function describeLimits(
  record: Pick<UserRecord, "appendOnly" | "quota" | "disabled">,
): string {
  const parts: string[] = [];
  if (record.appendOnly) parts.push("append-only");
  if (record.quota !== null) parts.push(`quota ${formatSize(record.quota)}`);
  if (record.disabled) parts.push("disabled");
  return parts.join(", ");
}
