import fc from "fast-check";
import assert from "node:assert/strict";
import { decodeUsersCsv, encodeUsersCsv } from "./_csv_codec.ts";
import { UNRESTRICTED, type UserRecord } from "./user_store.ts";
import { USERS_SCHEMA_VERSION } from "./_user_columns.ts";

const time = fc.date({ min: new Date(0), max: new Date(253402300799000), noInvalidDate: true })
  .map((d) => d.toISOString());
const record = fc.record({
  name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  created: time,
  lastLogin: fc.option(time),
  kdf: fc.string({ unit: "binary" }),
  verifier: fc.string({ unit: "grapheme" }),
  temporaryPassword: fc.boolean(),
  appendOnly: fc.boolean(),
  quota: fc.option(fc.maxSafeNat(), { nil: null }),
  disabled: fc.boolean(),
});

Deno.test("decodeUsersCsv() reads back what encodeUsersCsv() wrote", () => {
  fc.assert(fc.property(fc.uniqueArray(record, { selector: (r) => r.name }), (records) => {
    const rows: UserRecord[] = records.map((r) => ({ ...r, lastLogin: r.lastLogin ?? null }));
    assert.deepEqual(decodeUsersCsv(encodeUsersCsv(rows), "users.csv"), {
      records: rows,
      version: USERS_SCHEMA_VERSION,
    });
  }));
});

Deno.test("encodeUsersCsv() writes a header row even for no records", () => {
  assert.deepEqual(
    encodeUsersCsv([]),
    "name,created,last_login,kdf,verifier,temporary_password,append_only,quota,disabled\n",
  );
  assert.deepEqual(decodeUsersCsv(encodeUsersCsv([]), "users.csv").records, []);
});

Deno.test("decodeUsersCsv() reads a version 1 file: no temporary passwords", () => {
  const text = "name,created,last_login,kdf,verifier\nalice,2024-01-02T03:04:05.678Z,,k,v\n";
  assert.deepEqual(decodeUsersCsv(text, "users.csv"), {
    records: [{
      name: "alice",
      created: "2024-01-02T03:04:05.678Z",
      lastLogin: null,
      kdf: "k",
      verifier: "v",
      temporaryPassword: false,
      ...UNRESTRICTED,
    }],
    version: 1,
  });
});

Deno.test("decodeUsersCsv() reads a version 2 file: no limits", () => {
  const text = "name,created,last_login,kdf,verifier,temporary_password\n" +
    "alice,2024-01-02T03:04:05.678Z,,k,v,true\n";
  const { records, version } = decodeUsersCsv(text, "users.csv");
  assert.equal(version, 2);
  assert.deepEqual(records.map((r) => [r.temporaryPassword, r.appendOnly, r.quota, r.disabled]), [
    [true, false, null, false],
  ]);
});

Deno.test("decodeUsersCsv() refuses a flag that is not true or false, and unknown columns", () => {
  const header =
    "name,created,last_login,kdf,verifier,temporary_password,append_only,quota,disabled\n";
  assert.throws(
    () =>
      decodeUsersCsv(`${header}alice,2024-01-02T03:04:05.678Z,,k,v,yes,false,,false\n`, "u.csv"),
    /line 2: temporary_password "yes" is neither "true" nor "false"/,
  );
  assert.throws(
    () => decodeUsersCsv(`${header.trimEnd()},extra\n`, "u.csv"),
    /line 1: expected header "name,created,last_login,kdf,verifier,temporary_password,append_only,quota,disabled"/,
  );
});

Deno.test("decodeUsersCsv() refuses a quota that is not a whole number of bytes", () => {
  const header =
    "name,created,last_login,kdf,verifier,temporary_password,append_only,quota,disabled\n";
  for (const quota of ["-1", "1.5", "50GiB", "99999999999999999", " 5"]) {
    assert.throws(
      () =>
        decodeUsersCsv(
          `${header}alice,2024-01-02T03:04:05.678Z,,k,v,false,false,${quota},false\n`,
          "u.csv",
        ),
      new RegExp(`line 2: quota .* is not a whole number of bytes`),
      quota,
    );
  }
});
