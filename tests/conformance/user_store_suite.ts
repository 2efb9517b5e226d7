/**
 * The conformance suite every `UserStore` implementation runs: `userStoreSuite("csv", open)`
 * registers one Deno test per promise of the contract in `src/users/user_store.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { InvalidNameError, NotFoundError, UserExistsError } from "../../src/errors.ts";
import { UNRESTRICTED, type UserRecord, type UserStore } from "../../src/users/user_store.ts";

/** A fresh, empty store and how to get at its data again. */
export interface UserStoreFixture {
  /** The store under test, empty. */
  store: UserStore;
  /** Opens a second instance on the same data; absent for stores that do not persist. */
  reopen?: () => Promise<UserStore>;
  /** Removes what the fixture created; called after every store is closed. */
  cleanup: () => Promise<void>;
}

/** Names every method must refuse with InvalidNameError. */
export const INVALID_NAMES: readonly string[] = [
  "",
  "../x",
  "a/b",
  "x".repeat(300),
  "a\u0000b",
  "a\nb",
  "a\u007fb",
  ".hidden",
  "-dash",
  "with space",
  "ünïcode",
];

/** Field values that stress quoting: commas, quotes, newlines, UTF-8 outside the BMP. */
const NASTY = [
  'a,b,"c",""',
  'line1\nline2\r\nline3\r"',
  "ünïcødé ✓ 𝄞 😀 中文",
  " leading and trailing spaces ",
  "",
  "=cmd|' /C calc'!A0",
  "tab\there;semi",
];

/** A valid record for `name`, with `overrides` applied. */
export function sampleRecord(name: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    name,
    created: "2024-01-02T03:04:05.678Z",
    lastLogin: null,
    kdf: "argon2id$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA",
    verifier: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
    temporaryPassword: false,
    ...UNRESTRICTED,
    ...overrides,
  };
}

type Body = (store: UserStore, fixture: UserStoreFixture) => Promise<void>;

/** Options of `userStoreSuite`. */
export interface UserStoreSuiteOptions {
  /** False for stores that keep nothing across instances: the reopen tests are then ignored. */
  persistent?: boolean;
  /** True when the store's service is not at hand here: every test is then ignored. */
  ignore?: boolean;
}

/**
 * Registers the conformance tests for one implementation.
 * @param name the implementation's name, prefixed to every test name ("csv UserStore: …").
 * @param open makes a fresh fixture per test; persistent stores must give `reopen`.
 */
export function userStoreSuite(
  name: string,
  open: () => Promise<UserStoreFixture>,
  options: UserStoreSuiteOptions = {},
): void {
  const persistent = options.persistent ?? true;
  const test: Register = (title, body, needsReopen = false) =>
    Deno.test({
      name: `${name} UserStore: ${title}`,
      ignore: (options.ignore ?? false) || (needsReopen && !persistent),
      fn: () => runWithFixture(open, body),
    });
  registerBasics(test);
  registerErrors(test);
  registerPersistence(test);
}

/** Runs `body` on a fresh fixture, then closes every store it opened and cleans up. */
async function runWithFixture(open: () => Promise<UserStoreFixture>, body: Body): Promise<void> {
  const fixture = await open();
  const opened: UserStore[] = [fixture.store];
  const tracked: UserStoreFixture = { ...fixture };
  const reopen = fixture.reopen;
  if (reopen !== undefined) {
    tracked.reopen = async () => {
      const store = await reopen();
      opened.push(store);
      return store;
    };
  }
  try {
    await body(fixture.store, tracked);
  } finally {
    for (const store of opened) await store.close();
    await fixture.cleanup();
  }
}

type Register = (title: string, body: Body, needsReopen?: boolean) => void;

