/**
 * S3 failures as one-line `StoreError`s: "Cannot <action>: <what S3 or the network said>". The
 * message and the cause keep only S3's error code and HTTP status (or the connection error's
 * code), never the request, a key or a signature, so nothing secret reaches a log or a client.
 *
 * @module
 */
import { StoreError } from "../../errors.ts";

const REASONS: Record<string, string> = {
  SignatureDoesNotMatch:
    "S3 refused the credentials (SignatureDoesNotMatch): check AWS_SECRET_ACCESS_KEY",
  InvalidAccessKeyId:
    "S3 does not know the access key (InvalidAccessKeyId): check AWS_ACCESS_KEY_ID",
  AccessDenied: "S3 denied access (AccessDenied): the credentials lack a right on the bucket",
  NoSuchBucket: "the S3 bucket does not exist (NoSuchBucket)",
};

const NETWORK: Record<string, string> = {
  ECONNREFUSED: "S3 refused the connection (ECONNREFUSED): is the endpoint right?",
  ECONNRESET: "S3 closed the connection (ECONNRESET)",
  ENOTFOUND: "the S3 endpoint's host name does not resolve (ENOTFOUND)",
  ETIMEDOUT: "the S3 endpoint does not answer (ETIMEDOUT)",
};

/** A StoreError for a failed S3 call made to `action`; StoreErrors pass through unchanged. */
export function s3Failure(action: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const reason = describe(error);
  return new StoreError(`Cannot ${action}: ${reason}`, { cause: new Error(reason) });
}

function describe(error: unknown): string {
  const failure = error as
    | { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown } }
    | null;
  const code = typeof failure?.code === "string" ? failure.code : undefined;
  if (code !== undefined && NETWORK[code] !== undefined) return NETWORK[code];
  const name = typeof failure?.name === "string" && /^[A-Za-z0-9.]{1,64}$/.test(failure.name)
    ? failure.name
    : "an unknown error";
  const status = failure?.$metadata?.httpStatusCode;
  if (typeof status !== "number") {
    return code !== undefined && /^[A-Z0-9_]{1,32}$/.test(code)
      ? `the connection to S3 failed (${code})`
      : `the S3 call failed (${name})`;
  }
  return REASONS[name] ?? `S3 answered ${name} (HTTP ${status})`;
}
