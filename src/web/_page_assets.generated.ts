/**
 * The web page's files, embedded so that the server reads nothing beside its source at run time.
 * A stand-in until the page's build writes this file: a document titled "burrow" that loads
 * `/app.js`, and an empty `/app.js`.
 *
 * @module
 */

/** The page's files by URL path. */
export const PAGE_ASSETS: ReadonlyMap<string, { contentType: string; body: string }> = new Map([
  [
    "/",
    {
      contentType: "text/html; charset=utf-8",
      body: `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>burrow</title>
<script type="module" src="/app.js"></script>
</head>
<body>
<noscript>burrow's web page needs JavaScript.</noscript>
</body>
</html>
`,
    },
  ],
  ["/app.js", { contentType: "text/javascript; charset=utf-8", body: "" }],
]);
