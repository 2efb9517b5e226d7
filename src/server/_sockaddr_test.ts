import assert from "node:assert/strict";
import { netAddrKey, sockaddrKey } from "./_sockaddr.ts";

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function sockaddr(family: number, port: number, address: number[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, family, LITTLE);
  view.setUint16(2, port);
  bytes.set(address, family === 2 ? 4 : 8);
  return bytes;
}

function tcp(hostname: string, port: number): Deno.NetAddr {
  return { transport: "tcp", hostname, port };
}

Deno.test("sockaddrKey() reads an IPv4 sockaddr_in like netAddrKey() spells Deno's address", () => {
  const key = sockaddrKey(sockaddr(2, 7443, [127, 0, 0, 1], 16), 16);
  assert.equal(key, netAddrKey(tcp("127.0.0.1", 7443)));
  assert.equal(key, "127.0.0.1|7443");
});

Deno.test("sockaddrKey() reads an IPv6 sockaddr_in6 in canonical form", () => {
  const loopback = sockaddr(10, 443, [...new Array(15).fill(0), 1], 28);
  assert.equal(sockaddrKey(loopback, 28), netAddrKey(tcp("::1", 443)));
  const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7];
  assert.equal(
    sockaddrKey(sockaddr(10, 9, mapped, 28), 28),
    netAddrKey(tcp("::ffff:192.0.2.7", 9)),
  );
  const full = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0, 1];
  assert.equal(sockaddrKey(sockaddr(10, 1, full, 28), 28), netAddrKey(tcp("2001:DB8::AB:1", 1)));
  assert.equal(netAddrKey(tcp("fe80::1%2", 5)), netAddrKey(tcp("fe80::1", 5)));
});

Deno.test("sockaddrKey() refuses other families and short lengths", () => {
  assert.equal(sockaddrKey(sockaddr(1, 0, [], 110), 110), null); // AF_UNIX
  assert.equal(sockaddrKey(sockaddr(2, 1, [127, 0, 0, 1], 16), 6), null);
  assert.equal(sockaddrKey(sockaddr(10, 1, [], 28), 20), null);
  assert.equal(sockaddrKey(new Uint8Array(4), 8), null);
  assert.equal(netAddrKey({ transport: "unix", path: "/x" }), null);
});
