/**
 * Size limits checked from a frame's header, before its body is buffered: the whole body, and
 * a per-message-type payload cap (control JSON ≤ 64 KiB; lists and bulk data larger).
 *
 * @module
 */
import { MESSAGE_NAMES, MESSAGE_SENDER, type MessageName, MessageType } from "./message_type.ts";

/** Bytes of the length prefix. */
export const LENGTH_PREFIX_SIZE = 4;
/** Bytes of the body header: u8 message type + u32 request id. */
export const BODY_HEADER_SIZE = 5;
/** Bytes before the payload: length prefix + body header. */
export const FRAME_HEADER_SIZE = LENGTH_PREFIX_SIZE + BODY_HEADER_SIZE;
/** Largest frame body (type + request id + payload): 16 MiB of bulk data plus 64 KiB slack. */
export const MAX_FRAME_BODY = 16 * 1024 * 1024 + 64 * 1024;
/** Largest payload of a control (JSON) message. */
export const MAX_CONTROL_PAYLOAD = 64 * 1024;
/** Largest payload of a list reply such as `snapshots`. */
export const MAX_LIST_PAYLOAD = 16 * 1024 * 1024;

/** What a frame decoder accepts; checked from the header before the body is buffered. */
export interface FrameLimits {
  /** Largest accepted body length (type + request id + payload), at most `MAX_FRAME_BODY`. */
  readonly maxBody: number;
  /** Largest accepted payload for a message type, or undefined when the type is refused. */
  payloadLimit(type: number): number | undefined;
}

/** The payload cap of each message. */
export const PAYLOAD_LIMITS: Readonly<Record<MessageName, number>> = {
  ...Object.fromEntries(MESSAGE_NAMES.map((name) => [name, MAX_CONTROL_PAYLOAD])) as Record<
    MessageName,
    number
  >,
  snapshots: MAX_LIST_PAYLOAD,
  chunk_ids: MAX_FRAME_BODY - BODY_HEADER_SIZE,
  put_chunks: MAX_FRAME_BODY - BODY_HEADER_SIZE,
  chunks: MAX_FRAME_BODY - BODY_HEADER_SIZE,
  prune_live: MAX_FRAME_BODY - BODY_HEADER_SIZE,
  commit_snapshot: 512 * 1024,
};

/** Limits accepting the given messages at their `PAYLOAD_LIMITS` cap and refusing every other type. */
export function limitsFor(names: readonly MessageName[]): FrameLimits {
  const caps = new Map<number, number>(
    names.map((name) => [MessageType[name], PAYLOAD_LIMITS[name]]),
  );
  const largest = Math.max(0, ...caps.values());
  return {
    maxBody: Math.min(MAX_FRAME_BODY, BODY_HEADER_SIZE + largest),
    payloadLimit: (type) => caps.get(type),
  };
}

/** Every known message at its cap: a decoder that does not know which side it is on. */
export const PROTOCOL_LIMITS: FrameLimits = limitsFor(MESSAGE_NAMES);
/** What a server reads: only messages clients send. */
export const SERVER_READ_LIMITS: FrameLimits = limitsFor(
  MESSAGE_NAMES.filter((name) => MESSAGE_SENDER[name] === "client"),
);
/** What a client reads: only messages servers send. */
export const CLIENT_READ_LIMITS: FrameLimits = limitsFor(
  MESSAGE_NAMES.filter((name) => MESSAGE_SENDER[name] === "server"),
);
/** `limits` with every payload capped at `maxPayload`: the same types, no larger frames. */
export function cappedLimits(limits: FrameLimits, maxPayload: number): FrameLimits {
  return {
    maxBody: Math.min(limits.maxBody, BODY_HEADER_SIZE + maxPayload),
    payloadLimit: (type) => {
      const cap = limits.payloadLimit(type);
      return cap === undefined ? undefined : Math.min(cap, maxPayload);
    },
  };
}

/**
 * What a server reads before login: every message clients send, so requests may be pipelined
 * behind `login_proof`, but none over the control-message cap, so an anonymous peer never makes
 * the server buffer a bulk frame. Whether a request is allowed is checked when it is handled.
 */
export const SERVER_PRE_LOGIN_LIMITS: FrameLimits = cappedLimits(
  SERVER_READ_LIMITS,
  MAX_CONTROL_PAYLOAD,
);
/** Any type, any payload up to `MAX_FRAME_BODY`: for tests and tools that relay frames. */
export const UNCHECKED_LIMITS: FrameLimits = {
  maxBody: MAX_FRAME_BODY,
  payloadLimit: () => MAX_FRAME_BODY - BODY_HEADER_SIZE,
};
