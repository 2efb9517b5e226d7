import assert from "node:assert/strict";
import { SECURITY_HEADERS } from "./_security_headers.ts";
import { metricsEndpoint } from "./metrics_endpoint.ts";

const TOKEN = "s3cret-token-0123456789";
const URL_ = "https://127.0.0.1/metrics";

function endpoint(token: string | null) {
  let renders = 0;
  const handle = metricsEndpoint({
    token,
    render: () => {
      renders++;
      return Promise.resolve("up 1\n");
    },
  });
  return { handle, renders: () => renders };
}

Deno.test("metricsEndpoint() answers 401 without the bearer token, or with a wrong one, and renders nothing", async () => {
  const { handle, renders } = endpoint(TOKEN);
  for (
    const authorization of [
      undefined,
      "",
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${btoa(`x:${TOKEN}`)}`,
      TOKEN,
    ]
  ) {
    const headers: HeadersInit = authorization === undefined
      ? {}
      : { Authorization: authorization };
    const response = handle(new Request(URL_, { headers }));
    assert.equal(response.status, 401, String(authorization));
    assert.equal(response.headers.get("WWW-Authenticate"), 'Bearer realm="burrow metrics"');
    assert.doesNotMatch(await response.text(), /up 1/);
  }
  assert.equal(renders(), 0);
});

Deno.test("metricsEndpoint() serves the exposition with the right token, uncached, with the security headers", async () => {
  const { handle } = endpoint(TOKEN);
  const response = handle(new Request(URL_, { headers: { Authorization: `Bearer ${TOKEN}` } }));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(response.headers.get("Cache-Control"), "no-store");
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(response.headers.get(name), value, name);
  }
  assert.equal(await response.text(), "up 1\n");
});

Deno.test("metricsEndpoint() without a token serves anyone; it answers HEAD empty and 405 to POST", async () => {
  const { handle, renders } = endpoint(null);
  assert.equal(await handle(new Request(URL_)).text(), "up 1\n");
  const head = handle(new Request(URL_, { method: "HEAD" }));
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
  const post = handle(new Request(URL_, { method: "POST", body: "x" }));
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("Allow"), "GET, HEAD");
  await post.body?.cancel();
  assert.equal(renders(), 1);
});