function registerBasics(test: Register): void {
  test("add() then get() returns the record", async (store) => {
    const record = sampleRecord("alice", { lastLogin: "2024-02-03T04:05:06.789Z" });
    await store.add(record);
    assert.deepEqual(await store.get("alice"), record);
  });

  test("get() of a missing name returns null", async (store) => {
    assert.deepEqual(await store.get("nobody"), null);
    await store.add(sampleRecord("alice"));
    assert.deepEqual(await store.get("Alice"), null, "names are case-sensitive");
  });

  test("update() changes only the given fields", async (store) => {
    await store.add(sampleRecord("alice"));
    await store.add(sampleRecord("bob"));
    await store.update("alice", { lastLogin: "2025-01-01T00:00:00.000Z" });
    assert.deepEqual(
      await store.get("alice"),
      sampleRecord("alice", { lastLogin: "2025-01-01T00:00:00.000Z" }),
    );
    await store.update("alice", { kdf: "k2", verifier: "v2" });
    const expected = sampleRecord("alice", {
      lastLogin: "2025-01-01T00:00:00.000Z",
      kdf: "k2",
      verifier: "v2",
    });
    assert.deepEqual(await store.get("alice"), expected);
    await store.update("alice", {});
    assert.deepEqual(await store.get("alice"), expected);
    await store.update("alice", { lastLogin: null });
    assert.deepEqual((await store.get("alice"))?.lastLogin, null);
    assert.deepEqual(await store.get("bob"), sampleRecord("bob"));
  });

  test("temporaryPassword is kept by add() and changed by update()", async (store, f) => {
    await store.add(sampleRecord("alice", { temporaryPassword: true }));
    await store.add(sampleRecord("bob"));
    assert.deepEqual(await store.get("alice"), sampleRecord("alice", { temporaryPassword: true }));
    await store.update("alice", { kdf: "k2", verifier: "v2", temporaryPassword: false });
    const changed = sampleRecord("alice", { kdf: "k2", verifier: "v2" });
    assert.deepEqual(await store.get("alice"), changed);
    await store.update("bob", { temporaryPassword: true });
    if (f.reopen !== undefined) {
      const again = await f.reopen();
      assert.deepEqual(await again.list(), [
        changed,
        sampleRecord("bob", { temporaryPassword: true }),
      ]);
    }
    await assert.rejects(
      async () => await store.add(sampleRecord("carol", { temporaryPassword: "yes" as never })),
      TypeError,
    );
  });

  test(
    "appendOnly, quota and disabled are kept by add() and changed by update()",
    async (store, f) => {
      const limited = sampleRecord("alice", {
        appendOnly: true,
        quota: 50 * 2 ** 30,
        disabled: true,
      });
      await store.add(limited);
      await store.add(sampleRecord("bob", { quota: 0 }));
      assert.deepEqual(await store.get("alice"), limited);
      assert.deepEqual((await store.get("bob"))?.quota, 0, "a quota of 0 is not no quota");
      await store.update("alice", { appendOnly: false, quota: null });
      const lifted = sampleRecord("alice", { disabled: true });
      assert.deepEqual(await store.get("alice"), lifted);
      await store.update("alice", { disabled: false, lastLogin: "2025-01-01T00:00:00.000Z" });
      const enabled = sampleRecord("alice", { lastLogin: "2025-01-01T00:00:00.000Z" });
      await store.update("bob", { quota: Number.MAX_SAFE_INTEGER, appendOnly: true });
      const bob = sampleRecord("bob", { quota: Number.MAX_SAFE_INTEGER, appendOnly: true });
      assert.deepEqual(await store.list(), [enabled, bob]);
      if (f.reopen !== undefined) assert.deepEqual(await (await f.reopen()).list(), [enabled, bob]);
      for (const quota of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, "5" as never, Number.NaN]) {
        await assert.rejects(
          async () => await store.add(sampleRecord("carol", { quota })),
          RangeError,
        );
        await assert.rejects(async () => await store.update("bob", { quota }), RangeError);
      }
      await assert.rejects(
        async () => await store.add(sampleRecord("carol", { appendOnly: "yes" as never })),
        TypeError,
      );
      await assert.rejects(
        async () => await store.update("bob", { disabled: 1 as never }),
        TypeError,
      );
      assert.deepEqual(await store.list(), [enabled, bob]);
    },
  );

  test("remove() deletes the record and frees the name", async (store) => {
    await store.add(sampleRecord("alice"));
    await store.add(sampleRecord("bob"));
    await store.remove("alice");
    assert.deepEqual(await store.get("alice"), null);
    assert.deepEqual((await store.list()).map((r) => r.name), ["bob"]);
    await store.add(sampleRecord("alice", { kdf: "again" }));
    assert.deepEqual((await store.get("alice"))?.kdf, "again");
  });

  test("list() returns every record sorted by name", async (store) => {
    assert.deepEqual(await store.list(), []);
    const names = ["mallory", "Bob", "alice", "9lives", "carol.x", "carol-y", "carol_z", "Zed"];
    for (const n of names) await store.add(sampleRecord(n));
    const expected = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual((await store.list()).map((r) => r.name), expected);
    assert.deepEqual((await store.list())[0], sampleRecord(expected[0] ?? ""));
  });

  test("get() and list() return copies the caller cannot use to change the store", async (store) => {
    await store.add(sampleRecord("alice"));
    const got = await store.get("alice");
    assert.ok(got !== null);
    got.kdf = "changed";
    const listed = await store.list();
    listed[0]!.verifier = "changed";
    assert.deepEqual(await store.get("alice"), sampleRecord("alice"));
  });

  test("field values with commas, quotes, newlines and UTF-8 round trip", async (store, f) => {
    const records = NASTY.map((value, i) =>
      sampleRecord(`user${i}`, { kdf: value, verifier: [...value].reverse().join("") })
    );
    for (const record of records) await store.add(record);
    assert.deepEqual(await store.list(), records);
    await store.update("user0", { verifier: NASTY.join("|") });
    assert.deepEqual((await store.get("user0"))?.verifier, NASTY.join("|"));
    if (f.reopen !== undefined) {
      const again = await f.reopen();
      assert.deepEqual((await again.list()).slice(1), records.slice(1));
    }
  });

  test("close() is idempotent", async (store) => {
    await store.add(sampleRecord("alice"));
    await store.close();
    await store.close();
  });
}

