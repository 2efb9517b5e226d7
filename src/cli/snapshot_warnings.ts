/**
 * What every command that lists snapshots tells the user about a damaged repository, on stderr:
 * each snapshot whose record cannot be used (named, with the reason; the command goes on
 * without it), and the chunks the server knows it lost.
 *
 * @module
 */
import type { SnapshotListing } from "../client/remote_repository.ts";
import { printError } from "./output.ts";

/** One line for `count` lost chunks, pointing at `burrow check`. */
export function damagedChunksLine(count: number): string {
  const chunks = count === 1
    ? "1 chunk of your repository is"
    : `${count} chunks of your repository are`;
  return `${chunks} missing or damaged; run burrow check`;
}

/** Prints a warning for each unreadable snapshot and for lost chunks. */
export function printListingWarnings(listing: SnapshotListing): void {
  for (const { id, reason } of listing.unreadable) {
    printError(`warning: snapshot ${id} is skipped: ${reason}`);
  }
  if (listing.damagedChunks > 0) printError(`warning: ${damagedChunksLine(listing.damagedChunks)}`);
}
