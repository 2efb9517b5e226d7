/**
 * End to end: `check --read-data` downloads and verifies every chunk the snapshots reference,
 * names the files a damaged blob belongs to, and reports it to the server; `--read-data-subset`
 * parts split the chunks without overlap.
 */
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { addUser, burrow, clientOf, type RunResult, withServer } from "./_harness.ts";
import { makeTree } from "./_tree.ts";
import { filesEnding } from "../_testing.ts";

/** Bytes of a version 2 pack record header: id, length, CRC-32. */
const HEADER = 40;

function assertCode(result: RunResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what}: ${result.stdout}\n${result.stderr}`);
}

/**
 * Flips one byte in the middle of the largest record of the largest pack and writes the record's
 * CRC-32 anew, so the server's own checks pass and only the client's verification can tell.
 */
async function damageBlobKeepingChecksum(packsDir: string): Promise<void> {
  const packs = await filesEnding(packsDir, ".pack");
  const sizes = await Promise.all(packs.map(async (path) => (await Deno.stat(path)).size));
  const pack = packs[sizes.indexOf(Math.max(...sizes))]!;
  const bytes = await Deno.readFile(pack);
  const view = new DataView(bytes.buffer);
  let largest = { offset: 0, length: -1 };
  for (let offset = 8; offset < bytes.length;) {
    const length = view.getUint32(offset + 32);
    if (length > largest.length) largest = { offset, length };
    offset += HEADER + length;
  }
  const blob = bytes.subarray(largest.offset + HEADER, largest.offset + HEADER + largest.length);
  blob[blob.length >> 1]! ^= 0x10;
  view.setUint32(largest.offset + 36, crc32(blob));
  await Deno.writeFile(pack, bytes);
}

interface CheckJson {
  problems: number;
  data: { chunksRead: number; chunksReferenced: number; bytesRead: number; chunksDamaged: number };
}

Deno.test("check --read-data: verifies every referenced chunk, parts split it, damage names files", async (t) => {
  await withServer(async (server, work) => {
    const run = clientOf(server, "alice", "alice-pass");
    await addUser(server, "alice", "alice-pass");
    const source = `${work}/tree`;
    await makeTree(source);
    // Enough distinct chunks that each half of a split holds some.
    for (let i = 0; i < 30; i++) {
      await Deno.writeTextFile(`${source}/small-${i}.txt`, `file ${i}\n`);
    }
    assertCode(await run(["push", source]), 0, "push");
    const json = async (args: string[]) => {
      const result = await run(["check", ...args, "--json"]);
      assertCode(result, 0, `check ${args.join(" ")}`);
      return JSON.parse(result.stdout) as CheckJson;
    };

    await t.step("a healthy repository passes, with a one-line summary", async () => {
      const result = await run(["check", "--read-data"]);
      assertCode(result, 0, "check --read-data");
      assert.match(
        result.stdout,
        /^checked 1 snapshots \(\d+ files; read (\d+) of \1 data chunks, [\d.]+ \S+\) in [\d.]+ s: no problems found$/m,
      );
    });

    await t.step("--read-data-subset 1/2 and 2/2 together read every chunk once", async () => {
      const all = (await json(["--read-data"])).data;
      const first = (await json(["--read-data-subset", "1/2"])).data;
      const second = (await json(["--read-data-subset", "2/2"])).data;
      assert.ok(all.chunksRead >= 30, `${all.chunksRead} chunks`);
      assert.ok(first.chunksRead > 0 && second.chunksRead > 0, "each half reads some");
      assert.equal(first.chunksRead + second.chunksRead, all.chunksRead);
      assert.equal(first.bytesRead + second.bytesRead, all.bytesRead);
      const half = (await json(["--read-data-subset", "50%"])).data;
      assert.equal(half.chunksRead, Math.round(all.chunksRead / 2));
    });

    await t.step("bad --read-data-subset values are usage errors", async () => {
      for (const bad of ["0%", "101%", "3/2", "0/2", "half"]) {
        const result = await run(["check", "--read-data-subset", bad]);
        assertCode(result, 2, bad);
        assert.match(result.stderr, /Invalid --read-data-subset/);
      }
    });

    await t.step(
      "a blob that does not open: check passes, check --read-data exits 4 naming the file",
      async () => {
        await damageBlobKeepingChecksum(`${server.dataDir}/repos/alice/chunks/packs`);
        assertCode(await run(["check"]), 0, "plain check reads no data");
        const result = await run(["check", "--read-data"]);
        assertCode(result, 4, "check --read-data");
        assert.match(
          result.stdout,
          /snapshot \w+ \(set "tree", .*\): 1 chunks damaged, in 1 files: docs\/random\.bin$/m,
        );
        assert.match(result.stdout, /server: set aside 1 damaged chunks/);
        assert.match(result.stdout, /1 problems found$/m);
        // The server set the blob aside: a plain check now finds it missing.
        const after = await run(["check"]);
        assertCode(after, 4, "check after the report");
        assert.match(
          after.stdout,
          /1 chunks missing on the server, in 1 files: docs\/random\.bin$/m,
        );
      },
    );
  });
});

Deno.test("check --read-data of an append-only account finds the damage; the server keeps the blob", async () => {
  await withServer(async (server, work) => {
    const added = await burrow(
      ["useradd", "laptop", "--append-only", "--password-stdin", "--data", server.dataDir],
      { stdin: "laptop-pass\n" },
    );
    assertCode(added, 0, "useradd --append-only");
    const run = clientOf(server, "laptop", "laptop-pass");
    await makeTree(`${work}/tree`);
    assertCode(await run(["push", `${work}/tree`]), 0, "push");
    await damageBlobKeepingChecksum(`${server.dataDir}/repos/laptop/chunks/packs`);
    for (let round = 0; round < 2; round++) {
      const result = await run(["check", "--read-data"]);
      assertCode(result, 4, `check --read-data, round ${round}`);
      assert.match(result.stdout, /1 chunks damaged, in 1 files: docs\/random\.bin$/m);
      assert.doesNotMatch(result.stdout, /set aside/);
    }
  });
});