function registerErrors(test: Register): void {
  test("add() of a taken name throws UserExistsError and leaves the store unchanged", async (store) => {
    const first = sampleRecord("alice");
    await store.add(first);
    await assert.rejects(
      async () => await store.add(sampleRecord("alice", { kdf: "other", verifier: "other" })),
      (error) =>
        error instanceof UserExistsError && error.message.includes('Cannot add user "alice"'),
    );
    assert.deepEqual(await store.list(), [first]);
  });

  test("update() and remove() of a missing name throw NotFoundError", async (store) => {
    await store.add(sampleRecord("alice"));
    await assert.rejects(
      async () => await store.update("bob", { kdf: "x" }),
      (error) => error instanceof NotFoundError && error.message.includes('"bob"'),
    );
    await assert.rejects(async () => await store.update("bob", {}), NotFoundError);
    await assert.rejects(
      async () => await store.remove("bob"),
      (error) => error instanceof NotFoundError && error.message.includes('"bob"'),
    );
    assert.deepEqual(await store.list(), [sampleRecord("alice")]);
  });

  test("every method throws InvalidNameError for an invalid name", async (store) => {
    await store.add(sampleRecord("alice"));
    for (const bad of INVALID_NAMES) {
      await assert.rejects(async () => await store.get(bad), InvalidNameError);
      await assert.rejects(async () => await store.add(sampleRecord(bad)), InvalidNameError);
      await assert.rejects(async () => await store.update(bad, { kdf: "x" }), InvalidNameError);
      await assert.rejects(async () => await store.remove(bad), InvalidNameError);
    }
    assert.deepEqual(await store.list(), [sampleRecord("alice")]);
  });

  test("add() and update() throw RangeError for a malformed time", async (store) => {
    const badTimes = [
      "",
      "yesterday",
      "2024-01-02",
      "2024-13-01T00:00:00.000Z",
      "2023-02-29T00:00:00.000Z",
      "2024-01-02T03:04:05+01:00",
    ];
    for (const created of badTimes) {
      await assert.rejects(
        async () => await store.add(sampleRecord("alice", { created })),
        RangeError,
      );
    }
    await assert.rejects(
      async () => await store.add(sampleRecord("alice", { lastLogin: "x" })),
      RangeError,
    );
    await store.add(sampleRecord("alice"));
    await assert.rejects(
      async () => await store.update("alice", { lastLogin: "soon" }),
      RangeError,
    );
    assert.deepEqual(await store.list(), [sampleRecord("alice")]);
  });
}

