import assert from "node:assert/strict";
import { StreamTickets } from "./stream_tickets.ts";

const ALICE = {
  user: "alice",
  account: { created: "2026-12-07T00:00:00.000Z", temporaryPassword: false },
};

Deno.test("a ticket grants its holder's account until the holder revokes it", () => {
  const tickets = new StreamTickets();
  const owner = {};
  const ticket = tickets.issue(owner, ALICE);
  assert.equal(ticket.length, 32);
  assert.deepEqual(tickets.redeem(ticket), ALICE);
  assert.deepEqual(tickets.redeem(ticket), ALICE, "a ticket opens any number of streams");
  tickets.revoke(owner);
  assert.equal(tickets.redeem(ticket), undefined);
  assert.equal(tickets.size, 0);
});

Deno.test("asking again replaces the holder's ticket; other holders keep theirs", () => {
  const tickets = new StreamTickets();
  const first = {};
  const second = {};
  const old = tickets.issue(first, ALICE);
  const bob = tickets.issue(second, { ...ALICE, user: "bob" });
  const fresh = tickets.issue(first, ALICE);
  assert.equal(tickets.redeem(old), undefined);
  assert.equal(tickets.redeem(fresh)?.user, "alice");
  assert.equal(tickets.redeem(bob)?.user, "bob");
  assert.equal(tickets.size, 2);
});

Deno.test("a changed byte, a wrong length or no ticket at all grants nothing", () => {
  const tickets = new StreamTickets();
  const ticket = tickets.issue({}, ALICE);
  const changed = ticket.slice();
  changed[31]! ^= 1;
  assert.equal(tickets.redeem(changed), undefined);
  assert.equal(tickets.redeem(ticket.subarray(0, 31)), undefined);
  assert.equal(tickets.redeem(new Uint8Array(32)), undefined);
});
