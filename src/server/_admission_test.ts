import assert from "node:assert/strict";
import { Admission } from "./_admission.ts";

interface Conn {
  name: string;
  progress: number;
}

function conn(name: string, progress = 0): Conn {
  return { name, progress };
}

function admission(maxConnections: number, maxUnauthenticated: number, perAddress: number) {
  return new Admission<Conn>(
    { maxConnections, maxUnauthenticated, maxUnauthenticatedPerAddress: perAddress },
    (c) => c.progress,
  );
}

function names(conns: Conn[]): string[] {
  return conns.map((c) => c.name);
}

Deno.test("Admission.admit() admits up to the caps without evicting", () => {
  const pool = admission(4, 3, 3);
  for (const name of ["a", "b", "c"]) {
    assert.deepEqual(pool.admit(conn(name), "10.0.0.1"), { admitted: true, evicted: [] });
  }
  assert.deepEqual(pool.counts, { unauthenticated: 3, loggedIn: 0 });
});

Deno.test("Admission.admit() evicts the least advanced, then the oldest, of a full pool", () => {
  const pool = admission(10, 3, 10);
  const a = conn("a", 3);
  const b = conn("b", 1);
  const c = conn("c", 1);
  for (const [x, address] of [[a, "1"], [b, "2"], [c, "3"]] as const) pool.admit(x, address);
  assert.deepEqual(names(pool.admit(conn("d"), "4").evicted), ["b"], "progress 1, older than c");
  c.progress = 4;
  assert.deepEqual(names(pool.admit(conn("e"), "5").evicted), ["d"], "d has not got anywhere");
  assert.deepEqual(pool.counts, { unauthenticated: 3, loggedIn: 0 });
});

Deno.test("Admission.admit() evicts from the address that holds the most of a full pool", () => {
  const pool = admission(10, 4, 4);
  const slow = conn("slow-user");
  pool.admit(slow, "user");
  for (const name of ["x1", "x2", "x3"]) pool.admit(conn(name, 3), "attacker");
  assert.deepEqual(
    names(pool.admit(conn("y"), "other").evicted),
    ["x1"],
    "not the older slow-user",
  );
});

Deno.test("Admission.admit() evicts within the newcomer's address when its share is full", () => {
  const pool = admission(10, 6, 2);
  pool.admit(conn("other"), "2");
  pool.admit(conn("a1"), "1");
  pool.admit(conn("a2"), "1");
  assert.deepEqual(names(pool.admit(conn("a3"), "1").evicted), ["a1"], "not the older 'other'");
  assert.deepEqual(pool.counts, { unauthenticated: 3, loggedIn: 0 });
});

Deno.test("Admission.admit() makes room at the overall cap from connections not logged in", () => {
  const pool = admission(3, 3, 3);
  const users = [conn("u1"), conn("u2")];
  for (const user of users) {
    pool.admit(user, "1");
    pool.loggedIn(user);
  }
  pool.admit(conn("idle"), "2");
  assert.deepEqual(pool.admit(conn("new"), "3"), { admitted: true, evicted: [conn("idle")] });
});

Deno.test("Admission.admit() refuses a newcomer only when logged-in connections fill the cap", () => {
  const pool = admission(2, 2, 2);
  const users = [conn("u1"), conn("u2")];
  for (const user of users) {
    pool.admit(user, "1");
    pool.loggedIn(user);
  }
  assert.deepEqual(pool.admit(conn("new"), "1"), { admitted: false, evicted: [] });
  pool.remove(users[0]!);
  pool.remove(users[0]!);
  assert.deepEqual(pool.counts, { unauthenticated: 0, loggedIn: 1 });
  assert.equal(pool.admit(conn("new"), "1").admitted, true);
});

Deno.test("Admission.remove() frees the address's share", () => {
  const pool = admission(10, 10, 1);
  const first = conn("first");
  pool.admit(first, "1");
  pool.remove(first);
  assert.deepEqual(pool.admit(conn("second"), "1"), { admitted: true, evicted: [] });
});
