/**
 * Three `burrow serve` processes as one service for end-to-end tests: each on its own port with
 * its own data folder, all with the same `--users postgres://…` (a fresh test database), the same
 * `--store s3://…` (a fresh prefix of the test bucket) and one certificate, so a client trusts
 * them all with one CA. Needs both test services; `serviceMissing` says why when one is absent.
 *
 * @module
 */
import { postgresMissing, type TestDatabase, withTestDatabase } from "../_postgres.ts";
import {
  freshPrefix,
  removePrefix,
  s3Problem,
  TEST_BUCKET,
  testObjectStore,
  testS3Settings,
} from "../_s3_env.ts";
import type { ObjectStore } from "../../src/store/s3/object_store.ts";
import { burrow, type RunResult, spawnBurrow, startServer, type TestServer } from "./_harness.ts";

/** Why the service tests cannot run here, or null. */
export const serviceMissing: string | null = postgresMissing ?? s3Problem;

/** A running service of several servers. */
export interface TestService {
  servers: TestServer[];
  db: TestDatabase;
  objects: ObjectStore;
  /** The repositories' key prefix in the test bucket (with its `/`). */
  prefix: string;
  /** The CA every server's certificate comes from. */
  caPath: string;
  /** Scratch space, removed afterwards. */
  work: string;
  /** Runs `burrow ARGS` as `user` through the servers `via` (their indexes), in that order. */
  client(user: string, password: string, via: number[], args: string[]): Promise<RunResult>;
  /** Starts `burrow ARGS` as `user` through the servers `via`, its output discarded. */
  spawnClient(user: string, password: string, via: number[], args: string[]): Deno.ChildProcess;
  /** Adds an account in the shared database. */
  addUser(name: string, password: string, extra?: string[]): Promise<void>;
  /**
   * Runs the admin command `burrow ARGS` on the shared database (with the first server's data
   * folder), and with `s3` the servers' --store flags (`store` in place of their --store) and S3
   * credentials.
   */
  admin(
    args: string[],
    options?: { s3?: boolean; store?: string; stdin?: string },
  ): Promise<RunResult>;
  /** The server flags and environment, for starting another server of the service. */
  serverOptions(dataDir: string): Parameters<typeof startServer>[0];
}

/** Options of `withService`. */
export interface ServiceOptions {
  /** More `serve` flags for the server of index `i` (e.g. a shorter `--prune-wait`). */
  serverArgs?: (i: number) => string[];
}

/** Starts `count` servers on fresh services, runs `body`, and always stops and removes all. */
export function withService(
  count: number,
  body: (service: TestService) => Promise<void>,
  options: ServiceOptions = {},
): Promise<void> {
  return withTestDatabase(async (db) => {
    const objects = await testObjectStore();
    const prefix = freshPrefix("service");
    const work = await Deno.makeTempDir({ prefix: "burrow-e2e-service-" });
    const servers: TestServer[] = [];
    try {
      const certs = await burrow(["certs", "--out", `${work}/tls`]);
      if (certs.code !== 0) throw new Error(`certs failed: ${certs.stderr}`);
      const settings = testS3Settings();
      const pg = { PGPASSWORD: db.password };
      const storeArgs = [
        ...["--store", `s3://${TEST_BUCKET}/${prefix.slice(0, -1)}`],
        ...["--s3-endpoint", settings.endpoint, "--s3-region", settings.region],
      ];
      const s3Env = {
        AWS_ACCESS_KEY_ID: settings.accessKeyId,
        AWS_SECRET_ACCESS_KEY: settings.secretAccessKey,
      };
      const serverOptions = (dataDir: string) => ({
        dataDir,
        extraArgs: [
          ...["--users", db.urlWithoutPassword, "--web", "off"],
          ...["--cert", `${work}/tls/server.pem`, "--key", `${work}/tls/server.key`],
          ...storeArgs,
        ],
        env: { ...pg, ...s3Env },
      });
      const clientArgs = (user: string, via: number[]) => [
        ...["--server", via.map((i) => servers[i]!.address).join(",")],
        ...["--ca", `${work}/tls/ca.pem`, "--user", user],
      ];
      // The servers start at once; those that started are stopped below even if one did not.
      const started = await Promise.allSettled(
        Array.from({ length: count }, (_, i) => {
          const own = serverOptions(`${work}/data-${i}`);
          const extraArgs = [...own.extraArgs, ...(options.serverArgs?.(i) ?? [])];
          return startServer({ ...own, extraArgs });
        }),
      );
      for (const result of started) if (result.status === "fulfilled") servers.push(result.value);
      const failed = started.find((result) => result.status === "rejected");
      if (failed !== undefined) throw failed.reason;
      const caPath = `${work}/tls/ca.pem`;
      await body({
        servers,
        db,
        objects,
        prefix,
        caPath,
        work,
        serverOptions,
        client: (user, password, via, args) =>
          burrow([...args, ...clientArgs(user, via)], { env: { BURROW_PASSWORD: password } }),
        spawnClient: (user, password, via, args) =>
          spawnBurrow([...args, ...clientArgs(user, via)], { BURROW_PASSWORD: password }),
        admin: (args, options = {}) =>
          burrow(
            [
              ...args,
              ...["--data", servers[0]!.dataDir, "--users", db.urlWithoutPassword],
              ...(options.s3 !== true ? [] : options.store === undefined ? storeArgs : [
                ...["--store", options.store, ...storeArgs.slice(2)],
              ]),
            ],
            {
              env: { ...pg, ...(options.s3 === true ? s3Env : {}) },
              ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
            },
          ),
        addUser: async (name, password, extra = []) => {
          const added = await burrow(
            [
              ...["useradd", name, "--data", servers[0]!.dataDir],
              ...["--users", db.urlWithoutPassword, "--password-stdin", ...extra],
            ],
            { stdin: `${password}\n`, env: pg },
          );
          if (added.code !== 0) throw new Error(`useradd failed: ${added.stderr}`);
        },
      });
    } finally {
      // A server a test killed has exited already: stopping it only collects its output.
      await Promise.all(servers.map((server) => server.stop()));
      await removePrefix(objects, prefix);
      objects.close();
      await Deno.remove(work, { recursive: true });
    }
  });
}

/** Bytes of the pack objects under the service's prefix. */
export async function packObjectBytes(service: TestService): Promise<number> {
  let total = 0;
  for await (const { key, size } of service.objects.list(service.prefix)) {
    if (key.endsWith(".pack")) total += size;
  }
  return total;
}
