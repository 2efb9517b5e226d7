import assert from "node:assert/strict";
import { parseS3StoreSpec } from "./s3_store_spec.ts";
import { repositoryPrefix } from "./_s3_layout.ts";

Deno.test("parseS3StoreSpec() reads the bucket and the prefix", () => {
  assert.deepEqual(parseS3StoreSpec("s3://backups/burrow/eu-1"), {
    bucket: "backups",
    prefix: "burrow/eu-1",
  });
  assert.deepEqual(parseS3StoreSpec("s3://backups"), { bucket: "backups", prefix: "" });
  assert.deepEqual(parseS3StoreSpec("s3://backups/p/"), { bucket: "backups", prefix: "p" });
});

Deno.test("parseS3StoreSpec() refuses other schemes, bad buckets and prefixes that climb", () => {
  for (
    const spec of [
      "/srv/data",
      "s3:/b/p",
      "s3://B/p",
      "s3://ab/p",
      "s3://a..b/p",
      "s3://bucket/../etc",
      "s3://bucket/a//b",
      "s3://bucket/.hidden",
      `s3://bucket/${"a".repeat(300)}`,
    ]
  ) {
    assert.throws(() => parseS3StoreSpec(spec), RangeError, spec);
  }
});

Deno.test("repositoryPrefix() separates accounts of one name by their creation time", () => {
  const first = repositoryPrefix("p", "alice", "2025-01-02T03:04:05.678Z");
  assert.equal(first, "p/alice/20250102T030405678Z/");
  assert.notEqual(first, repositoryPrefix("p", "alice", "2025-03-02T03:04:05.678Z"));
  assert.equal(repositoryPrefix("", "bob", "x"), "bob/x/");
  assert.throws(() => repositoryPrefix("p", "../x", "t"));
});
