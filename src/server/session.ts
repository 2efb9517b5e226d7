/**
 * One client connection: a small state machine (hello → login → challenge → ready) that reads
 * frames, answers each request under the same request id, and closes the connection on any
 * framing or protocol error, a failed login, the handshake deadline or the idle timeout.
 *
 * @module
 */
import { AuthError, BurrowError, errorMessage, ProtocolError } from "../errors.ts";
import {
  chooseProtocol,
  type ClientMessage,
  decodeClientMessage,
  encodeMessage,
  type FrameLimits,
  FrameStream,
  type MessageName,
  MessageType,
  type PayloadOf,
  SERVER_PRE_LOGIN_LIMITS,
  SERVER_READ_LIMITS,
  SUPPORTED_PROTOCOLS,
  toWireError,
} from "../protocol/mod.ts";
import { releaseBytes } from "../repo/release_bytes.ts";
import type { UserRepository } from "../repo/user_repository.ts";
import { type HandlerContext, handleRepositoryRequest, type Reply } from "./repository_handlers.ts";
import type { ServerOptions } from "./server.ts";

/** What a session needs from its server. */
export interface SessionContext extends ServerOptions {
  /** Connection number, for log lines. */
  id: number;
  /** Remote address as HOST:PORT, for log lines. */
  peer: string;
}

type SessionState = "hello" | "login" | "challenge" | "ready";

const SERVER_NAME = "burrow/0.1.0";
/** Signup attempts one connection may make; the next is refused and closes it. */
const MAX_SIGNUPS_PER_CONNECTION = 3;

/** Serves one connection until it closes. */
export class Session {
  readonly #conn: Deno.TlsConn;
  readonly #stream: FrameStream;
  readonly #ctx: SessionContext;
  #state: SessionState = "hello";
  #user: string | null = null;
  #repository: Promise<UserRepository> | null = null;
  #closeReason: string | null = null;
  #busy: Promise<void> | null = null;
  #done: Promise<void> | null = null;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #signups = 0;

  constructor(conn: Deno.TlsConn, ctx: SessionContext) {
    this.#conn = conn;
    // Before login no frame may exceed the control-message cap, so an anonymous peer can never
    // make the server buffer a bulk frame; requests read ahead of login are checked when handled.
    const current = () => this.#state === "ready" ? SERVER_READ_LIMITS : SERVER_PRE_LOGIN_LIMITS;
    const limits: FrameLimits = {
      get maxBody() {
        return current().maxBody;
      },
      payloadLimit: (type) => current().payloadLimit(type),
    };
    this.#stream = new FrameStream(conn, { limits });
    this.#ctx = ctx;
  }

  /** Serves requests until the connection ends; never rejects. */
  run(): Promise<void> {
    this.#done ??= this.#serve();
    return this.#done;
  }

  /** Lets the request in flight finish (at most `graceMs`), then closes. Never rejects. */
  async drain(graceMs: number): Promise<void> {
    if (this.#busy !== null) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([this.#busy.catch(() => {}), grace]);
      clearTimeout(timer);
    }
    this.#close("server shutting down");
    await this.#done;
  }

