import assert from "node:assert/strict";
import { IPPROTO_TCP, libc, TCP_NODELAY } from "./_libc.ts";
import { setListenerNoDelay } from "./listener_no_delay.ts";
import { netAddrKey, socketKey } from "./_sockaddr.ts";

const getsockopt = Deno.build.os === "linux"
  ? Deno.dlopen("libc.so.6", {
    getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  }).symbols.getsockopt
  : null;

/** TCP_NODELAY of this process's socket connected from `local` to `remote`. */
function noDelayOf(local: Deno.NetAddr, remote: Deno.NetAddr): number {
  const symbols = libc().symbols!;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    const fd = Number(entry.name);
    if (socketKey(symbols.getsockname, fd) !== netAddrKey(local)) continue;
    if (socketKey(symbols.getpeername, fd) !== netAddrKey(remote)) continue;
    const value = new Int32Array(1);
    const size = new Uint32Array([4]);
    const got = getsockopt!(
      fd,
      IPPROTO_TCP,
      TCP_NODELAY,
      new Uint8Array(value.buffer),
      new Uint8Array(size.buffer),
    );
    assert.equal(got, 0);
    return value[0]!;
  }
  throw new Error("no such socket");
}

/** TCP_NODELAY of a connection `listener` accepts. */
async function acceptedNoDelay(listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>) {
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const accepted = await listener.accept();
  try {
    return noDelayOf(accepted.localAddr, accepted.remoteAddr);
  } finally {
    accepted.close();
    client.close();
  }
}

Deno.test({
  name: "setListenerNoDelay() turns Nagle off for the connections a listener accepts after it",
  ignore: Deno.build.os !== "linux",
}, async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.equal(await acceptedNoDelay(listener), 0, "Deno leaves Nagle on: nothing to test");
    assert.equal(setListenerNoDelay(listener.addr), null);
    assert.equal(await acceptedNoDelay(listener), 1);
  } finally {
    listener.close();
  }
});

Deno.test("setListenerNoDelay() says why when no socket listens on the address", () => {
  const reason = setListenerNoDelay({ transport: "tcp", hostname: "127.0.0.1", port: 9 });
  assert.match(reason ?? "", /no listening socket on 127\.0\.0\.1\|9|not on Linux/);
});
