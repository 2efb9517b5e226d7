/**
 * The typed calls the commands use: connect (TLS + version handshake), log in without sending
 * the password (Argon2id + HKDF on this side, only the auth key travels), sign up, change the
 * password, list snapshots.
 *
 * @module
 */
import { clientKdfMeetsFloor, deriveClientKeys, parseClientKdf } from "../auth/mod.ts";
import { newCredentials } from "../auth/new_credentials.ts";
import { ProtocolError } from "../errors.ts";
import { type HelloOkPayload, PROTOCOL_VERSION, type SnapshotInfo } from "../protocol/mod.ts";
import { type ConnectOptions, connectToServer } from "./connection.ts";
import { RpcChannel } from "./rpc_channel.ts";

const CLIENT_NAME = "burrow/0.1.0";

/** The keys a login yields that stay on the client. */
export interface LoginResult {
  user: string;
  /** Unwraps the repository master key (issue #4); never sent. */
  keyEncryptionKey: Uint8Array;
}

/** A connection to a burrow server. */
export class BurrowClient {
  readonly #conn: Deno.TlsConn;
  readonly #rpc: RpcChannel;
  /** What the server said in its `hello_ok`. */
  readonly server: HelloOkPayload;
  #user: string | null = null;

  private constructor(conn: Deno.TlsConn, rpc: RpcChannel, server: HelloOkPayload) {
    this.#conn = conn;
    this.#rpc = rpc;
    this.server = server;
  }

  /** Connects, completes TLS and the version handshake. */
  static async connect(options: ConnectOptions): Promise<BurrowClient> {
    const conn = await connectToServer(options);
    const rpc = new RpcChannel(conn);
    try {
      const hello = await rpc.request(
        "hello",
        { protocol: [PROTOCOL_VERSION], client: CLIENT_NAME },
        "hello_ok",
      );
      return new BurrowClient(conn, rpc, hello);
    } catch (error) {
      await rpc.close();
      throw error;
    }
  }

  /** Logs in as `user`. @throws {AuthError} on a wrong name or password, or a rate limit */
  async login(user: string, password: string): Promise<LoginResult> {
    const challenge = await this.#rpc.request("login_start", { user }, "login_challenge");
    let kdf;
    try {
      kdf = parseClientKdf(challenge.kdf);
    } catch (error) {
      throw new ProtocolError(
        "Cannot log in: the server sent unusable KDF parameters",
        "PROTOCOL",
        {
          cause: error,
        },
      );
    }
    // A hostile server could ask for cheap parameters to brute-force the password from the auth
    // key it receives: refuse anything below the defaults.
    if (!clientKdfMeetsFloor(kdf)) {
      throw new ProtocolError(
        "Cannot log in: the server asks for key derivation parameters weaker than burrow's minimum",
      );
    }
    const keys = await deriveClientKeys(password, kdf);
    await this.#rpc.request("login_proof", { authKey: keys.authKey }, "login_ok");
    this.#user = user;
    return { user, keyEncryptionKey: keys.keyEncryptionKey };
  }

  /** Creates the account `user` (servers started with --allow-signup only). */
  async signup(user: string, password: string): Promise<void> {
    const credentials = await newCredentials(password);
    await this.#rpc.request(
      "signup",
      { user, kdf: credentials.kdf, authKey: credentials.authKey },
      "signup_ok",
    );
  }

  /** Sets a new password for the logged-in user; the old one stops working at once. */
  async changePassword(newPassword: string): Promise<void> {
    const credentials = await newCredentials(newPassword);
    await this.#rpc.request(
      "change_password",
      { kdf: credentials.kdf, authKey: credentials.authKey },
      "ok",
    );
  }

  /** The logged-in user's snapshots, of every set or of `set`. */
  async listSnapshots(set?: string): Promise<SnapshotInfo[]> {
    const reply = await this.#rpc.request(
      "list_snapshots",
      set === undefined ? {} : { set },
      "snapshots",
    );
    return reply.snapshots;
  }

  /** The logged-in user, or null. */
  get user(): string | null {
    return this.#user;
  }

  /** Closes the connection, telling the server with a TLS close_notify first. */
  async close(): Promise<void> {
    await this.#conn.closeWrite().catch(() => {});
    await this.#rpc.close();
  }
}
