/**
 * End-to-end harness: spawns the real `burrow serve` (deno run -A main.ts serve) on a free
 * port with a temporary data folder and real TLS, and runs the real CLI as subprocesses.
 *
 * @module
 */
import { settlesWithin } from "../../src/settles_within.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/**
 * How long a server may take to stop after SIGTERM before `stop()` kills it and fails: its own
 * bounds (the shutdown grace, then 5 s for the web port) with room to spare.
 */
const STOP_MS = 60_000;
/**
 * How long one CLI command of a test may run before `burrow()` kills it and fails: far more than
 * the largest (a 500 MiB push on a loaded machine), so that only a hang reaches it.
 */
const RUN_MS = 300_000;

/** The last 20 lines of `text`: what a failure shows of a process's log. */
function lastLines(text: string): string {
  return text.trimEnd().split("\n").slice(-20).join("\n");
}

/** Result of one CLI run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of `burrow()`. */
export interface RunOptions {
  /** What the command reads on stdin (text, or bytes as they are). */
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  cwd?: string;
  /** A command the CLI runs under, e.g. `["setpriv", "--reuid=65534", "--"]` (it must exec). */
  prefix?: string[];
}

/**
 * Runs `burrow ARGS…` to completion. BURROW_* variables of the test process are not inherited.
 * @throws {Error} with the end of its stderr when it has not ended within 5 minutes (it is killed)
 */
export async function burrow(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const output = await burrowBytes(args, options);
  return { ...output, stdout: new TextDecoder().decode(output.stdout) };
}

