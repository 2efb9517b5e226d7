/**
 * Snapshot tests of help and usage-error output. A change to what users read must be deliberate:
 * rewrite the snapshot with `UPDATE_SNAPSHOTS=1 deno test -A tests/cli_help_test.ts`.
 */
import assert from "node:assert/strict";
import { type Command, commandHelp, parseCommandArgs } from "../src/cli/command.ts";
import { COMMANDS, mainHelp } from "../src/cli/commands.ts";
import { errorMessage } from "../src/errors.ts";

const SNAPSHOT = new URL("./snapshots/help.txt", import.meta.url);

/** Every command, loaded. */
function loadAll(): Promise<Command[]> {
  return Promise.all(COMMANDS.map((entry) => entry.load()));
}

async function renderAll(): Promise<string> {
  const commands = await loadAll();
  const parts = [`$ burrow --help\n${mainHelp()}`];
  for (const command of commands) {
    parts.push(`$ burrow ${command.name} --help\n${commandHelp(command)}`);
  }
  const misuses: [string, string[]][] = [
    ["users", ["--bogus"]],
    ["useradd", []],
    ["useradd", ["a", "b"]],
    ["serve", ["--listen"]],
  ];
  for (const [name, argv] of misuses) {
    const command = commands.find((c) => c.name === name)!;
    let message = "(no error)";
    try {
      parseCommandArgs(command, argv);
    } catch (error) {
      message = errorMessage(error);
    }
    parts.push(`$ burrow ${[name, ...argv].join(" ")}\nburrow: ${message}`);
  }
  return `${parts.join("\n\n")}\n`;
}

Deno.test("help and usage errors match tests/snapshots/help.txt", async () => {
  const actual = await renderAll();
  if (Deno.env.get("UPDATE_SNAPSHOTS") === "1") {
    await Deno.writeTextFile(SNAPSHOT, actual);
    return;
  }
  const expected = await Deno.readTextFile(SNAPSHOT);
  assert.equal(actual, expected, "help output changed; see the test's doc comment to update");
});

Deno.test("every command documents --help and declares a usage line", async () => {
  const commands = await loadAll();
  for (const [i, command] of commands.entries()) {
    assert.equal(command.name, COMMANDS[i]!.name, "the table names the command its module makes");
    assert.match(commandHelp(command), /--help/);
    assert.ok(command.usage.startsWith(command.name), command.name);
    assert.equal(parseCommandArgs(command, ["--help"]), null);
  }
});