function registerPersistence(test: Register): void {
  test("records survive close and reopen", async (store, f) => {
    await store.add(sampleRecord("alice"));
    await store.add(sampleRecord("bob", { lastLogin: "2024-05-06T07:08:09.000Z" }));
    await store.update("alice", { kdf: "k2" });
    await store.remove("bob");
    await store.add(sampleRecord("carol"));
    await store.close();
    assert.ok(f.reopen !== undefined, "a persistent store's fixture must give reopen()");
    const again = await f.reopen();
    assert.deepEqual(await again.list(), [
      sampleRecord("alice", { kdf: "k2" }),
      sampleRecord("carol"),
    ]);
  }, true);

  test("a second instance sees the first one's writes at once", async (store, f) => {
    assert.ok(f.reopen !== undefined, "a persistent store's fixture must give reopen()");
    const other = await f.reopen();
    assert.deepEqual(await other.get("alice"), null);
    await store.add(sampleRecord("alice"));
    assert.deepEqual(await other.get("alice"), sampleRecord("alice"));
    await other.update("alice", { lastLogin: "2024-05-06T07:08:09.000Z" });
    assert.deepEqual((await store.get("alice"))?.lastLogin, "2024-05-06T07:08:09.000Z");
    await other.remove("alice");
    assert.deepEqual(await store.list(), []);
    await other.add(sampleRecord("bob"));
    await assert.rejects(async () => await store.add(sampleRecord("bob")), UserExistsError);
  }, true);

  test("two instances adding and changing users at once lose nothing", async (store, f) => {
    assert.ok(f.reopen !== undefined, "a persistent store's fixture must give reopen()");
    const other = await f.reopen();
    await store.add(sampleRecord("alice"));
    const names = (prefix: string) => Array.from({ length: 8 }, (_, i) => `${prefix}${i}`);
    await Promise.all([
      ...names("a").map((n) => store.add(sampleRecord(n))),
      ...names("b").map((n) => other.add(sampleRecord(n))),
      store.update("alice", { quota: 1000 }),
      other.update("alice", { disabled: true }),
      store.update("alice", { lastLogin: "2025-01-01T00:00:00.000Z" }),
      other.update("alice", { appendOnly: true }),
    ]);
    const outcomes = await Promise.allSettled([
      store.add(sampleRecord("carol", { kdf: "from the first" })),
      other.add(sampleRecord("carol", { kdf: "from the second" })),
    ]);
    assert.deepEqual(outcomes.filter((o) => o.status === "fulfilled").length, 1);
    const refused = outcomes.find((o) => o.status === "rejected");
    assert.ok(refused?.reason instanceof UserExistsError, String(refused?.reason));
    const expected = [...names("a"), ...names("b"), "alice", "carol"].sort();
    for (const instance of [store, other]) {
      assert.deepEqual((await instance.list()).map((r) => r.name), expected);
      assert.deepEqual(
        await instance.get("alice"),
        sampleRecord("alice", {
          quota: 1000,
          disabled: true,
          appendOnly: true,
          lastLogin: "2025-01-01T00:00:00.000Z",
        }),
      );
    }
  }, true);
}