/** Runs `burrow ARGS…` as `burrow()` does, keeping stdout as raw bytes (binary output). */
export async function burrowBytes(
  args: string[],
  options: RunOptions = {},
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const [program, ...prefixArgs] = [...(options.prefix ?? []), Deno.execPath()];
  const child = new Deno.Command(program!, {
    args: [...prefixArgs, "run", "-A", MAIN, ...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
    clearEnv: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    const bytes = typeof options.stdin === "string"
      ? new TextEncoder().encode(options.stdin)
      : options.stdin;
    await writer.write(bytes);
    await writer.close();
  }
  const running = child.output();
  if (!await settlesWithin(running, RUN_MS)) {
    child.kill("SIGKILL");
    const { stderr } = await running;
    const log = lastLines(new TextDecoder().decode(stderr));
    throw new Error(
      `burrow ${args[0]} did not end within ${RUN_MS} ms (killed); stderr ends:\n${log}`,
    );
  }
  const output = await running;
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** A running `burrow serve` subprocess. */
export interface TestServer {
  /** HOST:PORT it listens on. */
  address: string;
  hostname: string;
  port: number;
  dataDir: string;
  caPath: string;
  /** Everything the server printed on stdout before it was ready. */
  banner: string;
  /** The web page's URL (`https://127.0.0.1:PORT/`), or null when the server runs `--web off`. */
  webUrl: string | null;
  /** Client flags that reach and trust this server. */
  clientArgs(user: string): string[];
  /** Everything the server printed on stdout so far (the banner and what follows it). */
  stdoutText(): string;
  /** Everything the server printed on stderr so far (its log). */
  stderrText(): string;
  /**
   * Sends SIGTERM and resolves with the exit code.
   * @throws {Error} with the end of the server's log when it has not stopped within 60 s (it is
   * then killed)
   */
  stop(): Promise<number>;
  process: Deno.ChildProcess;
}

/** Options of `startServer()`. */
export interface StartOptions {
  dataDir?: string;
  /**
   * Runs the server in this folder without `--data`, so that it uses its default data folder
   * (`CWD/burrow-data`, made by the server); `dataDir` is then ignored.
   */
  cwd?: string;
  extraArgs?: string[];
  /** A command the server runs under, e.g. `["prlimit", "--nofile=64:64", "--"]` (it must exec). */
  prefix?: string[];
  /** A test entry point to run instead of main.ts (it gets the same `serve …` arguments). */
  main?: string;
  /** Environment variables for the server, beside NO_COLOR. */
  env?: Record<string, string>;
}

/**
 * Starts `burrow serve --listen 127.0.0.1:0 --web 127.0.0.1:0` (`extraArgs` may say otherwise) and
 * waits for its `listening on` line.
 */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.cwd !== undefined
    ? `${options.cwd}/burrow-data`
    : options.dataDir ?? await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  const [program, ...prefixArgs] = [...(options.prefix ?? []), Deno.execPath()];
  const process = new Deno.Command(program ?? Deno.execPath(), {
    args: [
      ...prefixArgs,
      "run",
      "-A",
      options.main ?? MAIN,
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--web",
      "127.0.0.1:0",
      ...(options.cwd === undefined ? ["--data", dataDir] : []),
      ...(options.extraArgs ?? []),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
    clearEnv: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  }).spawn();
  let stderr = "";
  const stderrDone = (async () => {
    for await (const chunk of process.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  const lines = process.stdout.pipeThrough(new TextDecoderStream());
  const reader = lines.getReader();
  let banner = "";
  const deadline = Date.now() + 30_000;
  let match: RegExpExecArray | null = null;
  while ((match = /listening on (\S+):(\d+)\n/.exec(banner)) === null) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${banner}\n${stderr}`);
    const { value, done } = await reader.read();
    if (done) {
      await stderrDone;
      throw new Error(`server exited before listening:\n${banner}\n${stderr}`);
    }
    banner += value;
  }
  // Keep draining stdout so the server never blocks on a full pipe.
  let stdout = banner;
  const stdoutDone = (async () => {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      stdout += next.value;
    }
  })();
  const hostname = match[1] ?? "";
  const port = Number(match[2]);
  const address = `${hostname}:${port}`;
  const caPath = `${dataDir}/tls/ca.pem`;
  const webUrl = /^web on (https:\/\/\S+)$/m.exec(banner)?.[1] ?? null;
  return {
    address,
    hostname,
    port,
    dataDir,
    caPath,
    banner,
    webUrl,
    process,
    clientArgs: (user) => ["--server", address, "--ca", caPath, "--user", user],
    stdoutText: () => stdout,
    stderrText: () => stderr,
    stop: async () => {
      try {
        process.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      if (!await settlesWithin(process.status, STOP_MS)) {
        process.kill("SIGKILL");
        await process.status;
        await Promise.all([stdoutDone, stderrDone]);
        const log = lastLines(stderr);
        throw new Error(
          `the server did not stop within ${STOP_MS} ms of SIGTERM; its log ends:\n${log}`,
        );
      }
      const status = await process.status;
      await Promise.all([stdoutDone, stderrDone]);
      return status.code;
    },
  };
}

/** Adds a user directly in the server's store, with the password on stdin. */
export async function addUser(server: TestServer, name: string, password: string): Promise<void> {
  const result = await burrow(["useradd", name, "--data", server.dataDir, "--password-stdin"], {
    stdin: `${password}\n`,
  });
  if (result.code !== 0) throw new Error(`useradd failed: ${result.stderr}`);
}

/** Starts `burrow ARGS…` without waiting for it; the caller kills or awaits it. */
export function spawnBurrow(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
  }).spawn();
}

/** A runner of client commands as `user` against `server` (adds --server/--ca/--user). */
export function clientOf(
  server: TestServer,
  user: string,
  password: string,
): (args: string[]) => Promise<RunResult> {
  return (args) =>
    burrow([...args, ...server.clientArgs(user)], { env: { BURROW_PASSWORD: password } });
}

/**
 * Starts a server and a scratch folder, runs `body`, then always stops the server and removes
 * both folders.
 */
export async function withServer(
  body: (server: TestServer, work: string) => Promise<void>,
  options: StartOptions = {},
): Promise<void> {
  const server = await startServer(options);
  const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
  try {
    await body(server, work);
  } finally {
    await server.stop();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(server.dataDir, { recursive: true });
  }
}
