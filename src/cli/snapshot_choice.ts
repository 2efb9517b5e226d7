/**
 * How every command names a snapshot: `latest` (the newest of the set `--name` gives, or of the
 * only set there is), a full id, or a unique prefix of one (at least 4 characters), as restic
 * accepts. One helper resolves them for `pull`, `ls`, `find`, `diff` and `cat`, so each accepts
 * the same forms and says the same thing when it cannot.
 *
 * @module
 */
import type { BurrowClient, LoginResult } from "../client/burrow_client.ts";
import { RemoteRepository, type SnapshotListing } from "../client/remote_repository.ts";
import { RemoteChunkSource } from "../client/remote_chunk_source.ts";
import { readManifest } from "../backup/manifest_reader.ts";
import { IntegrityError, NotFoundError, UsageError } from "../errors.ts";
import type { SnapshotRecord, TreeEntry } from "../format/snapshot_model.ts";
import type { ParsedArgs } from "./command.ts";
import { withLogin } from "./client_session.ts";
import { printListingWarnings } from "./snapshot_warnings.ts";

const EMPTY_LISTING: SnapshotListing = { records: [], unreadable: [], damagedChunks: 0 };

/** A snapshot id, or the first characters of one. */
const ID_OR_PREFIX = /^[0-9a-f]{4,16}$/;

/**
 * The snapshot `wanted` names (an id, a unique prefix of at least 4 characters, or "latest")
 * among those of `set` (all sets when undefined; "latest" then needs there to be one set).
 * `action` names the command in messages ("pull", "list").
 *
 * @throws {UsageError} for a malformed or ambiguous id, or "latest" among several sets
 * @throws {NotFoundError} when nothing matches
 * @throws {IntegrityError} for an id naming a snapshot whose record cannot be used
 */
export function chooseSnapshot(
  listing: SnapshotListing,
  wanted: string,
  set: string | undefined,
  action = "pull",
): SnapshotRecord {
  const pool = set === undefined ? listing.records : listing.records.filter((s) => s.set === set);
  if (wanted !== "latest") {
    if (!ID_OR_PREFIX.test(wanted)) {
      throw new UsageError(
        `Invalid snapshot "${wanted}": expected "latest", a snapshot id or its first 4+ characters`,
      );
    }
    const found = pool.filter((s) => s.id.startsWith(wanted));
    const broken = listing.unreadable.filter((s) => s.id.startsWith(wanted));
    if (found.length + broken.length > 1) {
      throw new UsageError(`Snapshot id "${wanted}" is ambiguous: give more characters`);
    }
    if (found.length === 1) return found[0]!;
    if (broken.length === 1) {
      throw new IntegrityError(
        `Cannot ${action} snapshot ${broken[0]!.id}: its record cannot be used: ${
          broken[0]!.reason
        }`,
      );
    }
    throw new NotFoundError(
      `Cannot find snapshot "${wanted}"${set === undefined ? "" : ` in set "${set}"`}`,
    );
  }
  if (pool.length === 0) {
    throw new NotFoundError(
      set === undefined
        ? `Cannot ${action}: there are no snapshots`
        : `Cannot ${action}: set "${set}" has no snapshots`,
    );
  }
  const sets = new Set(pool.map((s) => s.set));
  if (sets.size > 1) {
    throw new UsageError(
      `Cannot choose a set: you have ${[...sets].map((s) => `"${s}"`).join(", ")} (use --name SET)`,
    );
  }
  return pool.reduce((a, b) => (b.time >= a.time ? b : a));
}

/** The logged-in user's repository (null before their first push) and snapshots. */
export interface OpenedSnapshots {
  repository: RemoteRepository | null;
  listing: SnapshotListing;
}

/** Opens the repository and lists its snapshots, warning on stderr of unreadable ones. */
export async function openSnapshots(
  client: BurrowClient,
  login: LoginResult,
): Promise<OpenedSnapshots> {
  const repository = await RemoteRepository.open(client, login, { create: false });
  const listing = repository === null ? EMPTY_LISTING : await repository.listSnapshots();
  printListingWarnings(listing);
  return { repository, listing };
}

/**
 * A snapshot's entries (paths relative to its root), read and verified from its manifest.
 *
 * @throws {IntegrityError} when the manifest does not verify
 */
export async function readSnapshotTree(
  client: BurrowClient,
  repository: RemoteRepository,
  record: SnapshotRecord,
): Promise<TreeEntry[]> {
  const source = new RemoteChunkSource(client, repository.keys);
  try {
    return await readManifest(source, record);
  } finally {
    source.close();
  }
}

/** A chosen snapshot and its verified entries. */
export interface ChosenTree {
  record: SnapshotRecord;
  entries: TreeEntry[];
}

/** What `withSnapshotTrees` hands its body besides the trees. */
export interface OpenedRepository {
  client: BurrowClient;
  repository: RemoteRepository;
}

/**
 * Logs in, chooses each of `wanted` (see `chooseSnapshot`) among the snapshots of `set`, reads
 * their trees, and runs `body` with them while the connection is open.
 */
export function withSnapshotTrees<T>(
  args: ParsedArgs,
  wanted: readonly string[],
  set: string | undefined,
  action: string,
  body: (trees: ChosenTree[], opened: OpenedRepository) => T | Promise<T>,
): Promise<T> {
  return withLogin(args, async ({ client }, login) => {
    const { repository, listing } = await openSnapshots(client, login);
    const records = wanted.map((w) => chooseSnapshot(listing, w, set, action));
    const trees: ChosenTree[] = [];
    for (const record of records) {
      trees.push({ record, entries: await readSnapshotTree(client, repository!, record) });
    }
    return await body(trees, { client, repository: repository! });
  });
}
