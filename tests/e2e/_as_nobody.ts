/**
 * Running the real command line as another user than root: `nobody` (uid and gid 65534) through
 * `setpriv`, with a Deno cache it can read (the test process's npm cache, hard-linked into a
 * folder of the test's, so nothing is fetched and the original is never written).
 *
 * @module
 */
import { runCommand } from "../_testing.ts";

/** The uid and gid the command runs as. */
export const NOBODY = 65534;

/** What `burrow()` needs to run as nobody: a command prefix and environment. */
export interface AsNobody {
  prefix: string[];
  env: Record<string, string>;
}

/** Why commands cannot run as another user here, or null when they can. */
export const nobodyProblem: string | null = await (async () => {
  if (Deno.uid() !== 0) return `not running as root (uid ${Deno.uid()})`;
  try {
    await runCommand("setpriv", ["--version"]);
    return null;
  } catch {
    return "no setpriv (util-linux) on this machine";
  }
})();

/**
 * Prepares `work` for commands run as nobody: `work` itself readable, a Deno cache under it.
 * Folders the command writes to must be given to `NOBODY` by the caller.
 */
export async function asNobody(work: string): Promise<AsNobody> {
  const info = JSON.parse(await runCommand(Deno.execPath(), ["info", "--json"]));
  const denoDir = `${work}/deno-cache`;
  await Deno.mkdir(denoDir);
  await runCommand("cp", ["-al", `${info.denoDir}/npm`, `${denoDir}/npm`]);
  await Deno.chown(denoDir, NOBODY, NOBODY);
  await Deno.chmod(work, 0o755);
  return {
    prefix: ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"],
    env: { DENO_DIR: denoDir },
  };
}
