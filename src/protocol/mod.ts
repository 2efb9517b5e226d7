/**
 * The burrow wire protocol: length-prefixed frames carrying typed messages over TLS.
 *
 * Frames: `u32 body length | u8 message type | u32 request id | payload`, big-endian. The body
 * length is checked against `MAX_FRAME_BODY` (16 MiB + 64 KiB) as soon as its 4 bytes arrive,
 * and the payload against its message type's cap (64 KiB for control JSON) as soon as the type
 * byte arrives, both before any room for the body is allocated. Any framing error closes the
 * connection; nothing here reads past a bad frame.
 *
 * Request ids: the client picks a u32 per request and the server echoes it on the reply, so a
 * client may pipeline requests and match replies that come back out of order. A client never
 * reuses an id that is still in flight.
 *
 * Versioning: the client's first frame is `hello` with the versions it speaks; the server
 * answers `hello_ok` with the one it chose (`chooseProtocol`) or `error` UNSUPPORTED_VERSION.
 * Message type numbers never change meaning: 1–15 session, 16–31 account, 32–63 data.
 *
 * Control payloads are UTF-8 JSON objects checked field by field (types, bounds, no unknown
 * fields); byte fields are canonical base64. This layer knows no sockets or files: a
 * `FrameStream` takes any `ByteStream` (a `Deno.TlsConn` fits). See docs/PROTOCOL.md.
 *
 * @module
 */
export * from "./chunk_ids_payload_writer.ts";
export * from "./chunks_payload_writer.ts";
export * from "./frame.ts";
export * from "./frame_limits.ts";
export * from "./frame_stream.ts";
export * from "./message_type.ts";
export * from "./messages.ts";
export * from "./payloads.ts";
export * from "./wire_error.ts";
