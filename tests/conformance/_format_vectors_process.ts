/**
 * Runs the repository format code over fixed inputs and prints what it gets, as one JSON object
 * of hex strings, so that `format_on_web_primitives_test.ts` can compare a run on the node back
 * end with one on the web back end (`--import-map` from `scripts/web_import_map.ts`, or the
 * browser bundle of this file). Reads {@link FormatInputs} as JSON on stdin.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { primitives } from "#primitives";
import { deriveClientKeys } from "../../src/auth/client_keys.ts";
import { type ClientKdf, fakeClientKdf } from "../../src/auth/client_kdf.ts";
import { BlobOpener, BlobSealer, chunkId, verifyChunk } from "../../src/format/blob_crypto.ts";
import { chunkBoundaries, MAX_CHUNK_SIZE } from "../../src/format/chunker.ts";
import { decompressChunk } from "../../src/format/decompression.ts";
import { loadWebAssembly } from "../../src/format/load_web_assembly.ts";
import { fixedGearTable, keyedGearTable } from "../../src/format/gear_table.ts";
import { decodeManifest } from "../../src/format/manifest_codec.ts";
import {
  deriveRepositoryKeys,
  KEY_FILE_FIXED_GEAR,
  KEY_FILE_KEYED_GEAR,
  type MasterKey,
  unwrapMasterKey,
  wrapMasterKey,
} from "../../src/format/master_key.ts";
import { openSnapshotRecord } from "../../src/format/snapshot_record.ts";
import { counterRandom, seq } from "../../src/format/testdata/byte_sequences.ts";

/** What the parent test made with node:zlib and the node back end, as hex. */
export interface FormatInputs {
  /** The pinned sealed blob of "hello burrow" (blob_crypto_test.ts). */
  pinnedBlob: string;
  /** The pinned wrapped version-2 master key (master_key_test.ts). */
  pinnedWrappedKey: string;
  /** zstd data of a text chunk, as compressChunk() makes it. */
  textFrame: string;
  /** zstd data of an encoded manifest. */
  manifestFrame: string;
  /** A snapshot record sealed under the version-2 keys of MASTER, and its id. */
  record: string;
  recordId: string;
  /** zstd data of 64 MiB of zeros. */
  bomb: string;
}

/** Seeded pseudo-random bytes (xorshift32), the same on every back end. */
function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
const tableHex = (table: Int32Array) => new Uint8Array(table.buffer).toHex();
const json = (value: unknown) =>
  JSON.stringify(
    value,
    (_, v) => typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? v.toHex() : v,
  );
/** The error a call throws, as "Name: message", or "no error". */
function failure(call: () => unknown): string {
  try {
    call();
    return "no error";
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

const MASTER = seq(32);
const KEK = seq(32, 0x40);
const V1: MasterKey = { bytes: MASTER, version: KEY_FILE_FIXED_GEAR };
const V2: MasterKey = { bytes: MASTER, version: KEY_FILE_KEYED_GEAR };
const CHEAP: ClientKdf = {
  algorithm: "argon2id",
  memoryKiB: 1024,
  iterations: 1,
  parallelism: 1,
  salt: seq(16),
};

/** Everything the format code computes from `inputs`, as strings. */
export async function formatVectors(inputs: FormatInputs): Promise<Record<string, string>> {
  await loadWebAssembly();
  const out: Record<string, string> = { backend: primitives.name };
  const hello = new TextEncoder().encode("hello burrow");
  const dataKey = seq(32, 0x80);
  const blobId = seq(32, 0x20);

  // Chunk ids, sealed blobs and their opening.
  out.chunkIdAbc = chunkId(seq(32), new TextEncoder().encode("abc")).toHex();
  const sealer = new BlobSealer(dataKey, counterRandom());
  out.sealPlain = sealer.seal(blobId, hello, false).toHex();
  out.sealFlagged = sealer.seal(blobId, hello, true).toHex();
  const opener = new BlobOpener(dataKey);
  out.openPinned = json(opener.open(blobId, Uint8Array.fromHex(inputs.pinnedBlob)));
  const tampered = Uint8Array.fromHex(inputs.pinnedBlob);
  tampered[40]! ^= 1;
  out.openTampered = failure(() => opener.open(blobId, tampered));

  // Keys: repository keys, gear tables, the wrapped master key; client keys from a password.
  for (const [name, key] of [["v1", V1], ["v2", V2]] as const) {
    const keys = deriveRepositoryKeys(key);
    out[`${name}Keys`] = json({ idKey: keys.idKey, dataKey: keys.dataKey });
    out[`${name}Gear`] = tableHex(keys.gear);
    out[`${name}Wrapped`] = wrapMasterKey(key, KEK, (n) => seq(n, 0xa0)).toHex();
  }
  out.fixedGear = tableHex(fixedGearTable());
  out.keyedGear = tableHex(keyedGearTable(seq(32)));
  out.unwrapPinned = json(unwrapMasterKey(Uint8Array.fromHex(inputs.pinnedWrappedKey), KEK));
  out.unwrapWrongKek = failure(() =>
    unwrapMasterKey(Uint8Array.fromHex(inputs.pinnedWrappedKey), seq(32, 1))
  );
  out.clientKeys = json(await deriveClientKeys("correct horse battery staple", CHEAP));
  out.clientKeysNfc = json(
    await deriveClientKeys("Crème brûlée", { ...CHEAP, iterations: 2, parallelism: 2 }),
  );
  out.fakeSalt = fakeClientKdf(seq(32, 5), "alice").salt.toHex();

  // A compressed chunk sealed, opened, decompressed and verified; the chunker's cuts.
  const keys = deriveRepositoryKeys(V2);
  const frame = Uint8Array.fromHex(inputs.textFrame);
  const text = decompressChunk(frame, MAX_CHUNK_SIZE);
  const textId = chunkId(keys.idKey, text);
  const blob = new BlobSealer(keys.dataKey, counterRandom()).seal(textId, frame, true);
  const opened = new BlobOpener(keys.dataKey).open(textId, blob);
  const plain = decompressChunk(opened.payload, MAX_CHUNK_SIZE);
  verifyChunk(keys.idKey, textId, plain);
  out.textChunk = json({ id: textId, sealed: primitives.sha256(blob), length: plain.length });
  out.bomb = failure(() => decompressChunk(Uint8Array.fromHex(inputs.bomb), MAX_CHUNK_SIZE));
  out.notZstd = failure(() => decompressChunk(hello, MAX_CHUNK_SIZE));
  const data = seededBytes(3 * 1024 * 1024, 0x5eed);
  out.cutsFixed = chunkBoundaries(data, fixedGearTable()).join(",");
  out.cutsKeyed = chunkBoundaries(data, keys.gear).join(",");

  // A manifest and a snapshot record as the node back end made them.
  out.manifest = json(
    decodeManifest(decompressChunk(Uint8Array.fromHex(inputs.manifestFrame), MAX_CHUNK_SIZE)),
  );
  out.record = json(openSnapshotRecord(keys, inputs.recordId, Uint8Array.fromHex(inputs.record)));
  return out;
}

if (import.meta.main) {
  const inputs = JSON.parse(await new Response(Deno.stdin.readable).text()) as FormatInputs;
  console.log(JSON.stringify(await formatVectors(inputs)));
}
