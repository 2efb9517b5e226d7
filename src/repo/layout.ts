/**
 * Where things live under the server's data folder. Every user name is validated before it
 * becomes part of a path, so no name can reach outside its own folder.
 *
 * @module
 */
import { validateUserName } from "../names.ts";

/** The folder that holds one user's repository: DATA/repos/NAME. */
export function userRepositoryDir(dataDir: string, name: string): string {
  return `${dataDir}/repos/${validateUserName(name)}`;
}
