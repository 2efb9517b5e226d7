/**
 * Hostile peers and process probes for the denial-of-service tests: idle TCP connections (from
 * any loopback source address), EOF watches, and a server process's CPU time and descriptors.
 *
 * @module
 */
import net from "node:net";

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 50 ms until it holds; throws `what` after `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A TCP connection that sends nothing (or `first`), from `localAddress` (a loopback address). */
export interface IdlePeer {
  /** Resolves once the server ends the connection (EOF, reset or close), with the time it did. */
  readonly ended: Promise<number>;
  /** Everything the server sent. */
  received(): Uint8Array;
  close(): void;
}

/** Opens an idle connection to 127.0.0.1:`port`; resolves once TCP is connected. */
export function idlePeer(
  port: number,
  options: { localAddress?: string; first?: Uint8Array } = {},
): Promise<IdlePeer> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    const socket = net.connect({
      host: "127.0.0.1",
      port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    const ended = new Promise<number>((done) => socket.once("close", () => done(Date.now())));
    socket.on("data", (chunk: Uint8Array) => chunks.push(new Uint8Array(chunk)));
    socket.on("end", () => socket.destroy());
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.removeListener("error", reject);
      socket.on("error", () => {}); // a reset ends the peer like an EOF
      if (options.first !== undefined) socket.write(options.first);
      resolve({
        ended,
        received: () => {
          const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
          let at = 0;
          for (const chunk of chunks) (out.set(chunk, at), at += chunk.length);
          return out;
        },
        close: () => socket.destroy(),
      });
    });
  });
}

/** CPU seconds (user + system) the process has used, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of the man page (utime, stime) are 11 and 12 after the name, in ticks.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const CLOCK_TICKS = Number(
  new TextDecoder().decode(new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync().stdout),
) || 100;

/** The number of open descriptors of the process. */
export function descriptorCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** The soft and hard "Max open files" of the process, from /proc/PID/limits. */
export function descriptorLimits(pid: number): { soft: number; hard: number } {
  const limits = Deno.readTextFileSync(`/proc/${pid}/limits`);
  const match = /Max open files\s+(\d+)\s+(\d+)/.exec(limits);
  if (match === null) throw new Error(`no "Max open files" in /proc/${pid}/limits`);
  return { soft: Number(match[1]), hard: Number(match[2]) };
}

/** How many lines of `log` contain `text`. */
export function countLines(log: string, text: string): number {
  return log.split("\n").filter((line) => line.includes(text)).length;
}
