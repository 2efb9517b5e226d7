import assert from "node:assert/strict";
import {
  type ClientKdfParams,
  deriveClientKeys,
  type HashParams,
  HashPool,
  hashSecret,
  LoginRateLimiter,
  parseClientKdf,
} from "../auth/mod.ts";
import { newCredentials } from "../auth/new_credentials.ts";
import { AuthError, BurrowError, InvalidNameError } from "../errors.ts";
import { MemoryUserStore } from "../users/memory_user_store.ts";
import { AccountService } from "./accounts.ts";

// Cheap parameters, passed as configuration: the code path is the production one.
const CHEAP_HASH: HashParams = {
  algorithm: "argon2id",
  memoryKiB: 64,
  iterations: 1,
  parallelism: 1,
};
const CHEAP_KDF: ClientKdfParams = {
  algorithm: "argon2id",
  memoryKiB: 1024,
  iterations: 1,
  parallelism: 1,
};

interface Fixture {
  accounts: AccountService;
  store: MemoryUserStore;
  pool: HashPool;
  lines: string[];
}

async function withAccounts(
  options: { allowSignup?: boolean; hashParams?: HashParams; kdfFloor?: ClientKdfParams },
  body: (f: Fixture) => Promise<void>,
): Promise<void> {
  const store = new MemoryUserStore();
  const pool = new HashPool();
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: object) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  const accounts = new AccountService({
    store,
    hashPool: pool,
    rateLimiter: new LoginRateLimiter(),
    serverSecret: new Uint8Array(32).fill(7),
    hashParams: options.hashParams ?? CHEAP_HASH,
    clientKdfParams: options.kdfFloor ?? CHEAP_KDF,
    allowSignup: options.allowSignup ?? false,
    logger: { info: log("info"), warn: log("warn"), error: log("error") },
  });
  try {
    await body({ accounts, store, pool, lines });
  } finally {
    await pool.close();
    await store.close();
  }
}

async function addUser(store: MemoryUserStore, name: string, password: string, hash: HashParams) {
  const credentials = await newCredentials(password, CHEAP_KDF);
  const verifier = await hashSecret(credentials.authKey, hash);
  await store.add({
    name,
    created: new Date().toISOString(),
    lastLogin: null,
    kdf: credentials.kdf,
    verifier,
  });
}

async function authKeyFor(accounts: AccountService, name: string, password: string) {
  return (await deriveClientKeys(password, parseClientKdf(await accounts.challenge(name)))).authKey;
}

Deno.test("AccountService.verify() accepts the right key and records the login", async () => {
  await withAccounts({}, async ({ accounts, store }) => {
    await addUser(store, "alice", "pw", CHEAP_HASH);
    await accounts.verify("alice", await authKeyFor(accounts, "alice", "pw"), "10.0.0.1");
    assert.notEqual((await store.get("alice"))?.lastLogin, null);
  });
});

Deno.test("AccountService.verify() answers unknown user and wrong password alike", async () => {
  await withAccounts({}, async ({ accounts, store, lines }) => {
    await addUser(store, "alice", "pw", CHEAP_HASH);
    const wrong = await assert.rejects(
      accounts.verify("alice", await authKeyFor(accounts, "alice", "nope"), "10.0.0.1"),
      AuthError,
    ).then(() => lines.at(-1));
    const unknown = await accounts.verify("bob", new Uint8Array(32), "10.0.0.1").catch((e) => e);
    assert.ok(unknown instanceof AuthError);
    assert.equal(unknown.code, "AUTH_FAILED");
    assert.match(unknown.message, /wrong user name or password/);
    assert.match(wrong ?? "", /wrong password/);
    assert.match(lines.at(-1) ?? "", /unknown user/);
  });
});

Deno.test("AccountService.challenge() gives a stable fake KDF for unknown names", async () => {
  await withAccounts({}, async ({ accounts }) => {
    const first = await accounts.challenge("nobody");
    assert.equal(await accounts.challenge("nobody"), first);
    assert.notEqual(await accounts.challenge("somebody"), first);
    assert.equal(parseClientKdf(first).memoryKiB, CHEAP_KDF.memoryKiB);
    await assert.rejects(accounts.challenge("../x"), InvalidNameError);
  });
});

Deno.test("AccountService.verify() upgrades a verifier with old parameters", async () => {
  const strong: HashParams = {
    algorithm: "argon2id",
    memoryKiB: 128,
    iterations: 2,
    parallelism: 1,
  };
  await withAccounts({ hashParams: strong }, async ({ accounts, store }) => {
    await addUser(store, "alice", "pw", { algorithm: "scrypt", logN: 10, r: 8, p: 1 });
    assert.match((await store.get("alice"))?.verifier ?? "", /^\$scrypt\$/);
    const key = await authKeyFor(accounts, "alice", "pw");
    await accounts.verify("alice", key, "10.0.0.1");
    assert.match((await store.get("alice"))?.verifier ?? "", /^\$argon2id\$v=19\$m=128,t=2,p=1\$/);
    await accounts.verify("alice", key, "10.0.0.1");
  });
});

Deno.test("AccountService.verify() refuses with RATE_LIMITED after repeated failures", async () => {
  await withAccounts({}, async ({ accounts, store }) => {
    await addUser(store, "alice", "pw", CHEAP_HASH);
    const wrong = await authKeyFor(accounts, "alice", "nope");
    for (let i = 0; i < 5; i++) {
      await assert.rejects(accounts.verify("alice", wrong, "10.0.0.1"), AuthError);
    }
    const right = await authKeyFor(accounts, "alice", "pw");
    const error = await accounts.verify("alice", right, "10.0.0.1").catch((e) => e);
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, "RATE_LIMITED");
    assert.ok((error.retryAfterMs ?? 0) > 0);
  });
});

Deno.test("AccountService.signup() needs --allow-signup and a KDF at least as strong as the floor", async () => {
  await withAccounts({}, async ({ accounts }) => {
    const c = await newCredentials("pw", CHEAP_KDF);
    const closed = await accounts.signup("carol", c.kdf, c.authKey, "10.0.0.1").catch((e) => e);
    assert.equal(closed.code, "SIGNUP_DISABLED");
  });
  const floor = { ...CHEAP_KDF, memoryKiB: 2048 };
  await withAccounts({ allowSignup: true, kdfFloor: floor }, async ({ accounts, store }) => {
    const weak = await newCredentials("pw", CHEAP_KDF);
    const refused = await accounts.signup("dave", weak.kdf, weak.authKey, "10.0.0.1").catch((e) =>
      e
    );
    assert.ok(refused instanceof BurrowError);
    assert.match(refused.message, /weaker than this server's minimum/);
    assert.equal(await store.get("dave"), null);

    const ok = await newCredentials("pw", floor);
    await accounts.signup("carol", ok.kdf, ok.authKey, "10.0.0.1");
    assert.ok(await store.get("carol"));
    await assert.rejects(accounts.signup("carol", ok.kdf, ok.authKey, "10.0.0.1"), BurrowError);
  });
});

Deno.test("AccountService.changePassword() makes the old key fail at once", async () => {
  await withAccounts({}, async ({ accounts, store }) => {
    await addUser(store, "alice", "old", CHEAP_HASH);
    const next = await newCredentials("new", CHEAP_KDF);
    await accounts.changePassword("alice", next.kdf, next.authKey);
    await assert.rejects(
      accounts.verify("alice", await authKeyFor(accounts, "alice", "old"), "10.0.0.1"),
      AuthError,
    );
    await accounts.verify("alice", await authKeyFor(accounts, "alice", "new"), "10.0.0.1");
  });
});
