/**
 * The S3 service tests use, from the environment that `scripts/scaleout/ceph-rgw-up.sh` prints
 * (S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_REGION): `s3Problem` says why tests
 * needing it are ignored, and is printed once at load.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { ObjectStore, type S3Settings } from "../src/store/s3/object_store.ts";
import { removeObjectsUnder } from "../src/store/s3/remove_objects.ts";

/** The bucket the tests use (made when missing); each test works under its own prefix. */
export const TEST_BUCKET = "burrow-tests";

const endpoint = Deno.env.get("S3_ENDPOINT");
const accessKeyId = Deno.env.get("AWS_ACCESS_KEY_ID");
const secretAccessKey = Deno.env.get("AWS_SECRET_ACCESS_KEY");

/** Why the S3 tests cannot run here, or null when they can. */
export const s3Problem: string | null = endpoint === undefined
  ? "S3_ENDPOINT is not set (start Ceph RGW with scripts/scaleout/ceph-rgw-up.sh)"
  : accessKeyId === undefined || secretAccessKey === undefined
  ? "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set"
  : null;

/** The settings of the test bucket. Only call where `s3Problem` is null. */
export function testS3Settings(): S3Settings {
  return {
    endpoint: endpoint!,
    region: Deno.env.get("S3_REGION") ?? Deno.env.get("AWS_REGION") ?? "us-east-1",
    bucket: TEST_BUCKET,
    accessKeyId: accessKeyId!,
    secretAccessKey: secretAccessKey!,
  };
}

/** A fresh key prefix (ending in `/`) no other test uses. */
export function freshPrefix(label: string): string {
  return `${label}-${crypto.randomUUID()}/`;
}

/** Removes every object and unfinished upload under `prefix`. */
export async function removePrefix(objects: ObjectStore, prefix: string): Promise<void> {
  await removeObjectsUnder(objects, prefix);
}

let bucketReady: Promise<void> | undefined;

/** An object store on the test bucket, which is made on first use. */
export async function testObjectStore(): Promise<ObjectStore> {
  const objects = new ObjectStore(testS3Settings());
  bucketReady ??= objects.ensureBucket();
  await bucketReady;
  return objects;
}

if (s3Problem !== null) console.log(`S3 tests ignored: ${s3Problem}`);
