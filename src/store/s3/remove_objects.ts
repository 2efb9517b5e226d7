/**
 * Deleting everything under one key prefix of the bucket: what purging a repository's packs
 * (`userdel --purge`) does. Unfinished uploads are aborted first, then the objects are deleted a
 * page at a time as they are listed, so memory does not grow with the repository.
 *
 * @module
 */
import type { ObjectStore } from "./object_store.ts";

/** Keys deleted per request (S3's limit). */
const PAGE = 1000;

/**
 * Aborts every unfinished upload and deletes every object whose key starts with `prefix`.
 * Idempotent: run again after a failure, it deletes what is left.
 * @returns how many objects it deleted
 * @throws {StoreError} when S3 refuses a request
 */
export async function removeObjectsUnder(objects: ObjectStore, prefix: string): Promise<number> {
  if (prefix === "" || !prefix.endsWith("/")) {
    throw new RangeError(`Cannot delete the objects under "${prefix}": not a folder prefix`);
  }
  for await (const upload of objects.listUploads(prefix)) {
    await objects.abortUpload(upload.key, upload.uploadId);
  }
  let deleted = 0;
  let page: string[] = [];
  for await (const { key } of objects.list(prefix)) {
    page.push(key);
    if (page.length === PAGE) {
      await objects.remove(page);
      deleted += page.length;
      page = [];
    }
  }
  await objects.remove(page);
  return deleted + page.length;
}
