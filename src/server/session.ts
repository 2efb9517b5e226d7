/**
 * One client connection: a small state machine (TLS handshake → hello → login → challenge →
 * ready) that reads frames, answers each request under the same request id, and closes the
 * connection on any framing or protocol error, a failed login, the handshake deadline or the idle
 * timeout. An account logged in with a temporary password may change it and do nothing else
 * until it has. Each request after login is served under the account's limits as the user store
 * holds them at that moment (`AccountService.limitsOf`): a session whose account was disabled
 * meanwhile ends at its next request. When the server ends a session itself (a full server, shutdown), the client first
 * gets an `error` frame with request id 0 saying why; a connection closed before its TLS
 * handshake finished has its socket reaped, since Deno would keep it open until the peer leaves.
 *
 * @module
 */
import { temporaryPasswordRefusal } from "../auth/mod.ts";
import { AuthError, BurrowError, errorMessage, ProtocolError } from "../errors.ts";
import {
  type ByteStream,
  chooseProtocol,
  type ClientMessage,
  decodeClientMessage,
  encodeMessage,
  type ErrorPayload,
  FRAME_HEADER_SIZE,
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
import { releaseBytes } from "../release_bytes.ts";
import { settlesWithin } from "../settles_within.ts";
import type { UserRepository } from "../store/user_repository.ts";
import type { SocketReaper } from "./_socket_reaper.ts";
import { type HandlerContext, handleRepositoryRequest, type Reply } from "./repository_handlers.ts";
import type { SessionHostOptions } from "./session_host.ts";
import type { LoggedInAccount } from "./accounts.ts";
import type { AccountLimits } from "./account_limits.ts";
import { UploadTally } from "./_upload_tally.ts";
import type { StreamTickets } from "./stream_tickets.ts";
import { RepositoryClaims } from "./_repository_claims.ts";
import { ServerMetrics } from "./metrics.ts";

/**
 * The part of a connection a session uses: `Deno.TlsConn` satisfies it, the web page's WebSocket
 * adapter implements it, tests pass an in-memory one.
 */
export interface SessionConn extends ByteStream {
  /** Completes the connection's handshake (TLS, or the WebSocket's opening); rejects when it fails. */
  handshake(): Promise<unknown>;
  /** Shuts the sending side (TLS close_notify); reads go on. */
  closeWrite(): Promise<void>;
  /**
   * Called once, when the client has logged in: a connection that bounds what it buffers unread
   * may let bulk frames through from now on.
   */
  loggedIn?(): void;
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
}

/** What a session needs from its host. */
export interface SessionContext extends SessionHostOptions {
  /** Connection number, for log lines. */
  id: number;
  /** Remote address as HOST:PORT, for log lines. */
  peer: string;
  /** Frees the socket when the connection is closed before its TLS handshake finished. */
  reaper: SocketReaper;
  /** Called once, when the client has logged in. */
  onLogin(): void;
  /** The server's live stream tickets. */
  tickets: StreamTickets;
}

type SessionState = "hello" | "login" | "challenge" | "ready";

const SERVER_NAME = "burrow/0.1.0";
const PROGRESS: Record<SessionState, number> = { hello: 1, login: 2, challenge: 3, ready: 5 };
/** After its goodbye `error`, how long a session still reads (and drops) what the client sends. */
const LINGER_MS = 1000;
/** What every session says when the server shuts down. */
const SHUTTING_DOWN: ErrorPayload = {
  code: "BUSY",
  message: "Cannot continue: the server is shutting down",
};
/** Signup attempts one connection may make; the next is refused and closes it. */
const MAX_SIGNUPS_PER_CONNECTION = 3;
/** What an account with a temporary password may ask for. */
const TEMPORARY_PASSWORD_ALLOWS: ReadonlySet<MessageName> = new Set(["change_password"]);
/** What a connection logged in with a stream ticket may ask for. */
const TICKET_ALLOWS: ReadonlySet<MessageName> = new Set(["get_chunks"]);

/** Most `get_chunks` requests of one connection handled at once (their replies in order). */
const PIPELINED = 2;

/** Serves one connection until it closes. */
export class Session {
  readonly #conn: SessionConn;
  readonly #stream: FrameStream;
  readonly #ctx: SessionContext;
  readonly #localAddr: Deno.Addr;
  readonly #remoteAddr: Deno.Addr;
  #handshake: "pending" | "done" | "failed" = "pending";
  /** Set once the server decided to end the session: the `error` to send and the log reason. */
  #ending: { error: ErrorPayload; reason: string } | null = null;
  #closed = false;
  #reap = false;
  #state: SessionState = "hello";
  #user: string | null = null;
  /** The logged-in account, set by a successful login. */
  #account: LoggedInAccount | null = null;
  /** Logged in with a stream ticket: it may only fetch chunks. */
  #ticketed = false;
  #repository: Promise<UserRepository> | null = null;
  #closeReason: string | null = null;
  /** Settles once every request read so far has been answered (null: none is in flight). */
  #busy: Promise<void> | null = null;
  /** The `get_chunks` requests in flight, oldest first (see `#pipeline`). */
  readonly #pipelined: Promise<void>[] = [];
  #done: Promise<void> | null = null;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  readonly #uploads = new UploadTally();
  readonly #claims: RepositoryClaims;
  readonly #metrics: ServerMetrics;
  #signups = 0;
  /** Snapshots this connection committed. */
  #commits = 0;
  /** It asked for chunks (`get_chunks`); and one such request failed. */
  #fetched = false;
  #fetchFailed = false;

  constructor(conn: SessionConn, ctx: SessionContext) {
    this.#conn = conn;
    this.#claims = new RepositoryClaims(ctx.limits.pruneWaitMs);
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
    this.#metrics = ctx.metrics ?? new ServerMetrics();
    this.#localAddr = conn.localAddr;
    this.#remoteAddr = conn.remoteAddr;
  }

  /**
   * How far the client got before login, for choosing whom to evict: 0 TLS handshake, 1 waiting
   * for hello, 2 for a login, 3 challenged, 4 proof being checked, 5 logged in.
   */
  get progress(): number {
    if (this.#handshake !== "done") return 0;
    if (this.#state === "challenge" && this.#busy !== null) return 4;
    return PROGRESS[this.#state];
  }

  /** Serves requests until the connection ends; never rejects. */
  run(): Promise<void> {
    this.#done ??= this.#serve();
    return this.#done;
  }

  /**
   * Lets the request in flight finish (at most `graceMs`), then ends the session with `error`
   * BUSY "the server is shutting down" (see `end`). Resolves once the connection is closed; never
   * rejects.
   */
  async drain(graceMs: number): Promise<void> {
    if (this.#busy !== null) await settlesWithin(this.#busy, graceMs);
    this.end(SHUTTING_DOWN, "server shutting down");
    await this.#done;
  }

  /**
   * Ends the session on the server's side: sends `error` with request id 0, shuts the sending
   * side (TLS close_notify), drops what the client still sends for at most 1 s so that it reads
   * the error rather than a reset, then closes. Before the TLS handshake is done there is no way
   * to tell the client: the connection is closed at once, or with `afterHandshake` once the
   * handshake is done (within the handshake timeout). The first call decides; never throws.
   */
  end(error: ErrorPayload, reason: string, afterHandshake = false): void {
    if (this.#closed) return;
    if (this.#handshake !== "done") {
      if (afterHandshake && this.#ending === null) this.#ending = { error, reason };
      else this.#close(reason);
      return;
    }
    if (this.#ending !== null) return;
    this.#ending = { error, reason };
    void this.#sayGoodbye(this.#ending);
  }

  async #sayGoodbye({ error, reason }: { error: ErrorPayload; reason: string }): Promise<void> {
    clearTimeout(this.#deadline);
    this.#deadline = setTimeout(() => this.#close(reason), LINGER_MS);
    await this.#send(0, "error", error).catch(() => {});
    await this.#conn.closeWrite().catch(() => {});
  }

  async #serve(): Promise<void> {
    const { logger, id, peer, limits } = this.#ctx;
    logger.info("connection", { conn: id, addr: peer });
    try {
      this.#arm(limits.handshakeTimeoutMs, "handshake timeout");
      await this.#conn.handshake().catch((error) => {
        this.#handshake = "failed";
        throw error;
      });
      this.#handshake = "done";
      if (this.#ending !== null) void this.#sayGoodbye(this.#ending);
      for (;;) {
        // The clock runs only while the server waits for the client: each login step must come
        // within the handshake timeout, and a logged-in client may stay silent for the idle one.
        // Once the session is ending, its own timer runs instead.
        if (this.#ending === null) {
          if (this.#state === "ready") this.#arm(limits.idleTimeoutMs, "idle timeout");
          else this.#arm(limits.handshakeTimeoutMs, "handshake timeout");
        }
        const frame = await this.#stream.readFrame();
        if (frame === null) break;
        this.#metrics.received(FRAME_HEADER_SIZE + frame.payload.length);
        if (this.#ending !== null) continue;
        clearTimeout(this.#deadline);
        if (frame.type === MessageType.get_chunks && this.#state === "ready") {
          await this.#pipeline(frame.requestId, () => decodeClientMessage(frame));
          if (this.#closeReason !== null) break;
          continue;
        }
        await this.#busy;
        this.#busy = this.#handleFrame(frame.requestId, () => decodeClientMessage(frame));
        await this.#busy;
        this.#busy = null;
        // The store copied the blobs out: free the frame now, not when the collector runs (with
        // 32 pushes at once, frames waiting for it were most of the server's memory).
        if (frame.type === MessageType.put_chunks) releaseBytes(frame.payload);
        if (this.#closeReason !== null) break;
      }
      await this.#busy;
      this.#closeReason ??= this.#ending?.reason ?? "closed by client";
    } catch (error) {
      this.#closeReason ??= this.#ending?.reason ?? errorMessage(error);
      // A framing error belongs to no request: report it under id 0 before closing.
      if (error instanceof ProtocolError && this.#ending === null) {
        await this.#send(0, "error", toWireError(error)).catch(() => {});
      }
    } finally {
      clearTimeout(this.#deadline);
      this.#ctx.tickets.revoke(this);
      this.#close(this.#closeReason ?? "closed");
      // Requests still in flight fail to send now; let them finish with the repository first.
      await this.#busy;
      if (this.#reap) this.#ctx.reaper.reap(this.#localAddr, this.#remoteAddr);
      await this.#claims.releaseAll().catch((error) =>
        this.#ctx.logger.warn("cannot let go of a repository lock", { error: errorMessage(error) })
      );
      this.#metrics.sessionEnded({
        pushPending: this.#uploads.pending,
        pulled: this.#fetched && !this.#ticketed && this.#commits === 0,
        clean: this.#closeReason === "closed by client" && !this.#fetchFailed,
      });
      if (this.#repository !== null) {
        await this.#ctx.repositories.release(this.#user ?? "").catch((error) =>
          logger.error("cannot close repository", { user: this.#user, error: errorMessage(error) })
        );
      }
      logger.info("connection closed", {
        conn: id,
        user: this.#user,
        sent: this.#stream.bytesWritten,
        reason: this.#closeReason,
      });
    }
  }

  /** (Re)starts the timer that closes the connection after `ms` without progress. */
  #arm(ms: number, reason: string): void {
    clearTimeout(this.#deadline);
    this.#deadline = setTimeout(() => this.#close(reason), ms);
  }

  #close(reason: string): void {
    this.#closeReason ??= reason;
    clearTimeout(this.#deadline);
    if (this.#closed) return;
    this.#closed = true;
    // Deno keeps the socket of a connection closed mid-handshake open until the peer leaves.
    this.#reap = this.#handshake === "pending";
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /**
   * Starts handling a `get_chunks` alongside the requests read after it, so that its blobs are
   * read (from a store that may take a while to answer) while the reply before it is still being
   * built or sent. Its reply still goes out after every earlier one: the requests in flight
   * settle in the order they were read, and a request of any other kind waits for them all.
   * Resolves once fewer than `PIPELINED` are in flight.
   */
  async #pipeline(requestId: number, decode: () => ClientMessage): Promise<void> {
    const turn = this.#busy ?? Promise.resolve();
    const work = this.#handleFrame(requestId, decode, turn);
    this.#pipelined.push(work);
    const busy = this.#busy = work.then(() => {
      this.#pipelined.shift();
      if (this.#busy === busy) this.#busy = null;
    });
    if (this.#pipelined.length >= PIPELINED) await this.#pipelined[0];
  }

  /**
   * Handles one request; its reply, or the error it met, is sent once `turn` (the request read
   * before it) has settled.
   */
  async #handleFrame(
    requestId: number,
    decode: () => ClientMessage,
    turn: Promise<void> = Promise.resolve(),
  ): Promise<void> {
    try {
      await this.#dispatch(requestId, decode(), turn);
    } catch (error) {
      await turn;
      // An ending session has told the client why already; its replies may fail to go out.
      if (this.#ending !== null) return;
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

  async #dispatch(id: number, message: ClientMessage, turn: Promise<void>): Promise<void> {
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
          minPasswordLength: accounts.minPasswordLength,
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
        this.#account = await accounts.verify(
          user,
          message.payload.authKey,
          hostOf(this.#ctx.peer),
        );
        this.#state = "ready";
        this.#ctx.onLogin();
        return await this.#send(id, "login_ok", { user });
      }
      case "ticket_login": {
        this.#expect("login", message.type);
        const grant = this.#ctx.tickets.redeem(message.payload.ticket);
        if (grant === undefined) {
          throw new AuthError("Cannot log in: the ticket is not valid (its session has ended)");
        }
        this.#user = grant.user;
        this.#account = grant.account;
        this.#ticketed = true;
        this.#state = "ready";
        this.#ctx.onLogin();
        return await this.#send(id, "login_ok", { user: grant.user });
      }
      case "stream_ticket": {
        this.#expect("ready", message.type);
        this.#checkTicketAllows(message.type);
        if (this.#account?.temporaryPassword === true) throw temporaryPasswordRefusal();
        const account = this.#account!;
        const ticket = this.#ctx.tickets.issue(this, { user: this.#user ?? "", account });
        return await this.#send(id, "stream_ticket_ok", { ticket });
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
        this.#checkTicketAllows(message.type);
        const temporary = this.#account?.temporaryPassword === true;
        if (temporary && !TEMPORARY_PASSWORD_ALLOWS.has(message.type)) {
          throw temporaryPasswordRefusal();
        }
        const limits = await accounts.limitsOf(this.#user ?? "", this.#account?.created ?? "");
        const reply = await this.#handleCounted(limits, message);
        if (message.type === "change_password" && this.#account !== null) {
          this.#account = { ...this.#account, temporaryPassword: false };
        }
        await turn;
        return await this.#sendReply(id, reply);
      }
    }
  }

  /** Handles a repository request, noting chunk fetches and commits for the metrics. */
  async #handleCounted(limits: AccountLimits, message: ClientMessage): Promise<Reply> {
    if (message.type === "get_chunks") this.#fetched = true;
    try {
      const reply = await handleRepositoryRequest(this.#handlerContext(limits), message);
      if (message.type === "commit_snapshot") {
        this.#commits++;
        this.#metrics.pushFinished();
      }
      return reply;
    } catch (error) {
      if (message.type === "get_chunks") this.#fetchFailed = true;
      throw error;
    }
  }

  #handlerContext(limits: AccountLimits): HandlerContext {
    return {
      user: this.#user ?? "",
      limits,
      accounts: this.#ctx.accounts,
      logger: this.#ctx.logger,
      metrics: this.#metrics,
      uploads: this.#uploads,
      claims: this.#claims,
      repository: () => {
        // A failed open holds nothing: the next request tries again, and close releases nothing.
        const account = { user: this.#user ?? "", created: this.#account?.created ?? "" };
        this.#repository ??= this.#ctx.repositories.acquire(account).catch((error) => {
          this.#repository = null;
          throw error;
        });
        return this.#repository;
      },
    };
  }

  /** Refuses `type` on a connection logged in with a stream ticket, which may only fetch chunks. */
  #checkTicketAllows(type: MessageName): void {
    if (this.#ticketed && !TICKET_ALLOWS.has(type)) {
      throw new ProtocolError(
        `Cannot handle "${type}": a connection logged in with a ticket may only fetch chunks`,
      );
    }
  }

  #expect(state: SessionState, type: MessageName): void {
    if (this.#state !== state) {
      throw new ProtocolError(
        `Cannot handle "${type}" now: the session is in state "${this.#state}"`,
      );
    }
  }

  async #send<T extends MessageName>(id: number, type: T, payload: PayloadOf<T>): Promise<void> {
    const encoded = encodeMessage(type, payload);
    await this.#stream.writeFrame(MessageType[type], id, encoded);
    this.#metrics.sent(FRAME_HEADER_SIZE + encoded.length);
  }

  /**
   * Sends a reply; one built in place goes out as it is, not copied again, and is freed once
   * written (megabytes a page or batch of chunks, which the next reply can reuse at once).
   */
  async #sendReply(id: number, reply: Reply): Promise<void> {
    if ("encoded" in reply) {
      await this.#stream.writeFrame(MessageType[reply.type], id, reply.encoded);
      this.#metrics.sent(FRAME_HEADER_SIZE + reply.encoded.length);
      releaseBytes(reply.encoded);
      return;
    }
    await this.#send(id, reply.type, reply.payload as never);
  }
}

/** Whether an error ends the connection after its reply: protocol breaches and failed logins. */
function isFatal(error: unknown): boolean {
  if (error instanceof AuthError) {
    return error.code !== "SIGNUP_DISABLED" && error.code !== "PASSWORD_EXPIRED";
  }
  return error instanceof ProtocolError || !(error instanceof BurrowError);
}

/** The host part of HOST:PORT or [V6]:PORT: rate limits count per address, not per port. */
function hostOf(peer: string): string {
  const match = /^\[(.*)\]:\d+$/.exec(peer) ?? /^(.*):\d+$/.exec(peer);
  return match?.[1] ?? peer;
}
