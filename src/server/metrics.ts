/**
 * The server's counters for `GET /metrics`: updated where the events happen (logins in
 * `AccountService`, sessions, pushes, pulls and bytes in `Session`, prunes in their handler) by
 * one increment per request or per connection, never per chunk, and written on demand in the
 * Prometheus text format with the gauges read at that moment (open sessions, bytes stored per
 * user, resident memory).
 *
 * What a push and a pull are, seen from the server (which cannot read what is sent): a push
 * finished is a committed snapshot; a push failed is a connection that stored chunks (or had them
 * refused) since its last commit and closed without committing. A pull is a connection logged in
 * with a password that fetched chunks and committed nothing (`pull`, `check`, `ls`, `cat`, `diff`);
 * it finished when the client closed the connection and no chunk request failed, and failed
 * otherwise. The web page's chunk streams are not counted as pulls.
 *
 * @module
 */
import { ExpositionWriter } from "./_exposition.ts";

export { EXPOSITION_CONTENT_TYPE } from "./_exposition.ts";

/** How a login attempt ended. */
export type LoginResult = "ok" | "failed" | "rate_limited";

/** How one connection ended, for the push and pull counters. */
export interface SessionOutcome {
  /** It stored chunks (or had them refused) since its last commit. */
  pushPending: boolean;
  /** It was logged in with a password, fetched chunks and committed no snapshot. */
  pulled: boolean;
  /** The client closed it and none of its requests for chunks failed. */
  clean: boolean;
}

/** What the gauges read at the moment the metrics are written. */
export interface MetricsGauges {
  /** Connections being served, logged in or not. */
  sessionsOpen: number;
  /** Bytes of sealed chunks stored, by user name (users with no recorded usage left out). */
  storedBytes: ReadonlyMap<string, number>;
  /** The server process's resident memory. */
  residentBytes: number;
}

/** Where the gauges are read from. */
export interface GaugeSources {
  /** The connections being served (`SessionHost.size`). */
  sessions: { readonly size: number };
  /** Each user's stored bytes (`RepositoryRegistry.storedBytesOf`). */
  storedBytesOf(user: string): Promise<number | null>;
  /** The names of the accounts. */
  userNames(): Promise<string[]>;
}

/** Reads the gauges now: one small file read per account whose repository is not open. */
export async function readGauges(sources: GaugeSources): Promise<MetricsGauges> {
  const storedBytes = new Map<string, number>();
  for (const user of await sources.userNames()) {
    const bytes = await sources.storedBytesOf(user);
    if (bytes !== null) storedBytes.set(user, bytes);
  }
  return {
    sessionsOpen: sources.sessions.size,
    storedBytes,
    residentBytes: Deno.memoryUsage().rss,
  };
}

/** Counters of one server, from its start. */
export class ServerMetrics {
  readonly #logins: Record<LoginResult, number> = { ok: 0, failed: 0, rate_limited: 0 };
  readonly #pushes = { finished: 0, failed: 0 };
  readonly #pulls = { finished: 0, failed: 0 };
  readonly #prunes = { finished: 0, failed: 0 };
  #prunedBytes = 0;
  #received = 0;
  #sent = 0;

  /** Counts one login attempt that got as far as the rate limiter. */
  login(result: LoginResult): void {
    this.#logins[result]++;
  }

  /** Counts a committed snapshot. */
  pushFinished(): void {
    this.#pushes.finished++;
  }

  /** Counts what a closed connection did (see the module comment). */
  sessionEnded(outcome: SessionOutcome): void {
    if (outcome.pushPending) this.#pushes.failed++;
    else if (outcome.pulled) this.#pulls[outcome.clean ? "finished" : "failed"]++;
  }

  /** Counts protocol bytes received (frames, headers included). */
  received(bytes: number): void {
    this.#received += bytes;
  }

  /** Counts protocol bytes sent (frames, headers included). */
  sent(bytes: number): void {
    this.#sent += bytes;
  }

  /** Counts a prune that ran (not a dry run): `freedBytes` when it finished, or null when it failed. */
  pruned(freedBytes: number | null): void {
    if (freedBytes === null) {
      this.#prunes.failed++;
      return;
    }
    this.#prunes.finished++;
    this.#prunedBytes += freedBytes;
  }

  /** The metrics as a Prometheus text exposition (format 0.0.4), with `gauges` read now. */
  render(gauges: MetricsGauges): string {
    const results = (counts: Record<string, number>) =>
      Object.entries(counts).map(([result, value]) => ({ labels: { result }, value }));
    const users = [...gauges.storedBytes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return new ExpositionWriter()
      .family("burrow_sessions_open", "gauge", "Connections being served, logged in or not", [
        { value: gauges.sessionsOpen },
      ])
      .family("burrow_logins_total", "counter", "Login attempts by result", results(this.#logins))
      .family(
        "burrow_pushes_total",
        "counter",
        "Pushes: finished (a snapshot committed) or failed (chunks sent, no commit)",
        results(this.#pushes),
      )
      .family(
        "burrow_pulls_total",
        "counter",
        "Connections that fetched chunks and pushed nothing, by result",
        results(this.#pulls),
      )
      .family("burrow_received_bytes_total", "counter", "Protocol bytes received", [
        { value: this.#received },
      ])
      .family("burrow_sent_bytes_total", "counter", "Protocol bytes sent", [{ value: this.#sent }])
      .family(
        "burrow_stored_bytes",
        "gauge",
        "Bytes of sealed chunks stored per user",
        users.map(([user, value]) => ({ labels: { user }, value })),
      )
      .family("burrow_prune_runs_total", "counter", "Prunes run (not dry runs), by result", [
        ...results(this.#prunes),
      ])
      .family("burrow_prune_freed_bytes_total", "counter", "Bytes freed by prunes", [
        { value: this.#prunedBytes },
      ])
      .family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes", [
        { value: gauges.residentBytes },
      ])
      .text();
  }
}
