/**
 * The few S3 calls the S3 chunk store makes, over `@aws-sdk/client-s3` with path-style
 * addressing. Errors come out as `StoreError`s naming the action and S3's error code (or the
 * connection failure), never a key or a signature; a missing object is a `NotFoundError`.
 *
 * The client is given its endpoint, region and credentials explicitly, so the SDK never looks
 * for them elsewhere (profiles, instance metadata).
 *
 * @module
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { NotFoundError } from "../../errors.ts";
import { s3Failure } from "./_s3_errors.ts";

/** Where the objects are and who may reach them. */
export interface S3Settings {
  /** The S3 endpoint, e.g. `http://127.0.0.1:17480`. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** An object's key and size, as a listing gives them. */
export interface ObjectInfo {
  key: string;
  size: number;
}

/** A multipart upload not yet completed or aborted. */
export interface UploadInfo {
  key: string;
  uploadId: string;
  /** When the upload was started, where S3 says. */
  initiated?: Date;
}

/** A part uploaded, as `completeUpload` needs it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** Objects removed per DeleteObjects call (the S3 limit). */
const DELETE_BATCH = 1000;

/** One bucket of an S3 service. */
export class ObjectStore {
  readonly #client: S3Client;
  /** The client of GETs (see the constructor). */
  readonly #reader: S3Client;
  readonly #bucket: string;

  constructor(settings: S3Settings) {
    this.#bucket = settings.bucket;
    const config = {
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: true,
      credentials: {
        accessKeyId: settings.accessKeyId,
        secretAccessKey: settings.secretAccessKey,
      },
      // Records carry their own CRC-32 and packs their SHA-256: no second checksum per byte.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    } as const;
    this.#client = new S3Client(config);
    // Object bodies come in through the runtime's own fetch: its HTTP stack is native, where
    // node:http parses each body piece in JavaScript. Uploads stay on node:http, which sends
    // request bodies for less CPU.
    this.#reader = new S3Client({
      ...config,
      requestHandler: new FetchHttpHandler({ keepAlive: true }),
    });
  }

  /** The bucket's name. */
  get bucket(): string {
    return this.#bucket;
  }

