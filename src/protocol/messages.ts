/**
 * Typed messages: `encodeMessage` turns a payload into a frame's payload bytes, and
 * `decodeMessage` turns a frame back into a checked, typed message.
 *
 * @module
 */
import { ProtocolError } from "../errors.ts";
import { encodeBase64 } from "./_base64.ts";
import { BINARY_CODECS, isBinaryMessage } from "./_binary_codecs.ts";
import { READERS } from "./_readers.ts";
import { PAYLOAD_LIMITS } from "./frame_limits.ts";
import {
  type ClientMessageName,
  MESSAGE_SENDER,
  type MessageName,
  messageName,
  type MessageSender,
  type ServerMessageName,
} from "./message_type.ts";
import type { Payloads } from "./payloads.ts";

/** The protocol version this build prefers. */
export const PROTOCOL_VERSION = 1;
/** Every protocol version this build speaks, preferred first. */
export const SUPPORTED_PROTOCOLS: readonly number[] = [1];

/** A decoded message: discriminate on `type`. */
export type Message = { [K in MessageName]: { type: K; payload: Payloads[K] } }[MessageName];

/** A message a client sends (requests). */
export type ClientMessage = Extract<Message, { type: ClientMessageName }>;
/** A message a server sends (replies). */
export type ServerMessage = Extract<Message, { type: ServerMessageName }>;
/** The payload type of message `K`. */
export type PayloadOf<K extends MessageName> = Payloads[K];

/** What `decodeMessage` reads: a `Frame`, or any type number and payload. */
export interface FrameLike {
  readonly type: number;
  readonly payload: Uint8Array;
}

const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const textEncoder = new TextEncoder();

/**
 * The payload bytes of a message (UTF-8 JSON), checked by the same reader the peer will use.
 * Frame them with `MessageType[type]`: `writeFrame(MessageType[type], id, encodeMessage(…))`.
 * @throws {TypeError} when the payload is invalid; {RangeError} when it is over its size cap
 */
export function encodeMessage<K extends MessageName>(
  type: K,
  payload: Payloads[K],
): Uint8Array {
  if (isBinaryMessage(type)) {
    // deno-lint-ignore no-explicit-any
    const bytes = (BINARY_CODECS[type].encode as (p: any) => Uint8Array)(payload);
    checkEncodedSize(type, bytes.length);
    return bytes;
  }
  const wire = toWire(payload);
  try {
    READERS[type](wire);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new TypeError(error.message.replace("Cannot decode", "Cannot encode"), { cause: error });
  }
  const bytes = textEncoder.encode(JSON.stringify(wire));
  checkEncodedSize(type, bytes.length);
  return bytes;
}

/** The payload as JSON-ready values: byte fields, at any depth, become base64 strings. */
function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return encodeBase64(value);
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
}

/**
 * A message's payload as parts to write in order (`FrameStream.writeFrameParts`): `put_chunks`
 * keeps its blobs as they are instead of copying them into one buffer (the server builds its
 * `chunks` replies in place, with `ChunksPayloadWriter`).
 * @throws {TypeError} / {RangeError} as `encodeMessage`
 */
export function encodeMessageParts<K extends MessageName>(
  type: K,
  payload: Payloads[K],
): Uint8Array[] {
  if (type !== "put_chunks") return [encodeMessage(type, payload)];
  const parts = BINARY_CODECS.put_chunks.encodeParts(payload as Payloads["put_chunks"]);
  checkEncodedSize(type, parts.reduce((sum, part) => sum + part.length, 0));
  return parts;
}

function checkEncodedSize(type: MessageName, length: number): void {
  if (length > PAYLOAD_LIMITS[type]) {
    throw new RangeError(
      `Cannot encode "${type}": payload of ${length} bytes exceeds the limit of ${
        PAYLOAD_LIMITS[type]
      }`,
    );
  }
}

/**
 * The typed message in a frame (or any `{ type, payload }`).
 * @throws {ProtocolError} on an unknown type, a payload over its cap, bad UTF-8 or JSON, or any
 *   field that is missing, unknown, of the wrong type or out of bounds
 */
export function decodeMessage(
  frame: { readonly type: number; readonly payload: Uint8Array },
): Message {
  const name = messageName(frame.type);
  if (name === undefined) {
    throw new ProtocolError(`Cannot decode message: type ${frame.type} is unknown`);
  }
  if (frame.payload.length > PAYLOAD_LIMITS[name]) {
    throw new ProtocolError(
      `Cannot decode "${name}": payload of ${frame.payload.length} bytes exceeds the limit of ${
        PAYLOAD_LIMITS[name]
      }`,
    );
  }
  if (isBinaryMessage(name)) {
    return { type: name, payload: BINARY_CODECS[name].decode(frame.payload) } as Message;
  }
  let value: unknown;
  try {
    value = JSON.parse(textDecoder.decode(frame.payload));
  } catch {
    // No cause: V8's JSON errors quote the input.
    throw new ProtocolError(`Cannot decode "${name}": payload is not UTF-8 JSON`);
  }
  return { type: name, payload: READERS[name](value) } as Message;
}

/**
 * The typed message in a frame that a client sent: a server-sent type is refused.
 * @throws {ProtocolError} as `decodeMessage`, or when the client sent a server message
 */
export function decodeClientMessage(frame: FrameLike): ClientMessage {
  return checkSender(decodeMessage(frame), "client") as ClientMessage;
}

/**
 * The typed message in a frame that a server sent: a client-sent type is refused.
 * @throws {ProtocolError} as `decodeMessage`, or when the server sent a client message
 */
export function decodeServerMessage(frame: FrameLike): ServerMessage {
  return checkSender(decodeMessage(frame), "server") as ServerMessage;
}

function checkSender(message: Message, sender: MessageSender): Message {
  if (MESSAGE_SENDER[message.type] !== sender) {
    const other = sender === "client" ? "server" : "client";
    throw new ProtocolError(
      `Cannot accept "${message.type}" from a ${sender}: it is a ${other} message`,
    );
  }
  return message;
}

/**
 * The version to speak with a client offering `offered`: the highest version both sides speak.
 * @returns undefined when there is none (reply `error` UNSUPPORTED_VERSION)
 */
export function chooseProtocol(
  offered: readonly number[],
  supported: readonly number[] = SUPPORTED_PROTOCOLS,
): number | undefined {
  const common = offered.filter((version) => supported.includes(version));
  return common.length === 0 ? undefined : Math.max(...common);
}
