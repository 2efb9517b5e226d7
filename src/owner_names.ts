/**
 * User and group names by number and numbers by name, read from `/etc/passwd` and `/etc/group`
 * once per process (the first lookup reads them) and kept. A file that cannot be read counts as
 * empty: every lookup then finds nothing. Names from other sources (LDAP and the like, through
 * NSS) are not seen.
 *
 * @module
 */

/** One table: numbers to names and names to numbers (the first line wins for each). */
interface Table {
  names: Map<number, string>;
  ids: Map<string, number>;
}

/** Where the tables are read from (tests give their own files). */
export interface OwnerNameFiles {
  passwd: string;
  group: string;
}

const SYSTEM_FILES: OwnerNameFiles = { passwd: "/etc/passwd", group: "/etc/group" };

/** Looks up user and group names in the system's files (see the module comment). */
export class OwnerNames {
  readonly #files: OwnerNameFiles;
  #users: Table | undefined;
  #groups: Table | undefined;

  constructor(files: OwnerNameFiles = SYSTEM_FILES) {
    this.#files = files;
  }

  /** The name of user `uid`, or "" when it has none. */
  userName(uid: number): string {
    return this.#userTable().names.get(uid) ?? "";
  }

  /** The name of group `gid`, or "" when it has none. */
  groupName(gid: number): string {
    return this.#groupTable().names.get(gid) ?? "";
  }

  /** The uid of the user called `name`, or undefined when there is none. */
  uidOf(name: string): number | undefined {
    return name === "" ? undefined : this.#userTable().ids.get(name);
  }

  /** The gid of the group called `name`, or undefined when there is none. */
  gidOf(name: string): number | undefined {
    return name === "" ? undefined : this.#groupTable().ids.get(name);
  }

  #userTable(): Table {
    return this.#users ??= readTable(this.#files.passwd);
  }

  #groupTable(): Table {
    return this.#groups ??= readTable(this.#files.group);
  }
}

/** Longest name kept, in UTF-8 bytes (what a manifest records). */
const MAX_NAME_BYTES = 255;

/** Whether a snapshot can record `name`: short enough, no control character. */
function recordable(name: string): boolean {
  return !/\p{Cc}/u.test(name) && new TextEncoder().encode(name).length <= MAX_NAME_BYTES;
}

/** The names and numbers of a passwd or group file: `name:password:number:…` a line. */
function readTable(path: string): Table {
  const table: Table = { names: new Map(), ids: new Map() };
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return table;
  }
  for (const line of text.split("\n")) {
    const [name, , number] = line.split(":", 3);
    if (name === undefined || name === "" || name.startsWith("#") || number === undefined) continue;
    if (!/^\d{1,10}$/.test(number) || !recordable(name)) continue;
    const id = Number(number);
    if (id > 0xffff_ffff) continue;
    if (!table.names.has(id)) table.names.set(id, name);
    if (!table.ids.has(name)) table.ids.set(name, id);
  }
  return table;
}

/** The names of this machine's files, shared by the whole process (read on first use). */
export const systemOwnerNames: OwnerNames = new OwnerNames();
