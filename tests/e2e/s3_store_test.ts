/**
 * End to end: `burrow serve --store s3://…` against a real S3 service (Ceph RGW, started by
 * scripts/scaleout/ceph-rgw-up.sh; ignored with the reason printed when it is not configured),
 * and the start-up errors of the S3 flags, which need no service.
 */
import assert from "node:assert/strict";
import { addUser, burrow, clientOf, startServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";
import {
  freshPrefix,
  removePrefix,
  s3Problem,
  TEST_BUCKET,
  testObjectStore,
  testS3Settings,
} from "../_s3_env.ts";

/** The server flags and environment for the test bucket under `prefix` (without its `/`). */
function s3Server(prefix: string, secret?: string) {
  const settings = testS3Settings();
  return {
    extraArgs: [
      "--store",
      `s3://${TEST_BUCKET}/${prefix}`,
      "--s3-endpoint",
      settings.endpoint,
      "--s3-region",
      settings.region,
    ],
    env: {
      AWS_ACCESS_KEY_ID: settings.accessKeyId,
      AWS_SECRET_ACCESS_KEY: secret ?? settings.secretAccessKey,
    },
  };
}

Deno.test({
  name: "serve --store s3: a pushed tree pulls back byte for byte after a restart, packs on S3",
  ignore: s3Problem !== null,
  fn: async () => {
    const objects = await testObjectStore();
    const prefix = freshPrefix("e2e").slice(0, -1);
    const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
    const options = s3Server(prefix);
    let server = await startServer(options);
    try {
      assert.match(server.banner, new RegExp(`chunks in s3://${TEST_BUCKET}/${prefix} on http`));
      await addUser(server, "alice", "alice-pass");
      const source = `${work}/project`;
      await makeTree(source);
      const pushed = await clientOf(server, "alice", "alice-pass")(["push", source]);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.equal(await server.stop(), 0);

      const keys: string[] = [];
      for await (const { key } of objects.list(`${prefix}/alice/`)) keys.push(key);
      assert.ok(keys.some((key) => key.endsWith(".pack")), keys.join("\n"));
      assert.ok(keys.some((key) => key.endsWith(".idx")), keys.join("\n"));
      const local = await Array.fromAsync(Deno.readDir(`${server.dataDir}/repos/alice`));
      assert.ok(!local.some((entry) => entry.name === "chunks"), "no chunk store under DATA");

      server = await startServer({ ...options, dataDir: server.dataDir });
      const pulled = await clientOf(server, "alice", "alice-pass")(["pull", `${work}/back`]);
      assert.equal(pulled.code, 0, pulled.stderr);
      await assertSameTree(source, `${work}/back/project`);
      const checked = await clientOf(server, "alice", "alice-pass")(["check", "--read-data"]);
      assert.equal(checked.code, 0, checked.stderr);
      assert.ok(!server.stderrText().includes(options.env.AWS_SECRET_ACCESS_KEY));
    } finally {
      await server.stop();
      await Deno.remove(work, { recursive: true });
      await Deno.remove(server.dataDir, { recursive: true });
      await removePrefix(objects, `${prefix}/`);
      objects.close();
    }
  },
});

Deno.test({
  name: "serve --store s3 with a wrong secret stops at start with one line that does not name it",
  ignore: s3Problem !== null,
  fn: async () => {
    const data = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
    const secret = "wrong-secret-0123456789abcdefghijklmnopqrstu";
    const { extraArgs, env } = s3Server("e2e-wrong", secret);
    const served = await burrow(
      ["serve", "--listen", "127.0.0.1:0", "--data", data, ...extraArgs],
      {
        env,
      },
    );
    await Deno.remove(data, { recursive: true });
    assert.equal(served.code, 1, served.stderr);
    const lines = served.stderr.trim().split("\n");
    assert.equal(lines.length, 1, served.stderr);
    assert.match(lines[0]!, /Cannot reach S3 bucket .*SignatureDoesNotMatch/);
    assert.ok(!served.stderr.includes(secret) && !served.stdout.includes(secret));
  },
});

Deno.test("serve --store: a bad spec, a missing endpoint or missing credentials stop it at once", async () => {
  const data = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  const serve = (args: string[], env: Record<string, string> = {}) =>
    burrow(["serve", "--listen", "127.0.0.1:0", "--data", data, ...args], { env });
  const endpoint = ["--s3-endpoint", "http://127.0.0.1:9"];
  const keys = { AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "secret" };
  const cases: [string[], Record<string, string>, number, RegExp][] = [
    [["--store", "/srv/chunks", ...endpoint], keys, 2, /Invalid --store .*s3:\/\/BUCKET/],
    [["--store", "s3://b/../x", ...endpoint], keys, 2, /Invalid --store/],
    [["--store", "s3://bucket/p"], keys, 2, /--s3-endpoint URL/],
    [["--store", "s3://bucket/p", "--s3-endpoint", "http://u:pw@h:1"], keys, 2, /Invalid --s3/],
    [["--s3-endpoint", "http://127.0.0.1:9"], keys, 2, /without --store/],
    [["--store", "s3://bucket/p", ...endpoint], {}, 1, /set AWS_ACCESS_KEY_ID and AWS_SECRET/],
  ];
  try {
    for (const [args, env, code, message] of cases) {
      const served = await serve(args, env);
      assert.equal(served.code, code, `${args.join(" ")}: ${served.stderr}`);
      assert.match(served.stderr, message);
      assert.equal(served.stderr.trim().split("\n").length, 1, served.stderr);
      assert.ok(!served.stderr.includes("pw@"), "no credentials from the endpoint");
    }
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});
