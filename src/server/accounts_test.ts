import assert from "node:assert/strict";
import {
  type ClientKdfParams,
  deriveClientKeys,
  type HashParams,
  HashPool,
  hashSecret,
  LoginRateLimiter,
  parseClientKdf,
  SignupLimiter,
} from "../auth/mod.ts";
import { newCredentials } from "../auth/new_credentials.ts";
import { AuthError, BurrowError, InvalidNameError, NotFoundError } from "../errors.ts";
import { MemoryUserStore } from "../users/memory_user_store.ts";
import { UNRESTRICTED } from "../users/user_store.ts";
import { AccountService } from "./accounts.ts";
import { ServerMetrics } from "./metrics.ts";

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

/** The real pool, counting the jobs that reach it. */
class CountingHashPool extends HashPool {
  verifies = 0;
  hashes = 0;

  override verify(secret: Uint8Array, phc: string): Promise<boolean> {
    this.verifies++;
    return super.verify(secret, phc);
  }

  override hash(secret: Uint8Array, params: HashParams): Promise<string> {
    this.hashes++;
    return super.hash(secret, params);
  }
}

/** The in-memory store, counting lookups. */
class CountingUserStore extends MemoryUserStore {
  gets = 0;

  override get(name: string) {
    this.gets++;
    return super.get(name);
  }
}

interface Fixture {
  accounts: AccountService;
  store: CountingUserStore;
  pool: CountingHashPool;
  lines: string[];
  /** The rate limiters' clock, in milliseconds. */
  clock: { now: number };
  metrics: ServerMetrics;
}

interface FixtureOptions {
  allowSignup?: boolean;
  hashParams?: HashParams;
  kdfFloor?: ClientKdfParams;
  signupsPerHour?: number;
  fakeKdf?: (name: string) => string;
}

