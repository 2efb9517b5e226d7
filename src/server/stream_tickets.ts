/**
 * Tickets with which a second connection fetches chunks for a logged-in one. The web page asks
 * for one over its WebSocket and sends its chunk requests as HTTPS requests that log in with it:
 * Chromium takes in a streamed response body several times faster than WebSocket messages.
 *
 * Invariants: a ticket is 32 random bytes, held only as its SHA-256 and found by that hash (so
 * no comparison runs over the ticket's own bytes); each connection holds at most one (asking
 * again replaces it); a ticket is void once the connection that asked for it closes; it grants
 * the account of that connection and nothing more (the session lets it fetch chunks only).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { STREAM_TICKET_LENGTH } from "../protocol/mod.ts";
import type { LoggedInAccount } from "./accounts.ts";

/** What a ticket logs a connection in as. */
export interface TicketGrant {
  user: string;
  account: LoggedInAccount;
}

/** The live tickets of one server, by the connection that asked for each. */
export class StreamTickets {
  readonly #byHash = new Map<string, TicketGrant>();
  readonly #byOwner = new Map<object, string>();

  /** Live tickets. */
  get size(): number {
    return this.#byHash.size;
  }

  /** A new ticket for `grant`, held by `owner` (whose earlier ticket it replaces). */
  issue(owner: object, grant: TicketGrant): Uint8Array {
    this.revoke(owner);
    const ticket = crypto.getRandomValues(new Uint8Array(STREAM_TICKET_LENGTH));
    const hash = hashOf(ticket);
    this.#byHash.set(hash, { user: grant.user, account: { ...grant.account } });
    this.#byOwner.set(owner, hash);
    return ticket;
  }

  /** What `ticket` grants, or undefined when it is not live. */
  redeem(ticket: Uint8Array): TicketGrant | undefined {
    if (ticket.length !== STREAM_TICKET_LENGTH) return undefined;
    return this.#byHash.get(hashOf(ticket));
  }

  /** Voids the ticket `owner` holds, if any. */
  revoke(owner: object): void {
    const hash = this.#byOwner.get(owner);
    if (hash === undefined) return;
    this.#byOwner.delete(owner);
    this.#byHash.delete(hash);
  }
}

function hashOf(ticket: Uint8Array): string {
  return createHash("sha256").update(ticket).digest("hex");
}
