import assert from "node:assert/strict";

const SCRIPT = new URL("./check_layers.ts", import.meta.url).pathname;

/** Runs the layer check over a tree of `files` (path under the root → text). */
async function checkTree(files: Record<string, string>): Promise<{ ok: boolean; errors: string }> {
  const root = await Deno.makeTempDir({ prefix: "burrow_layers_" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${root}/${path}`, text);
    }
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SCRIPT, root],
      stdout: "null",
      stderr: "piped",
    }).output();
    return { ok: success, errors: new TextDecoder().decode(stderr) };
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const NODE_CRYPTO = 'import { createHash } from "node:crypto";\n';

Deno.test("check_layers refuses a node: import in code the web page shares", async () => {
  for (
    const path of [
      "src/format/blob_crypto.ts",
      "src/format/decompression.ts",
      "src/auth/client_keys.ts",
      "src/auth/client_kdf.ts",
    ]
  ) {
    const result = await checkTree({ [path]: NODE_CRYPTO });
    assert.equal(result.ok, false, path);
    assert.match(result.errors, /the web page runs this file: it must not import "node:" modules/);
  }
  const dynamic = await checkTree({ "src/format/gear_table.ts": 'await import("node:zlib");\n' });
  assert.equal(dynamic.ok, false);
});

Deno.test("check_layers lets the node back end, the compressor and the server side use node:", async () => {
  const result = await checkTree({
    "src/format/primitives_node.ts": NODE_CRYPTO,
    "src/format/compression.ts": 'import { zstdCompressSync } from "node:zlib";\n',
    "src/auth/password_hash.ts": NODE_CRYPTO,
    "src/format/blob_crypto.ts": 'import { primitives } from "#primitives";\n',
  });
  assert.deepEqual(result, { ok: true, errors: "" });
});