  /**
   * Checks that the bucket can be reached with these credentials, creating it when it does not
   * exist (where the credentials may) unless `create` is false.
   * @throws {StoreError} naming what S3 answered
   */
  async ensureBucket(options: { create?: boolean } = {}): Promise<void> {
    try {
      // A GET, not a HEAD: its error reply names S3's code (a wrong secret, a missing bucket).
      await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, MaxKeys: 1 }));
      return;
    } catch (error) {
      if (nameOf(error) !== "NoSuchBucket" || options.create === false) {
        throw s3Failure(`reach S3 bucket "${this.#bucket}"`, error);
      }
    }
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      if (nameOf(error) !== "BucketAlreadyOwnedByYou") {
        throw s3Failure(`create S3 bucket "${this.#bucket}"`, error);
      }
    }
  }

  /**
   * Reads the bytes of `key` from `offset` into `targets` in turn (all of the object when
   * `targets` is undefined). @returns the bytes read, fewer at the end of the object
   * @throws {NotFoundError} when there is no such object
   */
  async read(key: string, offset: number, targets: readonly Uint8Array[]): Promise<number> {
    const length = targets.reduce((sum, target) => sum + target.length, 0);
    if (length === 0) return 0;
    const reply = await this.#get(key, `bytes=${offset}-${offset + length - 1}`);
    let filled = 0;
    let target = 0;
    let at = 0;
    for await (const piece of reply as AsyncIterable<Uint8Array>) {
      for (let from = 0; from < piece.length && target < targets.length;) {
        const into = targets[target]!;
        const count = Math.min(piece.length - from, into.length - at);
        into.set(piece.subarray(from, from + count), at);
        from += count;
        at += count;
        filled += count;
        if (at === into.length) [target, at] = [target + 1, 0];
      }
    }
    return filled;
  }

  /** The whole object `key`. @throws {NotFoundError} when there is no such object */
  async readAll(key: string): Promise<Uint8Array> {
    const reply = await this.#get(key, undefined);
    const pieces: Uint8Array[] = [];
    let total = 0;
    for await (const piece of reply as AsyncIterable<Uint8Array>) {
      pieces.push(piece);
      total += piece.length;
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const piece of pieces) {
      bytes.set(piece, at);
      at += piece.length;
    }
    return bytes;
  }

  /**
   * Stores `body` as `key` (atomically: readers see the old object or the new one whole). With
   * `createNew`, an existing object is left alone and this throws `StoreError`.
   */
  async write(key: string, body: Uint8Array, options: { createNew?: boolean } = {}): Promise<void> {
    await attempt("store an S3 object", () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: body,
          ...(options.createNew === true ? { IfNoneMatch: "*" } : {}),
        }),
      ));
  }

  /** Every object whose key starts with `prefix`, in key order. */
  async *list(prefix: string): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await attempt(
        "list S3 objects",
        () =>
          this.#client.send(
            new ListObjectsV2Command({
              Bucket: this.#bucket,
              Prefix: prefix,
              ...(token === undefined ? {} : { ContinuationToken: token }),
            }),
          ),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key !== undefined) yield { key: item.Key, size: item.Size ?? 0 };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Removes the objects `keys` (missing ones are fine). @throws {StoreError} when one fails */
  async remove(keys: readonly string[]): Promise<void> {
    for (let from = 0; from < keys.length; from += DELETE_BATCH) {
      const batch = keys.slice(from, from + DELETE_BATCH);
      const reply = await attempt(
        "remove S3 objects",
        () =>
          this.#client.send(
            new DeleteObjectsCommand({
              Bucket: this.#bucket,
              Delete: { Objects: batch.map((key) => ({ Key: key })), Quiet: true },
            }),
          ),
      );
      const failed = reply.Errors?.find((error) => error.Code !== "NoSuchKey");
      if (failed !== undefined) {
        throw s3Failure(
          "remove S3 objects",
          Object.assign(new Error(failed.Code ?? "failed"), {
            name: failed.Code ?? "DeleteFailed",
          }),
        );
      }
    }
  }

  /** Starts a multipart upload of `key`. @returns its upload id */
  async startUpload(key: string): Promise<string> {
    const reply = await attempt(
      "start an S3 upload",
      () => this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key })),
    );
    if (reply.UploadId === undefined) {
      throw s3Failure("start an S3 upload", new Error("no upload id in the reply"));
    }
    return reply.UploadId;
  }

  /** Uploads part `partNumber` (from 1) of an upload. @returns the part as completing needs it */
  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
  ): Promise<UploadedPart> {
    const reply = await attempt(
      "upload a part to S3",
      () =>
        this.#client.send(
          new UploadPartCommand({
            Bucket: this.#bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
          }),
        ),
    );
    return { partNumber, etag: reply.ETag ?? "" };
  }

  /** Completes an upload: the object appears whole, at once, or not at all. */
  async completeUpload(key: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    await attempt(
      "complete an S3 upload",
      () =>
        this.#client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.#bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: {
              Parts: [...parts].sort((a, b) => a.partNumber - b.partNumber).map((part) => ({
                PartNumber: part.partNumber,
                ETag: part.etag,
              })),
            },
          }),
        ),
    );
  }

  /** Aborts an upload and drops its parts; an upload already gone is fine. */
  async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }),
      );
    } catch (error) {
      if (statusOf(error) !== 404) throw s3Failure("abort an S3 upload", error);
    }
  }

  /** The uploads under `prefix` that were started and neither completed nor aborted. */
  async *listUploads(prefix: string): AsyncGenerator<UploadInfo> {
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const page = await attempt(
        "list S3 uploads",
        () =>
          this.#client.send(
            new ListMultipartUploadsCommand({
              Bucket: this.#bucket,
              Prefix: prefix,
              ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
              ...(idMarker === undefined ? {} : { UploadIdMarker: idMarker }),
            }),
          ),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key !== undefined && upload.UploadId !== undefined) {
          const started = upload.Initiated === undefined ? {} : { initiated: upload.Initiated };
          yield { key: upload.Key, uploadId: upload.UploadId, ...started };
        }
      }
      if (page.IsTruncated !== true) return;
      keyMarker = page.NextKeyMarker;
      idMarker = page.NextUploadIdMarker;
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.destroy();
    this.#reader.destroy();
  }

  async #get(key: string, range: string | undefined): Promise<unknown> {
    try {
      const reply = await this.#reader.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          ...(range === undefined ? {} : { Range: range }),
        }),
      );
      return reply.Body;
    } catch (error) {
      if (statusOf(error) === 404 && nameOf(error) === "NoSuchKey") {
        throw new NotFoundError(`Cannot read an S3 object: it does not exist`);
      }
      throw s3Failure("read an S3 object", error);
    }
  }
}

/** Runs one S3 call, turning its failure into a `StoreError` about `action`. */
async function attempt<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw s3Failure(action, error);
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string | undefined {
  return (error as { name?: string } | null)?.name;
}
