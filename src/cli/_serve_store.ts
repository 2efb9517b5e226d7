/**
 * Where `burrow serve` keeps chunks: the local pack store under DATA (default), or packs on S3
 * with `--store s3://BUCKET/PREFIX --s3-endpoint URL [--s3-region R]`, their index then shared
 * in PostgreSQL when the accounts are there (`_serve_shared.ts`). The S3 credentials come
 * only from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (never a flag, so never in `ps`), and
 * are neither logged nor put in any message.
 *
 * @module
 */
import { ConfigError, UsageError } from "../errors.ts";
import { type Logger, withFields } from "../log.ts";
import type { S3Settings } from "../store/s3/object_store.ts";
import { parseS3StoreSpec, type S3StoreSpec } from "../store/s3/s3_store_spec.ts";
import { repositoryPrefix } from "../store/s3/_s3_layout.ts";
import { WriteBudget } from "../store/pack_chunk_store.ts";
import type { ChunkStoreOpener } from "../store/user_repository.ts";
import type { RepositoryAccount } from "../store/repository_owner.ts";
import type { SharedChunkIndex } from "../store/chunk_index_shared.ts";
import type { RepositoryObjects } from "../store/postgres/retired_purge.ts";
import type { ObjectStore } from "../store/s3/object_store.ts";
import { type ParsedArgs, stringFlag } from "./command.ts";
import type { EnvReader } from "./config.ts";

/** The region used when neither --s3-region nor AWS_REGION names one. */
export const DEFAULT_S3_REGION = "us-east-1";

/** `serve`'s chunk store flags, for its Command.flags. */
export const CHUNK_STORE_FLAGS = {
  store: {
    type: "string",
    value: "s3://BUCKET/PREFIX",
    help: "Keep chunks in S3 packs (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; " +
      "default: packs under DATA)",
  },
  "s3-endpoint": {
    type: "string",
    value: "URL",
    help: "S3 endpoint of --store, e.g. http://127.0.0.1:17480 (path-style addressing)",
  },
  "s3-region": {
    type: "string",
    value: "REGION",
    help: `S3 region of --store (env AWS_REGION, default ${DEFAULT_S3_REGION})`,
  },
} as const;

/** An S3 chunk store's place, resolved from flags and the environment. */
export interface S3ChunkStoreConfig {
  spec: S3StoreSpec;
  settings: S3Settings;
}

/**
 * The S3 store `serve` is asked for, or null for the local pack store.
 * @throws {UsageError} for a bad --store, --s3-endpoint or --s3-region, or S3 flags without --store
 * @throws {ConfigError} when the credentials are not in the environment
 */
