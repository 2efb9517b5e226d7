import assert from "node:assert/strict";
import { ConfigError, UsageError } from "../errors.ts";
import { inTempDir } from "../../tests/_testing.ts";
import type { ParsedArgs } from "./command.ts";
import { resolveUsersPassword } from "./_users_password.ts";

const URL = "postgres://burrow@127.0.0.1:5432/burrow";
const env = (values: Record<string, string>) => (name: string) => values[name];
const args = (flags: Record<string, string>): ParsedArgs => ({ positionals: [], flags });

Deno.test("resolveUsersPassword() reads the file's first line, else PGPASSWORD, else nothing", () =>
  inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/pw`, "from the file\r\nsecond line\n");
    const pg = env({ PGPASSWORD: "from the environment" });
    assert.equal(
      await resolveUsersPassword(args({ "users-password-file": `${dir}/pw` }), pg, URL),
      "from the file",
    );
    assert.equal(await resolveUsersPassword(args({}), pg, URL), "from the environment");
    assert.equal(await resolveUsersPassword(args({}), env({}), URL), undefined);
    assert.equal(
      await resolveUsersPassword(args({}), pg, "postgres://burrow:in-url@h/db"),
      undefined,
      "a password in the URL is the store's own to use",
    );
    assert.equal(await resolveUsersPassword(args({}), pg, "sqlite:users.db"), undefined);
  }));

Deno.test("resolveUsersPassword() refuses a file it cannot use", () =>
  inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/empty`, "\nsecond line\n");
    const cases: [Record<string, string>, string, new (...a: never[]) => Error, string][] = [
      [{ "users-password-file": `${dir}/pw` }, "csv:u.csv", UsageError, 'user store "csv:…"'],
      [
        { "users-password-file": `${dir}/pw` },
        "postgres://u:pw@h/db",
        UsageError,
        "the --users URL holds a password too",
      ],
      [{ "users-password-file": `${dir}/missing` }, URL, ConfigError, `"${dir}/missing": `],
      [{ "users-password-file": `${dir}/empty` }, URL, ConfigError, "its first line is empty"],
    ];
    for (const [flags, spec, type, message] of cases) {
      await assert.rejects(
        () => resolveUsersPassword(args(flags), env({}), spec),
        (error) => error instanceof type && error.message.includes(message),
        message,
      );
    }
  }));
