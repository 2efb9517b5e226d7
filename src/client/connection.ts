/**
 * Opening the TLS connection to a server, with one-line errors a person can act on:
 * unreachable server, untrusted certificate, name mismatch, timeout.
 *
 * @module
 */
import { ConfigError, errorMessage, NetworkError } from "../errors.ts";
import { BurrowClient } from "./burrow_client.ts";

/** Where and how to connect. */
export interface ConnectOptions {
  hostname: string;
  port: number;
  /** PEM text of the CA certificates to trust; null trusts the system's roots. */
  caCerts: string[] | null;
  /** Give up on connect + TLS handshake after this long (default 15 s). */
  timeoutMs?: number;
}

/** Reads a CA file given with --ca. @throws {ConfigError} when it cannot be read */
export async function readCaFile(path: string): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    if (!text.includes("-----BEGIN CERTIFICATE-----")) {
      throw new ConfigError(`Cannot use CA file "${path}": no PEM certificate in it`);
    }
    return text;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : errorMessage(error);
    throw new ConfigError(`Cannot read CA file "${path}": ${reason}`, { cause: error });
  }
}

/** Connects over TLS and completes the version handshake: a client ready to log in. */
export async function connectClient(options: ConnectOptions): Promise<BurrowClient> {
  return await BurrowClient.start(await connectToServer(options));
}

/** Connects and completes the TLS handshake. @throws {NetworkError} */
export async function connectToServer(options: ConnectOptions): Promise<Deno.TlsConn> {
  const where = options.hostname.includes(":")
    ? `[${options.hostname}]:${options.port}`
    : `${options.hostname}:${options.port}`;
  const timeoutMs = options.timeoutMs ?? 15_000;
  let tcp: Deno.TcpConn | null = null;
  let conn: Deno.TlsConn | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      closeQuietly(conn ?? tcp);
      reject(
        new NetworkError(
          `Cannot connect to ${where}: no answer within ${timeoutMs / 1000} s`,
          "TIMEOUT",
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      (async () => {
        // TCP first, to turn Nagle off: with it on, each small request after the handshake
        // waits for the server's delayed ACK (~40 ms), which made every round trip ~85 ms.
        tcp = await Deno.connect({ hostname: options.hostname, port: options.port });
        tcp.setNoDelay(true);
        conn = await Deno.startTls(tcp, {
          hostname: options.hostname,
          alpnProtocols: ["burrow/1"],
          ...(options.caCerts === null ? {} : { caCerts: options.caCerts }),
        });
        await conn.handshake();
        return conn;
      })(),
      timeout,
    ]);
  } catch (error) {
    closeQuietly(conn ?? tcp);
    throw describeConnectError(error, where);
  } finally {
    clearTimeout(timer);
  }
}

function closeQuietly(conn: Deno.Conn | null): void {
  try {
    conn?.close();
  } catch {
    // Already closed by the failure being reported.
  }
}

function describeConnectError(error: unknown, where: string): Error {
  if (error instanceof NetworkError) return error;
  const text = errorMessage(error);
  if (error instanceof Deno.errors.ConnectionRefused) {
    return new NetworkError(
      `Cannot connect to ${where}: connection refused (is burrow serve running?)`,
      "NETWORK",
      { cause: error },
    );
  }
  if (/certificate|UnknownIssuer|NotValidForName|BadSignature|Expired/i.test(text)) {
    // rustls names the name mismatch "NotValidForName" or, in newer versions, in words.
    const reason = /UnknownIssuer/.test(text)
      ? "the server's certificate is not signed by a trusted CA (check --ca)"
      : /NotValidForName|not valid for name/i.test(text)
      ? "the server's certificate is not valid for this host name"
      : /Expired/i.test(text)
      ? "the server's certificate has expired"
      : `the server's certificate was refused (${text})`;
    return new NetworkError(`Cannot connect to ${where}: ${reason}`, "TLS", { cause: error });
  }
  return new NetworkError(`Cannot connect to ${where}: ${text}`, "NETWORK", { cause: error });
}
