/**
 * Message type numbers: the first body byte of every frame. Numbers are grouped so later
 * messages slot in without renumbering: 1–15 session, 16–31 account, 32–63 data.
 *
 * @module
 */

/** The type number of each message; a number never changes meaning once released. */
export const MessageType = {
  hello: 1,
  hello_ok: 2,
  error: 3,
  ok: 4,
  login_start: 16,
  login_challenge: 17,
  login_proof: 18,
  login_ok: 19,
  signup: 20,
  signup_ok: 21,
  change_password: 22,
  stream_ticket: 23,
  stream_ticket_ok: 24,
  ticket_login: 25,
  list_snapshots: 32,
  snapshots: 33,
  get_key: 34,
  key: 35,
  put_key: 36,
  list_chunks: 37,
  chunk_ids: 38,
  put_chunks: 39,
  put_ok: 40,
  get_chunks: 41,
  chunks: 42,
  commit_snapshot: 43,
  report_damaged: 44,
  damage_noted: 45,
  forget_snapshots: 46,
  prune_begin: 47,
  prune_live: 48,
  prune_run: 49,
  pruned: 50,
} as const;

/** The name of a message, e.g. `"hello"`. */
export type MessageName = keyof typeof MessageType;

/** Which peer sends a message: `"client"` requests, `"server"` replies. */
export type MessageSender = "client" | "server";

/** The peer that sends each message; the other peer refuses it at the frame header. */
export const MESSAGE_SENDER = {
  hello: "client",
  hello_ok: "server",
  error: "server",
  ok: "server",
  login_start: "client",
  login_challenge: "server",
  login_proof: "client",
  login_ok: "server",
  signup: "client",
  signup_ok: "server",
  change_password: "client",
  stream_ticket: "client",
  stream_ticket_ok: "server",
  ticket_login: "client",
  list_snapshots: "client",
  snapshots: "server",
  get_key: "client",
  key: "server",
  put_key: "client",
  list_chunks: "client",
  chunk_ids: "server",
  put_chunks: "client",
  put_ok: "server",
  get_chunks: "client",
  chunks: "server",
  commit_snapshot: "client",
  report_damaged: "client",
  damage_noted: "server",
  forget_snapshots: "client",
  prune_begin: "client",
  prune_live: "client",
  prune_run: "client",
  pruned: "server",
} as const satisfies Record<MessageName, MessageSender>;

/** The name of a message a client sends. */
export type ClientMessageName = {
  [K in MessageName]: (typeof MESSAGE_SENDER)[K] extends "client" ? K : never;
}[MessageName];
/** The name of a message a server sends. */
export type ServerMessageName = Exclude<MessageName, ClientMessageName>;

/** Every message name, in type-number order. */
export const MESSAGE_NAMES: readonly MessageName[] = (Object.keys(MessageType) as MessageName[])
  .sort((a, b) => MessageType[a] - MessageType[b]);

const NAME_BY_TYPE: ReadonlyMap<number, MessageName> = new Map(
  MESSAGE_NAMES.map((name) => [MessageType[name], name]),
);

/** The name of message type `type`, or undefined for a number no message uses. */
export function messageName(type: number): MessageName | undefined {
  return NAME_BY_TYPE.get(type);
}