async function withAccounts(
  options: FixtureOptions,
  body: (f: Fixture) => Promise<void>,
): Promise<void> {
  const store = new CountingUserStore();
  const pool = new CountingHashPool();
  const lines: string[] = [];
  const clock = { now: 1_000_000 };
  const metrics = new ServerMetrics();
  const log = (level: string) => (message: string, fields?: object) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  const accounts = new AccountService({
    store,
    hashPool: pool,
    rateLimiter: new LoginRateLimiter({ now: () => clock.now }),
    signupLimiter: new SignupLimiter({
      perHour: options.signupsPerHour ?? 5,
      now: () => clock.now,
    }),
    serverSecret: new Uint8Array(32).fill(7),
    hashParams: options.hashParams ?? CHEAP_HASH,
    clientKdfParams: options.kdfFloor ?? CHEAP_KDF,
    allowSignup: options.allowSignup ?? false,
    minPasswordLength: 8,
    logger: { info: log("info"), warn: log("warn"), error: log("error") },
    metrics,
    ...(options.fakeKdf === undefined ? {} : { fakeKdf: options.fakeKdf }),
  });
  try {
    await body({ accounts, store, pool, lines, clock, metrics });
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
    temporaryPassword: false,
    ...UNRESTRICTED,
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

Deno.test("AccountService.verify() counts logins ok, failed (wrong key, unknown name) and rate limited", async () => {
  await withAccounts({}, async ({ accounts, store, metrics }) => {
    await addUser(store, "alice", "pw", CHEAP_HASH);
    await addUser(store, "bob", "pw", CHEAP_HASH);
    await accounts.verify("bob", await authKeyFor(accounts, "bob", "pw"), "10.0.0.3");
    const right = await authKeyFor(accounts, "alice", "pw");
    await assert.rejects(accounts.verify("nobody", right, "10.0.0.2"), AuthError);
    const wrong = await authKeyFor(accounts, "alice", "nope");
    for (let i = 0; i < 5; i++) {
      await assert.rejects(accounts.verify("alice", wrong, "10.0.0.1"), AuthError);
    }
    await assert.rejects(accounts.verify("alice", right, "10.0.0.1"), AuthError);
    const text = metrics.render({ sessionsOpen: 0, storedBytes: new Map(), residentBytes: 0 });
    assert.match(text, /^burrow_logins_total\{result="ok"\} 1$/m);
    assert.match(text, /^burrow_logins_total\{result="failed"\} 6$/m);
    assert.match(text, /^burrow_logins_total\{result="rate_limited"\} 1$/m);
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

Deno.test("AccountService.verify() tells a temporary password; changePassword() ends it", async () => {
  await withAccounts({}, async ({ accounts, store, lines }) => {
    await addUser(store, "alice", "old", CHEAP_HASH);
    await store.update("alice", { temporaryPassword: true });
    const { created } = (await store.get("alice"))!;
    const first = await accounts.verify("alice", await authKeyFor(accounts, "alice", "old"), "h");
    assert.deepEqual(first, { created, temporaryPassword: true });
    assert.match(lines.at(-1) ?? "", /^info login .*"temporaryPassword":true/);
    const next = await newCredentials("new", CHEAP_KDF);
    await accounts.changePassword("alice", next.kdf, next.authKey);
    const again = await accounts.verify("alice", await authKeyFor(accounts, "alice", "new"), "h");
    assert.deepEqual(again, { created, temporaryPassword: false });
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

/** How many of `attempts` settled with each error code ("ok" for a success). */
async function outcomes(attempts: Promise<unknown>[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const result of await Promise.allSettled(attempts)) {
    const code = result.status === "fulfilled"
      ? "ok"
      : result.reason instanceof BurrowError
      ? result.reason.code
      : String(result.reason);
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

Deno.test("AccountService.verify() lets at most 5 of 60 parallel wrong guesses reach the hash pool", async () => {
  const cases: [string, (i: number) => string, string][] = [
    ["one address", () => "10.6.6.6", "alice"],
    ["60 addresses", (i) => `10.6.${i}.1`, "alice"],
    ["60 addresses, unknown name", (i) => `10.6.${i}.1`, "nobody"],
  ];
  for (const [label, addressOf, user] of cases) {
    await withAccounts({}, async ({ accounts, store, pool }) => {
      await addUser(store, "alice", "pw", CHEAP_HASH);
      const wrong = await authKeyFor(accounts, user, "nope");
      const guesses = Array.from(
        { length: 60 },
        (_, i) => accounts.verify(user, wrong, addressOf(i)),
      );
      assert.deepEqual(await outcomes(guesses), { AUTH_FAILED: 5, RATE_LIMITED: 55 }, label);
      assert.equal(pool.verifies, 5, label);
    });
  }
});

Deno.test("AccountService.verify(): a burst of 30 delays the real user by 1 s at most, and not at all from a known address", async () => {
  await withAccounts({}, async ({ accounts, store, clock }) => {
    await addUser(store, "alice", "pw", CHEAP_HASH);
    const right = await authKeyFor(accounts, "alice", "pw");
    const wrong = await authKeyFor(accounts, "alice", "nope");
    await accounts.verify("alice", right, "192.168.1.7");
    const burst = Array.from({ length: 30 }, () => accounts.verify("alice", wrong, "10.6.6.6"));
    assert.deepEqual(await outcomes(burst), { AUTH_FAILED: 5, RATE_LIMITED: 25 });

    const elsewhere = await accounts.verify("alice", right, "172.16.0.9").catch((e) => e);
    assert.ok(elsewhere instanceof AuthError);
    assert.equal(elsewhere.code, "RATE_LIMITED");
    assert.ok((elsewhere.retryAfterMs ?? Infinity) <= 1000, `${elsewhere.retryAfterMs} ms`);
    await accounts.verify("alice", right, "192.168.1.7");
    clock.now += 1000;
    await accounts.verify("alice", right, "172.16.0.9");
  });
});

Deno.test("AccountService.challenge() does the same work for known and unknown names", async () => {
  const fakes: string[] = [];
  const fakeKdf = (name: string) => {
    fakes.push(name);
    return `fake for ${name}`;
  };
  await withAccounts({ fakeKdf }, async ({ accounts, store }) => {
    await addUser(store, "alice", "pw", CHEAP_HASH);
    store.gets = 0;
    const known = await accounts.challenge("alice");
    assert.deepEqual({ fakes, gets: store.gets }, { fakes: ["alice"], gets: 1 });
    const unknown = await accounts.challenge("nobody");
    assert.deepEqual({ fakes, gets: store.gets }, { fakes: ["alice", "nobody"], gets: 2 });
    assert.equal(known, (await store.get("alice"))?.kdf);
    assert.equal(unknown, "fake for nobody");
  });
});

Deno.test("AccountService.signup() creates signupsPerHour accounts per address, then RATE_LIMITED", async () => {
  await withAccounts(
    { allowSignup: true, signupsPerHour: 2 },
    async ({ accounts, clock, lines }) => {
      const c = await newCredentials("pw", CHEAP_KDF);
      await accounts.signup("u1", c.kdf, c.authKey, "10.0.0.1");
      await accounts.signup("u2", c.kdf, c.authKey, "10.0.0.1");
      const refused = await accounts.signup("u3", c.kdf, c.authKey, "10.0.0.1").catch((e) => e);
      assert.ok(refused instanceof AuthError);
      assert.equal(refused.code, "RATE_LIMITED");
      assert.equal(refused.retryAfterMs, 30 * 60_000);
      assert.match(refused.message, /too many signups from this address, try again in 1800 s/);
      assert.match(lines.at(-1) ?? "", /signup refused: rate limited/);
      await accounts.signup("u3", c.kdf, c.authKey, "10.0.0.2");
      clock.now += 30 * 60_000;
      await accounts.signup("u4", c.kdf, c.authKey, "10.0.0.1");
    },
  );
});

Deno.test("AccountService.signup() counts taken names against the address, without hashing", async () => {
  await withAccounts({ allowSignup: true }, async ({ accounts, store, pool }) => {
    await addUser(store, "alice", "pw", CHEAP_HASH);
    const c = await newCredentials("pw", CHEAP_KDF);
    const answers: string[] = [];
    for (let i = 0; i < 22; i++) {
      const answer = accounts.signup("alice", c.kdf, c.authKey, "10.6.6.6");
      answers.push(await answer.then(() => "ok", (e) => e.code));
    }
    assert.deepEqual(answers, [...Array(20).fill("USER_EXISTS"), "RATE_LIMITED", "RATE_LIMITED"]);
    assert.equal(pool.hashes, 0);
    // The same address is backed off for logins too, and for new names.
    const right = await authKeyFor(accounts, "alice", "pw");
    const login = await accounts.verify("alice", right, "10.6.6.6").catch((e) => e);
    assert.equal(login.code, "RATE_LIMITED");
    const fresh = await accounts.signup("zed", c.kdf, c.authKey, "10.6.6.6").catch((e) => e);
    assert.equal(fresh.code, "RATE_LIMITED");
    await accounts.signup("zed", c.kdf, c.authKey, "10.0.0.1");
  });
});

Deno.test("AccountService.verify() refuses a disabled account: the generic failure without its password", async () => {
  await withAccounts({}, async ({ accounts, store, lines }) => {
    await addUser(store, "alice", "right", CHEAP_HASH);
    await store.update("alice", { disabled: true });
    const wrong = await accounts.verify("alice", await authKeyFor(accounts, "alice", "wrong"), "h")
      .catch((e) => e);
    assert.ok(wrong instanceof AuthError && wrong.code === "AUTH_FAILED");
    assert.equal(wrong.message, "Cannot log in: wrong user name or password");
    const right = await accounts.verify("alice", await authKeyFor(accounts, "alice", "right"), "h")
      .catch((e) => e);
    assert.ok(right instanceof AuthError && right.code === "AUTH_FAILED");
    assert.equal(
      right.message,
      "Cannot log in: this account is disabled; ask the server's administrator",
    );
    assert.equal((await store.get("alice"))?.lastLogin, null, "no login was recorded");
    assert.match(lines.at(-1) ?? "", /^warn login refused: account disabled/);
    await store.update("alice", { disabled: false });
    await accounts.verify("alice", await authKeyFor(accounts, "alice", "right"), "h");
  });
});

Deno.test("AccountService.limitsOf() reads the limits now, and ends a disabled or replaced account", async () => {
  await withAccounts({}, async ({ accounts, store }) => {
    await addUser(store, "alice", "pw", CHEAP_HASH);
    const { created } = (await store.get("alice"))!;
    assert.deepEqual(await accounts.limitsOf("alice", created), { appendOnly: false, quota: null });
    await store.update("alice", { appendOnly: true, quota: 5000 });
    assert.deepEqual(await accounts.limitsOf("alice", created), { appendOnly: true, quota: 5000 });
    await store.update("alice", { disabled: true });
    await assert.rejects(
      accounts.limitsOf("alice", created),
      (e) => e instanceof AuthError && e.code === "AUTH_FAILED" && /disabled/.test(e.message),
    );
    await assert.rejects(accounts.limitsOf("alice", "2020-01-01T00:00:00.000Z"), NotFoundError);
    await store.remove("alice");
    await assert.rejects(accounts.limitsOf("alice", created), NotFoundError);
  });
});
