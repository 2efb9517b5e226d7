/**
 * A real `burrow serve` for the end-to-end benchmarks: it listens on 127.0.0.1 with a free port
 * and its own TLS CA, users are added with `burrow useradd`, and client commands run as
 * separate `deno run -A main.ts` processes (with the V8 flags `deno task install` gives burrow), timed, with their peak RSS (`_bench_process.ts`).
 * The server is always stopped, also when a benchmark fails or is interrupted.
 *
 * @module
 */

import {
  type CliOptions,
  type CliRun,
  lastErrorLine,
  runTimed,
  startDaemon,
} from "./_bench_process.ts";
import { burrowRunFlags } from "../v8_flags.ts";
import { messageOf } from "./_bench_result.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** `deno run` with the flags `deno task install` gives burrow (`scripts/v8_flags.ts`). */
const RUN = [Deno.execPath(), "run", "-A", ...await burrowRunFlags()];
/** The password of every benchmark user. */
export const BENCH_PASSWORD = "bench-password-1";

/** Runs `burrow ARGS…` as its own process, under GNU time when it is installed. */
export function runBurrow(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return runTimed([...RUN, MAIN, ...args], options);
}

/** A running `burrow serve`. */
export interface BurrowServer {
  /** HOST:PORT it listens on. */
  address: string;
  dataDir: string;
  caPath: string;
  /** The web page's address when `--web` was given one (`https://HOST:PORT/`), else null. */
  webUrl: string | null;
  /** PID of the deno process that runs the server (no wrapper in between). */
  pid: number;
  /** `--server --ca --user` for a client command. */
  clientArgs(user: string): string[];
  /** The last lines the server logged. */
  logTail(): string;
  /** SIGTERM, then SIGKILL after 30 s; resolves with the exit code. */
  stop(): Promise<number>;
}

/**
 * Starts `burrow serve --listen 127.0.0.1:0 --web off --data DATA` (`extraArgs` may turn the web
 * page on) and waits for `listening on`.
 */
export async function startServer(
  dataDir: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<BurrowServer> {
  const serve = [
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--web",
    "off",
    "--data",
    dataDir,
    ...extraArgs,
  ];
  const daemon = await startDaemon(
    [...RUN, MAIN, ...serve],
    /listening on (\S+)\n/,
    env,
  );
  const address = daemon.ready[1]!;
  const caPath = `${dataDir}/tls/ca.pem`;
  return {
    address,
    webUrl: /web on (https:\/\/\S+\/)/.exec(daemon.logTail())?.[1] ?? null,
    dataDir,
    caPath,
    pid: daemon.pid,
    clientArgs: (user) => ["--server", address, "--ca", caPath, "--user", user],
    logTail: daemon.logTail,
    stop: daemon.stop,
  };
}

/**
 * Adds `names` with `burrow useradd NAME --data DIR` and {@link BENCH_PASSWORD}, `parallel` at a
 * time. @throws {Error} when one fails
 */
export async function addUsers(
  server: BurrowServer,
  names: readonly string[],
  parallel = 2,
): Promise<void> {
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const run = await runBurrow(["useradd", name, "--data", server.dataDir], {
        env: { BURROW_PASSWORD: BENCH_PASSWORD },
        timeoutMs: 60_000,
      });
      if (run.code !== 0) throw new Error(`useradd ${name} failed: ${lastErrorLine(run)}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** Runs a client command (`push`, `pull`, …) of `server`'s `user`, with {@link BENCH_PASSWORD}. */
export function runClient(server: BurrowServer, user: string, args: string[]): Promise<CliRun> {
  return runBurrow([...args, ...server.clientArgs(user)], {
    env: { BURROW_PASSWORD: BENCH_PASSWORD },
  });
}

/**
 * Starts a server on a data folder inside `scratch`, runs `body`, and always stops it.
 * When `body` throws, the server's last log lines are added to the error.
 */
export async function withServer<T>(
  scratch: string,
  body: (server: BurrowServer) => Promise<T>,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<T> {
  const server = await startServer(`${scratch}/server-data`, extraArgs, env);
  try {
    return await body(server);
  } catch (error) {
    const tail = server.logTail().trim().split("\n").slice(-5).join(" / ");
    throw new Error(`${messageOf(error)} [server log: ${tail}]`, { cause: error });
  } finally {
    await server.stop();
  }
}

/**
 * Says whether the server's PID runs the deno binary itself (checked through /proc/PID/exe), so
 * that its VmHWM is the server's and not a wrapper's.
 */
export function serverPidNote(server: BurrowServer): string {
  let exe = "unknown";
  try {
    exe = Deno.readLinkSync(`/proc/${server.pid}/exe`);
  } catch {
    // Gone or unreadable: said below.
  }
  return exe === Deno.execPath()
    ? `Server PID ${server.pid} is the deno process itself (/proc/PID/exe = ${exe}).`
    : `Server PID ${server.pid} runs ${exe}, not ${Deno.execPath()}: its VmHWM may not be the server's.`;
}
