/**
 * Entry point of the page's open workers: the command line's open worker
 * (`src/client/open_worker.ts`), bundled beside the page's other scripts as `/open_worker.js`.
 *
 * @module
 */
import "../client/open_worker.ts";