export function resolveChunkStore(args: ParsedArgs, env: EnvReader): S3ChunkStoreConfig | null {
  const store = stringFlag(args, "store");
  const endpoint = stringFlag(args, "s3-endpoint");
  const regionFlag = stringFlag(args, "s3-region");
  if (store === undefined) {
    if (endpoint !== undefined || regionFlag !== undefined) {
      throw new UsageError("Cannot use --s3-endpoint or --s3-region without --store s3://…");
    }
    return null;
  }
  let spec: S3StoreSpec;
  try {
    spec = parseS3StoreSpec(store);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (endpoint === undefined) {
    throw new UsageError("Cannot use --store s3://…: give its endpoint with --s3-endpoint URL");
  }
  const region = regionFlag ?? env("AWS_REGION") ?? DEFAULT_S3_REGION;
  if (!/^[a-z0-9-]{1,32}$/.test(region)) {
    throw new UsageError(`Invalid --s3-region "${region}": expected e.g. ${DEFAULT_S3_REGION}`);
  }
  const accessKeyId = env("AWS_ACCESS_KEY_ID");
  const secretAccessKey = env("AWS_SECRET_ACCESS_KEY");
  if (!accessKeyId || !secretAccessKey) {
    throw new ConfigError(
      "Cannot use --store s3://…: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment",
    );
  }
  return {
    spec,
    settings: {
      endpoint: checkEndpoint(endpoint),
      region,
      bucket: spec.bucket,
      accessKeyId,
      secretAccessKey,
    },
  };
}

/** The endpoint as an http(s) origin. @throws {UsageError} for anything else */
function checkEndpoint(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const origin = url !== undefined && (url.protocol === "http:" || url.protocol === "https:") &&
    url.username === "" && url.password === "" && url.search === "" && url.hash === "" &&
    (url.pathname === "/" || url.pathname === "");
  if (!origin) {
    throw new UsageError(
      `Invalid --s3-endpoint "${
        text.replace(/\/\/[^/@]*@/, "//…@")
      }": expected http(s)://HOST:PORT`,
    );
  }
  return url!.origin;
}

/** A running S3 chunk store service: the opener for each repository, and its shutdown. */
export interface S3ChunkStores {
  openChunks: ChunkStoreOpener;
  /** Where each account's objects are, and how they are deleted (a purge). */
  repositoryObjects: RepositoryObjects;
  /** The store as `s3://BUCKET/PREFIX on ENDPOINT`, for the start-up line. */
  description: string;
  close(): void;
}

/** The objects of each account's repository under `PREFIX/USER/CREATED/` of `objects`' bucket. */
function s3RepositoryObjects(objects: ObjectStore, prefix: string): RepositoryObjects {
  const keyPrefix = (user: string, created: string) => repositoryPrefix(prefix, user, created);
  return {
    placeOf: (user, created) => `s3://${objects.bucket}/${keyPrefix(user, created)}`,
    holdsAny: async (user, created) => {
      for await (const _ of objects.list(keyPrefix(user, created))) return true;
      return false;
    },
    removeAll: async (user, created) => {
      const { removeObjectsUnder } = await import("../store/s3/remove_objects.ts");
      await removeObjectsUnder(objects, keyPrefix(user, created));
    },
  };
}

/**
 * Connects to the bucket of `config` for an admin command, which never creates it: the objects
 * of each account's repository, and the connection's shutdown.
 * @throws {StoreError} when S3 cannot be reached, refuses, or has no such bucket
 */
export async function connectS3RepositoryObjects(
  config: S3ChunkStoreConfig,
): Promise<{ repositoryObjects: RepositoryObjects; close(): void }> {
  const { ObjectStore } = await import("../store/s3/object_store.ts");
  const objects = new ObjectStore(config.settings);
  try {
    await objects.ensureBucket({ create: false });
  } catch (error) {
    objects.close();
    throw error;
  }
  return {
    repositoryObjects: s3RepositoryObjects(objects, config.spec.prefix),
    close: () => objects.close(),
  };
}

/**
 * Connects to the bucket (checking the credentials at once, so a wrong one stops the start
 * with one line) and returns an opener that puts each account's repository under
 * `PREFIX/USER/CREATED/`. @throws {StoreError} when S3 cannot be reached or refuses
 */
export async function connectS3ChunkStores(
  config: S3ChunkStoreConfig,
  logger: Logger,
  sharedIndex?: (account: RepositoryAccount) => SharedChunkIndex,
): Promise<S3ChunkStores> {
  // The S3 client loads only for a server that uses it: it is large, and every command would pay.
  const { ObjectStore } = await import("../store/s3/object_store.ts");
  const { S3ChunkStore } = await import("../store/s3/s3_chunk_store.ts");
  const objects = new ObjectStore(config.settings);
  try {
    await objects.ensureBucket();
  } catch (error) {
    objects.close();
    throw error;
  }
  const budget = new WriteBudget(32 * 1024 * 1024);
  const { bucket, prefix } = config.spec;
  return {
    openChunks: (_dir, account) =>
      S3ChunkStore.open(objects, repositoryPrefix(prefix, account.user, account.created), {
        budget,
        logger: withFields(logger, { user: account.user }),
        ...(sharedIndex === undefined ? {} : { shared: sharedIndex(account) }),
      }),
    repositoryObjects: s3RepositoryObjects(objects, prefix),
    description: `s3://${bucket}/${prefix} on ${config.settings.endpoint}`,
    close: () => objects.close(),
  };
}