  async #serve(): Promise<void> {
    const { logger, id, peer, limits } = this.#ctx;
    logger.info("connection", { conn: id, addr: peer });
    try {
      for (;;) {
        // The clock runs only while the server waits for the client: each login step must come
        // within the handshake timeout, and a logged-in client may stay silent for the idle one.
        if (this.#state === "ready") this.#arm(limits.idleTimeoutMs, "idle timeout");
        else this.#arm(limits.handshakeTimeoutMs, "handshake timeout");
        const frame = await this.#stream.readFrame();
        if (frame === null) break;
        clearTimeout(this.#deadline);
        this.#busy = this.#handleFrame(frame.requestId, () => decodeClientMessage(frame));
        await this.#busy;
        this.#busy = null;
        // The store copied the blobs out: free the frame now, not when the collector runs (with
        // 32 pushes at once, frames waiting for it were most of the server's memory).
        if (frame.type === MessageType.put_chunks) releaseBytes(frame.payload);
        if (this.#closeReason !== null) break;
      }
      this.#closeReason ??= "closed by client";
    } catch (error) {
      this.#closeReason ??= errorMessage(error);
      // A framing error belongs to no request: report it under id 0 before closing.
      if (error instanceof ProtocolError) {
        await this.#send(0, "error", toWireError(error)).catch(() => {});
      }
    } finally {
      clearTimeout(this.#deadline);
      this.#close(this.#closeReason ?? "closed");
      if (this.#repository !== null) {
        await this.#ctx.repositories.release(this.#user ?? "").catch((error) =>
          logger.error("cannot close repository", { user: this.#user, error: errorMessage(error) })
        );
      }
      logger.info("connection closed", { conn: id, user: this.#user, reason: this.#closeReason });
    }
  }

  /** (Re)starts the timer that closes the connection after `ms` without progress. */
  #arm(ms: number, reason: string): void {
    clearTimeout(this.#deadline);
    this.#deadline = setTimeout(() => this.#close(reason), ms);
  }

  #close(reason: string): void {
    if (this.#closeReason === null || reason === "server shutting down") {
      this.#closeReason ??= reason;
    }
    clearTimeout(this.#deadline);
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async #handleFrame(requestId: number, decode: () => ClientMessage): Promise<void> {
    try {
      await this.#dispatch(requestId, decode());
    } catch (error) {
      if (!(error instanceof BurrowError)) {
        this.#ctx.logger.error("request failed", {
          conn: this.#ctx.id,
          error: errorMessage(error),
        });
      }
      await this.#send(requestId, "error", toWireError(error)).catch(() => {});
      if (isFatal(error)) this.#close(errorMessage(error));
    }
  }

  async #dispatch(id: number, message: ClientMessage): Promise<void> {
    const { accounts } = this.#ctx;
    switch (message.type) {
      case "hello": {
        this.#expect("hello", message.type);
        const protocol = chooseProtocol(message.payload.protocol);
        if (protocol === undefined) {
          throw new ProtocolError(
            `Cannot talk to this client: it speaks protocol ${
              message.payload.protocol.join(", ")
            }, this server ${SUPPORTED_PROTOCOLS.join(", ")}`,
            "UNSUPPORTED_VERSION",
          );
        }
        this.#state = "login";
        return await this.#send(id, "hello_ok", {
          protocol,
          server: SERVER_NAME,
          signup: accounts.signupAllowed,
        });
      }
      case "login_start": {
        this.#expect("login", message.type);
        const kdf = await accounts.challenge(message.payload.user);
        this.#user = message.payload.user;
        this.#state = "challenge";
        return await this.#send(id, "login_challenge", { kdf });
      }
      case "login_proof": {
        this.#expect("challenge", message.type);
        const user = this.#user ?? "";
        await accounts.verify(user, message.payload.authKey, hostOf(this.#ctx.peer));
        this.#state = "ready";
        return await this.#send(id, "login_ok", { user });
      }
      case "signup": {
        this.#expect("login", message.type);
        if (++this.#signups > MAX_SIGNUPS_PER_CONNECTION) {
          throw new AuthError(
            `Cannot sign up: at most ${MAX_SIGNUPS_PER_CONNECTION} signups per connection`,
            "RATE_LIMITED",
          );
        }
        const { user, kdf, authKey } = message.payload;
        await accounts.signup(user, kdf, authKey, hostOf(this.#ctx.peer));
        return await this.#send(id, "signup_ok", { user });
      }
      default: {
        this.#expect("ready", message.type);
        const reply = await handleRepositoryRequest(this.#handlerContext(), message);
        return await this.#sendReply(id, reply);
      }
    }
  }

  #handlerContext(): HandlerContext {
    return {
      user: this.#user ?? "",
      accounts: this.#ctx.accounts,
      logger: this.#ctx.logger,
      repository: () => {
        this.#repository ??= this.#ctx.repositories.acquire(this.#user ?? "");
        return this.#repository;
      },
    };
  }

  #expect(state: SessionState, type: MessageName): void {
    if (this.#state !== state) {
      throw new ProtocolError(
        `Cannot handle "${type}" now: the session is in state "${this.#state}"`,
      );
    }
  }

  async #send<T extends MessageName>(id: number, type: T, payload: PayloadOf<T>): Promise<void> {
    await this.#stream.writeFrame(MessageType[type], id, encodeMessage(type, payload));
  }

  /** Sends a reply; a `chunks` reply built in place goes out as it is, not copied again. */
  #sendReply(id: number, reply: Reply): Promise<void> {
    if ("encoded" in reply) {
      return this.#stream.writeFrame(MessageType[reply.type], id, reply.encoded);
    }
    return this.#send(id, reply.type, reply.payload as never);
  }
}

/** Whether an error ends the connection after its reply: protocol breaches and failed logins. */
function isFatal(error: unknown): boolean {
  if (error instanceof AuthError) return error.code !== "SIGNUP_DISABLED";
  return error instanceof ProtocolError || !(error instanceof BurrowError);
}

/** The host part of HOST:PORT or [V6]:PORT: rate limits count per address, not per port. */
function hostOf(peer: string): string {
  const match = /^\[(.*)\]:\d+$/.exec(peer) ?? /^(.*):\d+$/.exec(peer);
  return match?.[1] ?? peer;
}
