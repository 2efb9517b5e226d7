/**
 * The `--store s3://BUCKET/PREFIX` string: which bucket, and under which key prefix each user's
 * repository goes (`PREFIX/USER/CREATED/`). Both are checked against strict patterns before use.
 *
 * @module
 */

/** A parsed `s3://BUCKET/PREFIX`. */
export interface S3StoreSpec {
  bucket: string;
  /** Key prefix without a leading or trailing `/`; "" for the bucket's top. */
  prefix: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;
/** Longest prefix accepted, in characters. */
const MAX_PREFIX = 256;

/**
 * Parses `s3://BUCKET/PREFIX` (the prefix may be left out).
 * @throws {RangeError} naming what is wrong
 */
export function parseS3StoreSpec(spec: string): S3StoreSpec {
  const bad = (why: string) => new RangeError(`Invalid --store "${spec}": ${why}`);
  if (!spec.startsWith("s3://")) throw bad("expected s3://BUCKET/PREFIX");
  const [bucket = "", ...segments] = spec.slice("s3://".length).replace(/\/+$/, "").split("/");
  if (!BUCKET.test(bucket) || bucket.includes("..")) {
    throw bad("the bucket name must be 3-63 lower-case letters, digits, dots and hyphens");
  }
  const prefix = segments.join("/");
  if (prefix.length > MAX_PREFIX || !segments.every((segment) => SEGMENT.test(segment))) {
    throw bad(
      `the prefix must be up to ${MAX_PREFIX} characters of letters, digits, '.', '_', '-' between '/'`,
    );
  }
  return { bucket, prefix };
}
