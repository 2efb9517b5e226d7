/**
 * The logger interface library code takes. Library code is silent by default (`silentLogger`);
 * the CLI passes a logger that writes to stderr. Never pass a password, key, hash or file content.
 *
 * @module
 */

/** Structured fields attached to one log line. Values must never be secrets. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** A sink for log lines. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops everything: the default for library code and tests. */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};

/** A logger that adds `fields` (for example the user) to every line it passes to `logger`. */
export function withFields(logger: Logger, fields: LogFields): Logger {
  return {
    info: (message, more) => logger.info(message, { ...fields, ...more }),
    warn: (message, more) => logger.warn(message, { ...fields, ...more }),
    error: (message, more) => logger.error(message, { ...fields, ...more }),
  };
}
