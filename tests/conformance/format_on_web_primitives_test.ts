/**
 * The repository format code on the web back end gives the same bytes as on the node one: the
 * same script (`_format_vectors_process.ts`) runs in three child processes, on the node back end
 * (deno.json), on the web back end (the web import map) and as the page would get it (bundled for
 * the browser with that map), over data the node back end made.
 *
 * @module
 */
import assert from "node:assert/strict";
import { writeWebImportMap } from "../../scripts/web_import_map.ts";
import { compressChunk } from "../../src/format/compression.ts";
import { ManifestEncoder } from "../../src/format/manifest_codec.ts";
import { deriveRepositoryKeys, KEY_FILE_KEYED_GEAR } from "../../src/format/master_key.ts";
import { sealSnapshotRecord } from "../../src/format/snapshot_record.ts";
import type { SnapshotRecord, TreeEntry } from "../../src/format/snapshot_model.ts";
import { seq } from "../../src/format/testdata/byte_sequences.ts";
import type { FormatInputs } from "./_format_vectors_process.ts";

const SCRIPT = new URL("./_format_vectors_process.ts", import.meta.url).pathname;
const MiB = 1024 * 1024;

const ENTRIES: TreeEntry[] = [
  { path: "docs", type: "dir", mode: 0o755, mtimeNs: 1_700_000_000_000_500_001n },
  {
    path: "docs/Grüße 🦊.txt",
    type: "file",
    mode: 0o644,
    mtimeNs: -5n,
    size: 70_000,
    inode: 2 ** 53 - 1,
    chunks: [seq(32, 1), seq(32, 2)],
  },
  { path: "docs/link", type: "symlink", mode: 0o777, mtimeNs: 0n, target: "../a b.txt" },
  ...Array.from({ length: 40 }, (_, i) => ({
    path: `docs/page ${String(i).padStart(3, "0")}.html`,
    type: "file" as const,
    mode: 0o600,
    mtimeNs: 1_700_000_000_000_000_000n + BigInt(i),
    size: 100 + i,
    chunks: [seq(32, i)],
  })),
].map((e) => ({ size: 0, inode: 7, chunks: [], target: "", ...e }) as TreeEntry);

const RECORD: SnapshotRecord = {
  version: 2,
  id: "0123456789abcdef",
  set: "docs",
  time: "2025-01-02T03:04:05.123Z",
  host: "host",
  source: "/home/a/docs",
  rootType: "dir",
  rootMode: 0o755,
  rootMtimeNs: 1_700_000_000_123_456_789n,
  parent: null,
  manifest: [seq(32).toHex()],
  summary: {
    files: 41,
    dirs: 1,
    symlinks: 1,
    bytes: 70_000,
    filesNew: 41,
    filesChanged: 0,
    filesUnchanged: 0,
    filesRemoved: 0,
    bytesRead: 70_000,
    bytesSent: 1_000,
    bytesStored: 1_000,
    warnings: 0,
  },
};

/** Text-like bytes that compress well. */
function textBytes(length: number): Uint8Array {
  let text = "";
  for (let i = 0; text.length < length; i++) text += `${i}: the burrow keeps chunk ${i % 97}\n`;
  return new TextEncoder().encode(text.slice(0, length));
}

/** zstd data of `plaintext` as a push makes it (the precondition: it does compress). */
function compressed(plaintext: Uint8Array): string {
  const { data, compressed } = compressChunk(plaintext);
  assert.ok(compressed, "the precondition: the input compresses");
  return data.toHex();
}

function makeInputs(): FormatInputs {
  const encoder = new ManifestEncoder();
  for (const entry of ENTRIES) encoder.add(entry);
  const keys = deriveRepositoryKeys({ bytes: seq(32), version: KEY_FILE_KEYED_GEAR });
  return {
    pinnedBlob: "0100000102030405060708090a0b0c0d0e0f101112131415161718191a1b" +
      "8bcb804fbddbc28d8fbf68cc" + "dfe7e41b916805be7852556f468bf71d",
    pinnedWrappedKey:
      "4252574b02a0a1a2a3a4a5a6a7a8a9aaabacc0d9ef7cec6e947f799436d731f62ea125d08ec8c7f331d2" +
      "26f816f8023a609fe1507a8aecab57f7c43778455ded55",
    textFrame: compressed(textBytes(300_000)),
    manifestFrame: compressed(encoder.finish()),
    record: sealSnapshotRecord(keys, RECORD).toHex(),
    recordId: RECORD.id,
    bomb: compressed(new Uint8Array(64 * MiB)),
  };
}

/** Runs `args` with `deno`, `inputs` on stdin; returns the JSON it printed. */
async function run(args: string[], inputs: FormatInputs): Promise<Record<string, string>> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(inputs)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const errors = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `deno ${args.join(" ")} failed: ${errors}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

Deno.test("the format code gives the same bytes on the web back end as on the node one, bundled for the browser too", async () => {
  const inputs = makeInputs();
  const map = await writeWebImportMap();
  const dir = await Deno.makeTempDir({ prefix: "burrow_web_format_" });
  try {
    const bundle = `${dir}/format_vectors.js`;
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "browser", "--import-map", map, "-o", bundle, SCRIPT],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bundled.code, 0, new TextDecoder().decode(bundled.stderr));
    const code = await Deno.readTextFile(bundle);
    assert.doesNotMatch(code, /\bfrom\s*["']node:|\bimport\(\s*["']node:|\brequire\(\s*["']node:/);

    const node = await run(["run", "-A", SCRIPT], inputs);
    const web = await run(["run", "-A", "--import-map", map, SCRIPT], inputs);
    const page = await run(["run", "-A", bundle], inputs);
    assert.equal(node.backend, "node");
    assert.equal(web.backend, "web", "the precondition: the import map swapped the back end");
    assert.equal(page.backend, "web");
    assert.deepEqual({ ...web, backend: "node" }, node);
    assert.deepEqual(page, web);

    // What both opened is what the node side sealed, and the refusals are the format's own.
    assert.equal(node.v2Wrapped, inputs.pinnedWrappedKey);
    assert.equal(node.sealPlain, inputs.pinnedBlob);
    assert.match(node.openTampered!, /^IntegrityError: Cannot open blob: it does not authenticate/);
    assert.match(node.unwrapWrongKek!, /^IntegrityError: Cannot unlock the repository key/);
    assert.equal(
      node.bomb,
      `IntegrityError: Cannot decompress chunk: it would exceed ${8 * MiB} bytes`,
    );
    assert.match(
      node.notZstd!,
      /^IntegrityError: Cannot decompress chunk: the zstd data is damaged/,
    );
    assert.equal(JSON.parse(node.textChunk!).length, 300_000);
    assert.equal(JSON.parse(node.manifest!).length, ENTRIES.length);
    assert.equal(JSON.parse(node.record!).rootMtimeNs, `${RECORD.rootMtimeNs}n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(map);
  }
});
