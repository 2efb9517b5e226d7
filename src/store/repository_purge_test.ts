import assert from "node:assert/strict";
import { lockRepository } from "./repository_lock.ts";
import {
  keepRepositoryAside,
  moveRepositoryAside,
  moveRepositoryBack,
  sweepPurgedRepositories,
} from "./repository_purge.ts";

const TAG = "0123456789abcdef";

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

Deno.test("moveRepositoryAside() renames the folder out of reach; moveRepositoryBack() undoes it", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dataDir}/repos/bob-1/keys`, { recursive: true });
    const aside = await moveRepositoryAside(dataDir, "bob-1");
    assert.ok(aside !== null);
    assert.match(aside, /\/repos\/\.purge-bob-1-[0-9a-f]{16}$/);
    assert.deepEqual(await names(`${dataDir}/repos`), [aside.slice(aside.lastIndexOf("/") + 1)]);
    await moveRepositoryBack(dataDir, "bob-1", aside);
    assert.deepEqual(await names(`${dataDir}/repos/bob-1`), ["keys"]);
    assert.equal(await moveRepositoryAside(dataDir, "nobody"), null, "no folder, nothing moved");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("keepRepositoryAside() renames the folder to .removed-NAME-TIME, never over another", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const now = new Date("2024-01-02T03:04:05.678Z");
    const kept: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      await Deno.mkdir(`${dataDir}/repos/erin/keys`, { recursive: true });
      await Deno.writeTextFile(`${dataDir}/repos/erin/keys/k`, String(i));
      kept.push(await keepRepositoryAside(dataDir, "erin", now));
    }
    const stamp = `${dataDir}/repos/.removed-erin-20240102T030405Z`;
    assert.deepEqual(kept, [stamp, `${stamp}-2`, `${stamp}-3`]);
    assert.equal(await Deno.readTextFile(`${stamp}-2/keys/k`), "1");
    assert.deepEqual(
      await names(`${dataDir}/repos`),
      kept.map((p) => p!.slice(p!.lastIndexOf("/") + 1)),
    );
    assert.equal(await keepRepositoryAside(dataDir, "nobody"), null, "no folder, nothing moved");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("sweepPurgedRepositories() deletes purge leftovers only, and none whose lock is held", async () => {
  const dataDir = await Deno.makeTempDir();
  const repos = `${dataDir}/repos`;
  try {
    for (
      const dir of [
        `.purge-bob-${TAG}/chunks`, // leftover: deleted
        `.purge-a-b.c-${TAG}`, // leftover of user "a-b.c": deleted
        `.purge-carol-${TAG}`, // leftover whose lock is held: kept
        "alice/keys", // a user's repository: kept
        `.purge-bob-${TAG.slice(1)}`, // tag too short: kept
        ".purge-.x-0123456789abcdef", // no valid user name: kept
        `purge-bob-${TAG}`, // a user may be named so: kept
        ".removed-erin-20240102T030405Z/snapshots", // kept by userdel: kept
      ]
    ) await Deno.mkdir(`${repos}/${dir}`, { recursive: true });
    await Deno.writeTextFile(`${repos}/.purge-dave-${TAG}`, "a file, not a folder: kept");
    const carol = await lockRepository(dataDir, "carol", 0);
    assert.ok(carol !== null);
    const failures: string[] = [];
    try {
      const deleted = await sweepPurgedRepositories(dataDir, (path) => failures.push(path));
      assert.equal(deleted, 2);
    } finally {
      carol.release();
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(
      await names(repos),
      [
        `.purge-bob-${TAG.slice(1)}`,
        ".purge-.x-0123456789abcdef",
        `.purge-carol-${TAG}`,
        `.purge-dave-${TAG}`,
        ".removed-erin-20240102T030405Z",
        "alice",
        `purge-bob-${TAG}`,
      ].sort(),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("sweepPurgedRepositories() finds nothing to do in a data folder without repos", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    assert.equal(await sweepPurgedRepositories(dataDir), 0);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
