/**
 * Test helpers for this folder: an in-memory connection pair (the server's end is a
 * `SessionConn`, the client's a `ByteStream`) and an account service with cheap parameters.
 * Only `*_test.ts` files import this module.
 *
 * @module
 */
import {
  type ClientKdfParams,
  type HashParams,
  HashPool,
  LoginRateLimiter,
  SignupLimiter,
} from "../auth/mod.ts";
import { newCredentials } from "../auth/new_credentials.ts";
import { hashSecret } from "../auth/password_hash.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { ByteStream } from "../protocol/mod.ts";
import type { ChunkStore } from "../store/chunk_store.ts";
import { MemoryChunkStore } from "../store/memory_chunk_store.ts";
import { MemoryUserStore } from "../users/memory_user_store.ts";
import { UNRESTRICTED } from "../users/user_store.ts";
import { AccountService } from "./accounts.ts";
import { RepositoryRegistry } from "./repositories.ts";
import type { SessionConn } from "./session.ts";

/** Cheap hashing for tests, passed as configuration: the code path is the production one. */
export const CHEAP_HASH: HashParams = {
  algorithm: "argon2id",
  memoryKiB: 64,
  iterations: 1,
  parallelism: 1,
};
/** Cheap client KDF for tests. */
export const CHEAP_KDF: ClientKdfParams = {
  algorithm: "argon2id",
  memoryKiB: 1024,
  iterations: 1,
  parallelism: 1,
};

/** One direction of a pipe: bytes written are read in order; `end` makes reads return null. */
class Pipe {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  write(bytes: Uint8Array): number {
    if (this.#ended) throw new Deno.errors.BrokenPipe("Cannot write: the pipe is closed");
    this.#chunks.push(bytes.slice());
    this.#wake?.();
    return bytes.length;
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    const head = this.#chunks[0]!;
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    return n;
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }
}

/** One end of an in-memory connection. */
class MemoryConn implements SessionConn {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  /** Whether `close` was called on this end. */
  closed = false;
  readonly #in: Pipe;
  readonly #out: Pipe;
  readonly #handshake: Promise<void>;

  constructor(input: Pipe, output: Pipe, ports: [number, number], handshake: Promise<void>) {
    this.#in = input;
    this.#out = output;
    this.localAddr = { transport: "tcp", hostname: "127.0.0.1", port: ports[0] };
    this.remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: ports[1] };
    this.#handshake = handshake;
  }

  handshake(): Promise<void> {
    return this.#handshake;
  }

  read(p: Uint8Array): Promise<number | null> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("Bad resource ID"));
    return this.#in.read(p);
  }

  write(p: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("Bad resource ID"));
    try {
      return Promise.resolve(this.#out.write(p));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  closeWrite(): Promise<void> {
    this.#out.end();
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
    this.#out.end();
    this.#in.end();
  }
}

/** Options of `memoryConnPair`. */
export interface MemoryConnOptions {
  /** What the server's `handshake()` does (default: resolves at once). */
  handshake?: Promise<void>;
}

/** A connected pair: `server` for a `Session`, `client` for a `FrameStream` or an `RpcChannel`. */
export function memoryConnPair(
  options: MemoryConnOptions = {},
): { server: MemoryConn; client: MemoryConn & ByteStream } {
  const up = new Pipe();
  const down = new Pipe();
  const handshake = options.handshake ?? Promise.resolve();
  return {
    server: new MemoryConn(up, down, [7443, 50000], handshake),
    client: new MemoryConn(down, up, [50000, 7443], Promise.resolve()),
  };
}

/** Options of `testAccounts`. */
export interface TestAccountsOptions {
  allowSignup?: boolean;
  logger?: Logger;
  /** The client KDF of new accounts (default the cheap one; a browser refuses it). */
  clientKdfParams?: ClientKdfParams;
}

/** An account service over an in-memory user store, with cheap hashing; `close` ends its pool. */
export function testAccounts(
  options: TestAccountsOptions = {},
): { accounts: AccountService; store: MemoryUserStore; close(): Promise<void> } {
  const store = new MemoryUserStore();
  const hashPool = new HashPool();
  const accounts = new AccountService({
    store,
    hashPool,
    rateLimiter: new LoginRateLimiter(),
    signupLimiter: new SignupLimiter({ perHour: 100 }),
    serverSecret: new Uint8Array(32).fill(7),
    hashParams: CHEAP_HASH,
    clientKdfParams: options.clientKdfParams ?? CHEAP_KDF,
    allowSignup: options.allowSignup ?? false,
    minPasswordLength: 8,
    logger: options.logger ?? silentLogger,
  });
  return {
    accounts,
    store,
    close: async () => {
      await hashPool.close();
      await store.close();
    },
  };
}

/**
 * Adds `name` with `password` (cheap hash; cheap client KDF unless `kdf` is given, which a real
 * client refuses) to `store`; with `temporary`, as an administrator's temporary password.
 */
export async function addTestUser(
  store: MemoryUserStore,
  name: string,
  password: string,
  temporary = false,
  kdf: ClientKdfParams = CHEAP_KDF,
): Promise<void> {
  const credentials = await newCredentials(password, kdf);
  await store.add({
    name,
    created: new Date().toISOString(),
    lastLogin: null,
    kdf: credentials.kdf,
    verifier: await hashSecret(credentials.authKey, CHEAP_HASH),
    temporaryPassword: temporary,
    ...UNRESTRICTED,
  });
}

/**
 * A registry of the accounts in `store`, under `dataDir`, whose chunks live in memory (or in the
 * stores `openChunks` makes).
 */
export function memoryRepositories(
  dataDir: string,
  store: MemoryUserStore,
  openChunks: () => ChunkStore = () => new MemoryChunkStore(),
): RepositoryRegistry {
  return new RepositoryRegistry(dataDir, {
    account: async (name) => await store.get(name),
    openChunks: () => Promise.resolve(openChunks()),
  });
}
