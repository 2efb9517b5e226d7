import assert from "node:assert/strict";
import { globMatcher } from "./glob.ts";

const matches = (pattern: string, path: string) => globMatcher(pattern)(path);

Deno.test("globMatcher() matches a pattern without / against the base name", () => {
  assert.ok(matches("*.txt", "docs/deep/note.txt"));
  assert.ok(matches("note.txt", "note.txt"));
  assert.ok(matches("n?te.*", "a/note.md"));
  assert.ok(!matches("*.txt", "docs.txt/note.md"));
  assert.ok(!matches("note", "docs/note.txt"));
  assert.ok(!matches("*.TXT", "note.txt"), "case-sensitive");
});

Deno.test("globMatcher() matches a pattern with / against the whole path", () => {
  assert.ok(matches("docs/*.txt", "docs/note.txt"));
  assert.ok(matches("/docs/*.txt", "docs/note.txt"), "a leading / is the root");
  assert.ok(!matches("docs/*.txt", "docs/deep/note.txt"), "* does not cross /");
  assert.ok(!matches("docs/*.txt", "x/docs/note.txt"), "anchored at the root");
  assert.ok(matches("docs/", "docs"), "a trailing / is dropped");
});

Deno.test("globMatcher() lets ** stand for any number of components", () => {
  assert.ok(matches("docs/**/note.txt", "docs/note.txt"));
  assert.ok(matches("docs/**/note.txt", "docs/a/b/c/note.txt"));
  assert.ok(matches("**/note.txt", "note.txt"));
  assert.ok(matches("docs/**", "docs/a/b"));
  assert.ok(!matches("docs/**/note.txt", "other/a/note.txt"));
});

Deno.test("globMatcher() handles sets, negated sets and escapes", () => {
  assert.ok(matches("file[0-9].bin", "file7.bin"));
  assert.ok(!matches("file[0-9].bin", "filex.bin"));
  assert.ok(matches("file[!0-9].bin", "filex.bin"));
  assert.ok(matches("file[^0-9].bin", "filex.bin"));
  assert.ok(!matches("file[!0-9].bin", "file1.bin"));
  assert.ok(matches("a\\*b", "a*b"));
  assert.ok(!matches("a\\*b", "axb"));
  assert.ok(matches("(x)+.txt", "(x)+.txt"), "regular expression characters are literal");
});

Deno.test("globMatcher() refuses a broken pattern", () => {
  assert.throws(() => globMatcher(""), SyntaxError);
  assert.throws(() => globMatcher("a[bc"), /has no \]/);
  assert.throws(() => globMatcher("a\\"), /ends in/);
});
