import fc from "fast-check";
import assert from "node:assert/strict";
import { decodeUsersCsv, encodeUsersCsv } from "./_csv_codec.ts";
import type { UserRecord } from "./user_store.ts";

const time = fc.date({ min: new Date(0), max: new Date(253402300799000), noInvalidDate: true })
  .map((d) => d.toISOString());
const record = fc.record({
  name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  created: time,
  lastLogin: fc.option(time),
  kdf: fc.string({ unit: "binary" }),
  verifier: fc.string({ unit: "grapheme" }),
});

Deno.test("decodeUsersCsv() reads back what encodeUsersCsv() wrote", () => {
  fc.assert(fc.property(fc.uniqueArray(record, { selector: (r) => r.name }), (records) => {
    const rows: UserRecord[] = records.map((r) => ({ ...r, lastLogin: r.lastLogin ?? null }));
    assert.deepEqual(decodeUsersCsv(encodeUsersCsv(rows), "users.csv"), rows);
  }));
});

Deno.test("encodeUsersCsv() writes a header row even for no records", () => {
  assert.deepEqual(encodeUsersCsv([]), "name,created,last_login,kdf,verifier\n");
  assert.deepEqual(decodeUsersCsv(encodeUsersCsv([]), "users.csv"), []);
});
