/**
 * restic beside burrow in the same run: restic backs up to `rclone serve restic` on 127.0.0.1
 * over TLS, with the certificate of the burrow server being measured (so both pay for the same
 * kind of TLS), into a fresh repository with restic's defaults. Used only where `restic` and
 * `rclone` are on PATH.
 *
 * @module
 */
import { type CliRun, lastErrorLine, runTimed, startDaemon } from "./_bench_process.ts";
import { BENCH_PASSWORD, type BurrowServer } from "./_bench_server.ts";

/** One file backed up and restored by restic. */
export interface ResticFigures {
  backupS: number;
  restoreS: number;
  backupRssMiB: number;
  restoreRssMiB: number;
}

/** Backs up one file with restic and restores it, timed. */
export type ResticMeasure = (file: string) => Promise<ResticFigures>;

/** Whether `restic` and `rclone` both run. */
export async function resticAvailable(): Promise<boolean> {
  for (const tool of ["restic", "rclone"]) {
    try {
      const output = await new Deno.Command(tool, {
        args: ["version"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (!output.success) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** `rclone serve restic` running, and a way to run restic against it. */
export interface ResticServer {
  /** PID of the rclone process. */
  pid: number;
  /** Runs `restic --cacert CA --quiet ARGS…` against the repository, timed; never throws. */
  run(args: string[]): Promise<CliRun>;
  stop(): Promise<number>;
}

/**
 * Starts `rclone serve restic` on 127.0.0.1 over TLS with `server`'s certificate, serving a
 * repository folder in `scratch` (made by `restic init`, which the caller runs).
 */
export async function startResticServer(
  scratch: string,
  server: BurrowServer,
): Promise<ResticServer> {
  const tls = `${server.dataDir}/tls`;
  const rclone = await startDaemon(
    [
      "rclone",
      "serve",
      "restic",
      `${scratch}/restic-repo`,
      "--addr",
      "127.0.0.1:0",
      "--cert",
      `${tls}/server.pem`,
      "--key",
      `${tls}/server.key`,
    ],
    /Serving restic REST API on (https:\/\/\S+?)\/?\s/,
  );
  const env = {
    RESTIC_REPOSITORY: `rest:${rclone.ready[1]}/`,
    RESTIC_PASSWORD: BENCH_PASSWORD,
    RESTIC_CACHE_DIR: `${scratch}/restic-cache`,
  };
  return {
    pid: rclone.pid,
    run: (args) => runTimed(["restic", "--cacert", server.caPath, "--quiet", ...args], { env }),
    stop: rclone.stop,
  };
}

/** Runs `restic ARGS…` against the repository of `withResticRepo`, timed. @throws {Error} on failure */
export type ResticRun = (args: string[]) => Promise<CliRun>;

/**
 * Starts `rclone serve restic` in `scratch` (the repository in `scratch/restic-repo`), makes a
 * repository, and gives `body` a runner of restic commands against it. Always stops rclone.
 */
export async function withResticRepo<T>(
  scratch: string,
  server: BurrowServer,
  body: (restic: ResticRun) => Promise<T>,
): Promise<T> {
  const rclone = await startResticServer(scratch, server);
  const restic = async (args: string[]) => {
    const run = await rclone.run(args);
    if (run.code !== 0) throw new Error(`restic ${args[0]} failed: ${lastErrorLine(run)}`);
    return run;
  };
  try {
    await restic(["init"]);
    return await body(restic);
  } finally {
    await rclone.stop();
  }
}

/**
 * `withResticRepo`, giving `body` a function that backs up one file and restores it, timed.
 */
export function withRestic<T>(
  scratch: string,
  server: BurrowServer,
  body: (measure: ResticMeasure) => Promise<T>,
): Promise<T> {
  return withResticRepo(scratch, server, (restic) =>
    body(async (file) => {
      const backup = await restic(["backup", file]);
      const target = `${scratch}/restic-restore`;
      try {
        const restore = await restic(["restore", "latest", "--path", file, "--target", target]);
        return {
          backupS: backup.wallMs / 1000,
          restoreS: restore.wallMs / 1000,
          backupRssMiB: (backup.peakRssKiB ?? NaN) / 1024,
          restoreRssMiB: (restore.peakRssKiB ?? NaN) / 1024,
        };
      } finally {
        await Deno.remove(target, { recursive: true }).catch(() => {});
      }
    }));
}
