import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { parsePostgresUrl, redactStoreSpec } from "./postgres_url.ts";

Deno.test("parsePostgresUrl() reads user, host, port, database and parameters", () => {
  assert.deepEqual(parsePostgresUrl("postgres://burrow@db.example:6543/accounts"), {
    host: "db.example",
    port: 6543,
    database: "accounts",
    user: "burrow",
    password: null,
    sslMode: "prefer",
    connectTimeoutS: 10,
  });
  assert.deepEqual(
    parsePostgresUrl(
      "PostgreSQL://b%40x:p%3Aw%2Fd@[::1]/my%20db?sslmode=verify-full&connect_timeout=3",
    ),
    {
      host: "::1",
      port: 5432,
      database: "my db",
      user: "b@x",
      password: "p:w/d",
      sslMode: "verify-full",
      connectTimeoutS: 3,
    },
  );
});

Deno.test("parsePostgresUrl() refuses what it cannot use, the password hidden", () => {
  const cases: [string, string][] = [
    ["postgres:user@host/db", "write postgres://USER@HOST:PORT/DATABASE"],
    ["postgres://host/db", "no user name"],
    ["postgres://u:secret@h:99999/db", "not a URL"],
    ["postgres://u:secret@h:0/db", "port 0"],
    ["postgres://u:secret@h", "no database name"],
    ["postgres://u:secret@h/", "no database name"],
    ["postgres://u:secret@h/a/b", "no database name"],
    ["postgres://u:secret@h/db?sslmode=verify-ca", 'sslmode "verify-ca" is not one of'],
    ["postgres://u:secret@h/db?connect_timeout=0", 'connect_timeout "0" is not'],
    ["postgres://u:secret@h/db?password=x", 'unknown parameter "password"'],
    ["postgres://u:secret@h/db#frag", "fragment"],
    ["postgres://u:sec%ZZret@h/db", "broken percent escape"],
  ];
  for (const [spec, problem] of cases) {
    assert.throws(
      () => parsePostgresUrl(spec),
      (error) =>
        error instanceof ConfigError && error.message.includes(problem) &&
        error.message.startsWith(`Cannot open user store "${redactStoreSpec(spec)}": `) &&
        !error.message.includes("secret") && !error.message.includes("sec%ZZret"),
      spec,
    );
  }
});

Deno.test("redactStoreSpec() hides the password of a URL and nothing else", () => {
  const cases: [string, string][] = [
    ["postgres://u:secret@h:5432/db", "postgres://u:***@h:5432/db"],
    ["postgresql://u:p@ss/w@rd@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"],
    ["postgres:u:secret@h/db", "postgres:u:***@h/db"],
    ["foo://u:secret@h/db", "foo://u:***@h/db"],
    ["postgres://u@h/db", "postgres://u@h/db"],
    ["postgres://u:@h/db", "postgres://u:***@h/db"],
    ["sqlite:/srv/a:b@c.db", "sqlite:/srv/a:b@c.db"],
    ["csv:users.csv", "csv:users.csv"],
  ];
  for (const [spec, shown] of cases) assert.equal(redactStoreSpec(spec), shown, spec);
});
