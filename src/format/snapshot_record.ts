/**
 * Snapshot records on the wire and at rest: JSON sealed under the user's data key, bound by
 * the blob's AAD to an id derived from the snapshot id, so the server can neither read a record
 * nor pass one snapshot's record off as another's. Parsing treats the decrypted JSON as hostile
 * anyway and checks every field.
 *
 * @module
 */
import { IntegrityError } from "../errors.ts";
import { SET_NAME_PATTERN, SNAPSHOT_ID_PATTERN } from "../names.ts";
import { BlobOpener, BlobSealer, chunkId } from "./blob_crypto.ts";
import type { RepositoryKeys } from "./master_key.ts";
import { validateOwner } from "./_manifest_rules.ts";
import type { EntryOwner, SnapshotRecord, SnapshotSummary } from "./snapshot_model.ts";

const SUMMARY_FIELDS: readonly (keyof SnapshotSummary)[] = [
  "files",
  "dirs",
  "symlinks",
  "bytes",
  "filesNew",
  "filesChanged",
  "filesUnchanged",
  "filesRemoved",
  "bytesRead",
  "bytesSent",
  "bytesStored",
  "warnings",
];
/**
 * The fields of a version 2 record (`rootOwner` may be absent); version 1 had `rootMtimeMs` (a
 * number) instead.
 */
const RECORD_FIELDS = [
  "version",
  "id",
  "set",
  "time",
  "host",
  "source",
  "rootType",
  "rootMode",
  "rootMtimeNs",
  "rootOwner",
  "parent",
  "manifest",
  "summary",
];
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const HEX_ID = /^[0-9a-f]{64}$/;
/** A time in nanoseconds as a decimal string: signed, at most 20 digits. */
const NANOSECONDS = /^-?\d{1,20}$/;

/** The 32-byte blob id a snapshot record is sealed under. */
export function snapshotBlobId(keys: RepositoryKeys, snapshotId: string): Uint8Array {
  return chunkId(keys.idKey, new TextEncoder().encode(`burrow snapshot ${snapshotId}`));
}

/** Seals a record for `commit_snapshot` (JSON; the root's time as a decimal string). */
export function sealSnapshotRecord(keys: RepositoryKeys, record: SnapshotRecord): Uint8Array {
  const wire = { ...record, rootMtimeNs: String(record.rootMtimeNs) };
  const json = new TextEncoder().encode(JSON.stringify(wire));
  return new BlobSealer(keys.dataKey).seal(snapshotBlobId(keys, record.id), json, false);
}

/** Opens and checks a sealed record. @throws {IntegrityError} when it does not verify or parse */
export function openSnapshotRecord(
  keys: RepositoryKeys,
  snapshotId: string,
  sealed: Uint8Array,
): SnapshotRecord {
  const { payload } = new BlobOpener(keys.dataKey).open(snapshotBlobId(keys, snapshotId), sealed);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    throw new IntegrityError(`Cannot read snapshot ${snapshotId}: its record is not JSON`);
  }
  const record = checkRecord(value, snapshotId);
  if (record === null) {
    throw new IntegrityError(`Cannot read snapshot ${snapshotId}: its record is malformed`);
  }
  return record;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Whether `owner` is absent or a valid owner of just its four fields (see `validateOwner`). */
function isOwner(owner: unknown): boolean {
  if (owner === undefined) return true;
  if (typeof owner !== "object" || owner === null || Object.keys(owner).length !== 4) return false;
  try {
    validateOwner(owner as EntryOwner);
    return true;
  } catch {
    return false;
  }
}

function isText(v: unknown, max: number): v is string {
  // deno-lint-ignore no-control-regex
  return typeof v === "string" && v.length >= 1 && v.length <= max && !/[\u0000-\u001f]/.test(v);
}

/**
 * The record in `value` if every field checks out, else null. A version 1 record (its root's time
 * in milliseconds, `rootMtimeMs`) is read as version 2.
 */
function checkRecord(value: unknown, snapshotId: string): SnapshotRecord | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const r = { ...value } as Record<string, unknown>;
  if (r.version === 1 && typeof r.rootMtimeMs === "number" && Number.isFinite(r.rootMtimeMs)) {
    const ms = r.rootMtimeMs;
    r.rootMtimeNs = String(BigInt(Math.round(ms * 1000)) * 1000n);
    r.version = 2;
    delete r.rootMtimeMs;
  }
  if (Object.keys(r).some((k) => !RECORD_FIELDS.includes(k))) return null;
  const summary = r.summary as Record<string, unknown> | null;
  const ok = r.version === 2 && r.id === snapshotId && SNAPSHOT_ID_PATTERN.test(snapshotId) &&
    typeof r.set === "string" && SET_NAME_PATTERN.test(r.set) &&
    typeof r.time === "string" && TIME.test(r.time) && isText(r.host, 256) &&
    isText(r.source, 4096) && (r.rootType === "file" || r.rootType === "dir") &&
    isCount(r.rootMode) && r.rootMode <= 0o7777 &&
    typeof r.rootMtimeNs === "string" && NANOSECONDS.test(r.rootMtimeNs) && isOwner(r.rootOwner) &&
    (r.parent === null || (typeof r.parent === "string" && SNAPSHOT_ID_PATTERN.test(r.parent))) &&
    Array.isArray(r.manifest) && r.manifest.length <= 1_000_000 &&
    r.manifest.every((id) => typeof id === "string" && HEX_ID.test(id)) &&
    typeof summary === "object" && summary !== null &&
    Object.keys(summary).length === SUMMARY_FIELDS.length &&
    SUMMARY_FIELDS.every((f) => isCount(summary[f]));
  if (!ok) return null;
  return { ...(r as unknown as SnapshotRecord), rootMtimeNs: BigInt(r.rootMtimeNs as string) };
}
