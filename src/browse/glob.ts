/**
 * Glob patterns for `burrow find`, with restic's rules: a pattern without a `/` is matched
 * against an entry's base name, one with a `/` against its whole path from the snapshot root (a
 * leading `/` stands for the root). `*` matches any run of characters but `/`, `?` one character
 * but `/`, `[abc]`, `[a-z]` and `[!abc]` (or `[^abc]`) one character of (or not of) a set, `**`
 * as a whole component any number of components, and `\` makes the next character literal.
 * Matching is case-sensitive.
 *
 * @module
 */

/** A compiled pattern: whether it matches an entry path (relative to the snapshot root). */
export type PathMatcher = (path: string) => boolean;

/** Characters a regular expression gives a meaning to. */
const SPECIAL = /[.+^${}()|[\]\\*?/]/g;

/**
 * Compiles `pattern` (see the module rules).
 *
 * @throws {SyntaxError} for an empty pattern, a `[` without its `]`, or a trailing `\`
 */
export function globMatcher(pattern: string): PathMatcher {
  if (pattern === "" || pattern === "/") throw new SyntaxError(`Invalid pattern "${pattern}"`);
  const anchored = pattern.includes("/");
  const body = anchored ? pattern.replace(/^\/+/, "").replace(/\/+$/, "") : pattern;
  const regex = new RegExp(`^${globSource(body, pattern)}$`, "su");
  if (anchored) return (path) => regex.test(path);
  return (path) => regex.test(path.slice(path.lastIndexOf("/") + 1));
}

/** The regular expression source for a slash-separated glob. */
function globSource(body: string, pattern: string): string {
  const parts = body.split("/");
  let source = "";
  parts.forEach((part, index) => {
    const last = index === parts.length - 1;
    if (part === "**") source += last ? ".*" : "(?:[^/]*/)*";
    else source += componentSource(part, pattern) + (last ? "" : "/");
  });
  return source;
}

/** The regular expression source for one component (no `/` in it). */
function componentSource(part: string, pattern: string): string {
  let source = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "\\") {
      const next = part[++i];
      if (next === undefined) throw new SyntaxError(`Invalid pattern "${pattern}": it ends in \\`);
      source += next.replace(SPECIAL, "\\$&");
    } else if (c === "[") {
      const end = part.indexOf("]", i + 2);
      if (end < 0) throw new SyntaxError(`Invalid pattern "${pattern}": a [ has no ]`);
      source += classSource(part.slice(i + 1, end));
      i = end;
    } else source += c.replace(SPECIAL, "\\$&");
  }
  return source;
}

/** A `[...]` set as a regular expression class that never matches `/`. */
function classSource(inside: string): string {
  const negated = inside.startsWith("!") || inside.startsWith("^");
  const members = (negated ? inside.slice(1) : inside).replace(/[\\\]^[]/g, "\\$&");
  return negated ? `[^/${members}]` : `(?!/)[${members}]`;
}
